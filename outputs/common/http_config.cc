#include "outputs/common/http_config.h"

#include <cctype>
#include <charconv>

#include "agent/support/base64.h"
#include "agent/support/files.h"

namespace logship {

const OptionTable<HttpAuthConfig>& HttpAuthConfig::options() {
  static const OptionTable<HttpAuthConfig> table = [] {
    OptionTable<HttpAuthConfig> t;
    t.oneOf("strategy", &HttpAuthConfig::strategy, {"none", "basic", "bearer"}, "Auth scheme.")
        .optional("user", &HttpAuthConfig::user, "User name for basic auth.")
        .optional("password_file", &HttpAuthConfig::password_file,
                  "File holding the basic-auth password.")
        .optional("token_file", &HttpAuthConfig::token_file, "File holding the bearer token.")
        .check([](const HttpAuthConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.strategy == "basic" && (c.user.empty() || c.password_file.empty())) {
            diag.error(node.location(), "basic auth needs 'user' and 'password_file'");
          }
          if (c.strategy == "bearer" && c.token_file.empty()) {
            diag.error(node.location(), "bearer auth needs 'token_file'");
          }
        });
    return t;
  }();
  return table;
}

const OptionTable<HttpTlsConfig>& HttpTlsConfig::options() {
  static const OptionTable<HttpTlsConfig> table = [] {
    OptionTable<HttpTlsConfig> t;
    t.optional("ca_file", &HttpTlsConfig::ca_file,
               "PEM file of CAs to trust (default: the system's store).")
        .optional("cert_file", &HttpTlsConfig::cert_file, "Client certificate (PEM).")
        .optional("key_file", &HttpTlsConfig::key_file, "Client private key (PEM).")
        .optional("server_name", &HttpTlsConfig::server_name,
                  "Name to verify and send as SNI (default: the endpoint's host).")
        .optional("verify", &HttpTlsConfig::verify, "Verify the server's certificate and name.")
        .check([](const HttpTlsConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.cert_file.empty() != c.key_file.empty()) {
            diag.error(node.location(), "'cert_file' and 'key_file' go together");
          }
        });
    return t;
  }();
  return table;
}

const OptionTable<HttpBatchConfig>& HttpBatchConfig::options() {
  static const OptionTable<HttpBatchConfig> table = [] {
    OptionTable<HttpBatchConfig> t;
    t.optional("max_bytes", &HttpBatchConfig::max_bytes,
               "Cut a request at about this much uncompressed payload.")
        .optional("max_events", &HttpBatchConfig::max_events, "Cut a request at this many events.")
        .optional("timeout", &HttpBatchConfig::timeout,
                  "Send a partial request this long after its first event arrived.")
        .check([](const HttpBatchConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.max_bytes.bytes == 0 || c.max_events <= 0 || c.timeout.count() <= 0) {
            diag.error(node.location(), "batch limits must be positive");
          }
        });
    return t;
  }();
  return table;
}

const OptionTable<HttpRetryConfig>& HttpRetryConfig::options() {
  static const OptionTable<HttpRetryConfig> table = [] {
    OptionTable<HttpRetryConfig> t;
    t.optional("initial_backoff", &HttpRetryConfig::initial_backoff,
               "Upper bound of the first retry's random wait.")
        .optional("max_backoff", &HttpRetryConfig::max_backoff, "Cap of the doubling wait.")
        .optional("max_attempts", &HttpRetryConfig::max_attempts,
                  "Give up (the data stays unacknowledged) after this many attempts; 0 = never.")
        .check([](const HttpRetryConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.initial_backoff.count() <= 0 || c.max_backoff < c.initial_backoff ||
              c.max_attempts < 0) {
            diag.error(node.location(),
                       "retry needs 0 < initial_backoff <= max_backoff and max_attempts >= 0");
          }
        });
    return t;
  }();
  return table;
}

std::string HttpEndpoint::url() const {
  return std::string(tls ? "https://" : "http://") + host + ":" + port + base_path;
}

bool parseEndpoint(std::string_view url, HttpEndpoint* out, std::string* error) {
  HttpEndpoint e;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    e.tls = true;
    rest = url.substr(8);
  } else {
    *error = "endpoint '" + std::string(url) + "' must start with http:// or https://";
    return false;
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::string_view host = authority;
  std::string_view port = e.tls ? "443" : "80";
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *error = "endpoint '" + std::string(url) + "' has an unclosed '['";
      return false;
    }
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        *error = "endpoint '" + std::string(url) + "': bad port";
        return false;
      }
      port = authority.substr(close + 2);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  unsigned port_number = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (host.empty() || ec != std::errc() || p != port.data() + port.size() || port_number == 0 ||
      port_number > 65535) {
    *error = "endpoint '" + std::string(url) + "' needs a host and a port in 1..65535";
    return false;
  }
  e.host = std::string(host);
  e.port = std::string(port);
  e.base_path = std::string(path);
  *out = std::move(e);
  return true;
}

bool parseHttpSettings(const HttpOutputOptions& options, const ConfigNode& component,
                       Compression auto_compression, Diagnostics& diag, HttpSettings* out) {
  size_t errors = diag.errors().size();
  std::string error;
  ConfigNode endpoint_node = component["endpoint"];
  if (!parseEndpoint(options.endpoint, &out->endpoint, &error)) {
    diag.error(endpoint_node.defined() ? endpoint_node.location() : component.location(), error);
  }
  if (options.compression == "auto") {
    out->compression = auto_compression;
  } else {
    parseCompression(options.compression, &out->compression);
  }
  if (options.concurrency < 1 || options.concurrency > 1024) {
    diag.error(component["concurrency"].location(), "concurrency must be in 1..1024");
  }
  out->concurrency = static_cast<size_t>(options.concurrency);
  out->connect_timeout = options.connect_timeout;
  out->request_timeout = options.request_timeout;
  for (auto& [k, v] : options.headers) {
    for (char c : k) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
        diag.error(component["headers"].location(), "header name '" + k + "' is not a token");
        break;
      }
    }
    if (v.find_first_of("\r\n") != std::string::npos) {
      diag.error(component["headers"].location(), "header '" + k + "' has a line break");
    }
    out->headers.emplace_back(k, v);
  }
  static const std::vector<std::string_view> kNoReserved;
  if (options.auth.defined()) {
    out->auth = HttpAuthConfig::options().parse(options.auth, diag, kNoReserved);
  }
  if (options.tls.defined()) {
    out->tls = HttpTlsConfig::options().parse(options.tls, diag, kNoReserved);
  }
  if (options.batch.defined()) {
    out->batch = HttpBatchConfig::options().parse(options.batch, diag, kNoReserved);
  }
  if (options.retry.defined()) {
    out->retry = HttpRetryConfig::options().parse(options.retry, diag, kNoReserved);
  }
  return diag.errors().size() == errors;
}

bool authorizationHeader(const HttpAuthConfig& auth, std::string* value, std::string* error) {
  value->clear();
  std::string secret;
  if (auth.strategy == "basic") {
    if (!readSecretFile(auth.password_file, SecretForm::kLine, secret, *error)) return false;
    *value = "Basic " + base64Encode(auth.user + ":" + secret);
  } else if (auth.strategy == "bearer") {
    if (!readSecretFile(auth.token_file, SecretForm::kLine, secret, *error)) return false;
    *value = "Bearer " + secret;
  }
  return true;
}

}  // namespace logship
