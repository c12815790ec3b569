#include "agent/core/http_receiver_config.h"

#include <string_view>
#include <vector>

namespace logship {

namespace {
const std::vector<std::string_view> kNoReserved;
}  // namespace

const OptionTable<HttpReceiverAuthConfig>& HttpReceiverAuthConfig::options() {
  static const OptionTable<HttpReceiverAuthConfig> table = [] {
    OptionTable<HttpReceiverAuthConfig> t;
    t.required("token_file", &HttpReceiverAuthConfig::token_file,
               "File holding the bearer token clients must send.");
    return t;
  }();
  return table;
}

void checkHttpReceiverOptions(const HttpReceiverOptions& c, const ConfigNode& node,
                              Diagnostics& diag) {
  if (c.max_body_bytes.bytes < 1) {
    diag.error(node["max_body_bytes"].location(), "max_body_bytes must be positive");
  }
  if (c.max_connections < 1) {
    diag.error(node["max_connections"].location(), "max_connections must be at least 1");
  }
  if (c.idle_timeout.count() <= 0) {
    diag.error(node["idle_timeout"].location(), "idle_timeout must be positive");
  }
  if (c.tls.defined()) ServerTlsConfig::options().parse(c.tls, diag, kNoReserved);
  if (c.auth.defined()) HttpReceiverAuthConfig::options().parse(c.auth, diag, kNoReserved);
}

HttpReceiverSettings httpReceiverSettings(const HttpReceiverOptions& options,
                                          std::string* token_file) {
  // The option table checked them already; errors here were reported there.
  Diagnostics ignored;
  HttpReceiverSettings settings;
  if (options.tls.defined()) {
    ServerTlsConfig tls = ServerTlsConfig::options().parse(options.tls, ignored, {});
    settings.tls_cert_file = tls.cert_file;
    settings.tls_key_file = tls.key_file;
    settings.tls_ca_file = tls.ca_file;
    settings.tls_verify_client = tls.verify_client;
  }
  token_file->clear();
  if (options.auth.defined()) {
    *token_file = HttpReceiverAuthConfig::options().parse(options.auth, ignored, {}).token_file;
  }
  settings.max_body_bytes = options.max_body_bytes.bytes;
  settings.max_connections = static_cast<size_t>(options.max_connections);
  settings.idle_timeout = options.idle_timeout;
  settings.keep_alive = options.keep_alive;
  return settings;
}

}  // namespace logship
