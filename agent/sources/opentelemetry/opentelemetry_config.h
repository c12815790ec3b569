#pragma once

#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

// `tls: {cert_file, key_file, ca_file, verify_client}`: HTTPS, optionally with client
// certificates.
struct OpenTelemetrySourceTlsConfig {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  bool verify_client = false;
  static const OptionTable<OpenTelemetrySourceTlsConfig>& options();
};

struct OpenTelemetrySourceConfig {
  std::string address = "0.0.0.0:4318";
  std::string path = "/v1/logs";
  std::string token_file;
  ConfigNode tls;
  ByteSize max_body_bytes{10u << 20};
  int64_t max_connections = 256;

  static const OptionTable<OpenTelemetrySourceConfig>& options();
};

void registerOpenTelemetrySource(Registry& registry);

}  // namespace logship
