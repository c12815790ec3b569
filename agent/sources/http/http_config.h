#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

// `tls: {cert_file, key_file, ca_file, verify_client}` of the http source.
struct HttpSourceTlsConfig {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  bool verify_client = false;
  static const OptionTable<HttpSourceTlsConfig>& options();
};

// `auth: {token_file}` of the http source.
struct HttpSourceAuthConfig {
  std::string token_file;
  static const OptionTable<HttpSourceAuthConfig>& options();
};

// Where Loki clients push.
inline constexpr std::string_view kLokiPushPath = "/loki/api/v1/push";

struct HttpSourceConfig {
  std::string address;
  std::string path;
  std::string format = "auto";
  ConfigNode tls;
  ConfigNode auth;
  ByteSize max_body_bytes{10u << 20};
  int64_t max_connections = 256;
  Duration idle_timeout = std::chrono::seconds(60);
  bool keep_alive = true;
  std::map<std::string, std::string> label_fields;
  std::string loki_line_format = "message";

  static const OptionTable<HttpSourceConfig>& options();
};

void registerHttpSource(Registry& registry);

}  // namespace logship
