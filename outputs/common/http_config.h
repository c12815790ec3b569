#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "agent/api/config.h"
#include "agent/support/base64.h"  // base64Encode, for the outputs' own headers
#include "outputs/common/compression.h"

namespace logship {

// `auth: {strategy: basic, user: x, password_file: /path}` or `{strategy: bearer, token_file: ..}`.
struct HttpAuthConfig {
  std::string strategy = "none";
  std::string user;
  std::string password_file;
  std::string token_file;
  static const OptionTable<HttpAuthConfig>& options();
};

// `tls: {ca_file: .., cert_file: .., key_file: .., verify: true, server_name: ..}`; TLS is used
// when the endpoint is https://.
struct HttpTlsConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  bool verify = true;
  static const OptionTable<HttpTlsConfig>& options();
};

// `batch: {max_bytes: 1MiB, max_events: 10000, timeout: 1s}`: a request goes out when either
// limit is reached, or `timeout` after its first event arrived.
struct HttpBatchConfig {
  ByteSize max_bytes{1u << 20};
  int64_t max_events = 10000;
  Duration timeout = std::chrono::seconds(1);
  static const OptionTable<HttpBatchConfig>& options();
};

// `retry: {initial_backoff: 500ms, max_backoff: 60s, max_attempts: 0}`; 0 attempts = forever.
struct HttpRetryConfig {
  Duration initial_backoff = std::chrono::milliseconds(500);
  Duration max_backoff = std::chrono::seconds(60);
  int64_t max_attempts = 0;
  static const OptionTable<HttpRetryConfig>& options();
};

// Options every HTTP output takes. Output config structs derive from this and call
// addHttpOptions() on their option table.
struct HttpOutputOptions {
  std::string endpoint;
  std::string compression = "auto";
  int64_t concurrency = 4;
  Duration connect_timeout = std::chrono::seconds(5);
  Duration request_timeout = std::chrono::seconds(30);
  std::map<std::string, std::string> headers;
  ConfigNode auth;
  ConfigNode tls;
  ConfigNode batch;
  ConfigNode retry;
};

template <class C>
void addHttpOptions(OptionTable<C>& t) {
  t.template required<std::string>("endpoint", &C::endpoint,
                                   "Base URL, http:// or https:// (host, port, optional path).")
      .oneOf("compression", &C::compression, {"auto", "none", "gzip", "zstd"},
             "Content-Encoding of request bodies; auto picks the output's usual one.")
      .template optional<int64_t>("concurrency", &C::concurrency,
                                  "Requests in flight (or waiting to be retried) at once.")
      .template optional<Duration>("connect_timeout", &C::connect_timeout,
                                   "Limit for resolving, connecting and the TLS handshake.")
      .template optional<Duration>("request_timeout", &C::request_timeout,
                                   "Limit for sending a request and reading its response.")
      .template optional<std::map<std::string, std::string>>("headers", &C::headers,
                                                             "Extra headers on every request.")
      .template optional<ConfigNode>("auth", &C::auth,
                                     "{strategy: none|basic|bearer, user, password_file, "
                                     "token_file}; secrets are read from files.")
      .template optional<ConfigNode>("tls", &C::tls,
                                     "{ca_file, cert_file, key_file, server_name, verify: true}.")
      .template optional<ConfigNode>("batch", &C::batch,
                                     "{max_bytes: 1MiB, max_events: 10000, timeout: 1s}.")
      .template optional<ConfigNode>("retry", &C::retry,
                                     "{initial_backoff: 500ms, max_backoff: 60s, max_attempts: 0 "
                                     "(forever)}.");
}

struct HttpEndpoint {
  bool tls = false;
  std::string host;
  std::string port;
  std::string base_path;  // without a trailing slash
  std::string url() const;
};
bool parseEndpoint(std::string_view url, HttpEndpoint* out, std::string* error);

// Validated settings an HTTP output runs with.
struct HttpSettings {
  HttpEndpoint endpoint;
  Compression compression = Compression::kNone;
  size_t concurrency = 4;
  Duration connect_timeout{};
  Duration request_timeout{};
  std::vector<std::pair<std::string, std::string>> headers;
  HttpAuthConfig auth;
  HttpTlsConfig tls;
  HttpBatchConfig batch;
  HttpRetryConfig retry;
};

// Parses and checks the shared options; `auto_compression` is what "auto" means for this output.
// Reports problems to `diag` with their location and returns false.
bool parseHttpSettings(const HttpOutputOptions& options, const ConfigNode& component,
                       Compression auto_compression, Diagnostics& diag, HttpSettings* out);

// The Authorization header value for `auth` ("" for none), reading the secret file now.
bool authorizationHeader(const HttpAuthConfig& auth, std::string* value, std::string* error);

}  // namespace logship
