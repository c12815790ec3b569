#include "agent/sources/opentelemetry/opentelemetry_config.h"

#include "agent/sources/opentelemetry/opentelemetry_source.h"

namespace logship {

const OptionTable<OpenTelemetrySourceTlsConfig>& OpenTelemetrySourceTlsConfig::options() {
  static const OptionTable<OpenTelemetrySourceTlsConfig> table = [] {
    OptionTable<OpenTelemetrySourceTlsConfig> t;
    t.required("cert_file", &OpenTelemetrySourceTlsConfig::cert_file,
               "Server certificate chain (PEM).")
        .required("key_file", &OpenTelemetrySourceTlsConfig::key_file, "Server private key (PEM).")
        .optional("ca_file", &OpenTelemetrySourceTlsConfig::ca_file,
                  "CAs that sign client certificates (PEM), with verify_client.")
        .optional("verify_client", &OpenTelemetrySourceTlsConfig::verify_client,
                  "Require a client certificate signed by a CA of ca_file.")
        .check(
            [](const OpenTelemetrySourceTlsConfig& c, const ConfigNode& node, Diagnostics& diag) {
              if (c.verify_client && c.ca_file.empty()) {
                diag.error(node.location(), "'verify_client' needs 'ca_file'");
              }
            });
    return t;
  }();
  return table;
}

const OptionTable<OpenTelemetrySourceConfig>& OpenTelemetrySourceConfig::options() {
  static const OptionTable<OpenTelemetrySourceConfig> table = [] {
    OptionTable<OpenTelemetrySourceConfig> t;
    t.optional("address", &OpenTelemetrySourceConfig::address,
               "host:port to listen on (OTLP/HTTP's port is 4318).")
        .optional("path", &OpenTelemetrySourceConfig::path,
                  "Path the logs are posted to (OTLP/HTTP: /v1/logs).")
        .optional("token_file", &OpenTelemetrySourceConfig::token_file,
                  "File holding the Bearer token clients must send (401 without); empty: none.")
        .optional("tls", &OpenTelemetrySourceConfig::tls,
                  "{cert_file, key_file, ca_file, verify_client: false}: serve HTTPS.")
        .optional("max_body_bytes", &OpenTelemetrySourceConfig::max_body_bytes,
                  "Largest request body, before and after decompression (413 beyond).")
        .optional("max_connections", &OpenTelemetrySourceConfig::max_connections,
                  "Clients served at once; others wait to be accepted.")
        .check([](const OpenTelemetrySourceConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (!c.path.starts_with("/"))
            diag.error(node["path"].location(), "path must start with '/'");
          if (c.max_connections < 1) {
            diag.error(node["max_connections"].location(), "max_connections must be at least 1");
          }
          if (c.max_body_bytes.bytes == 0) {
            diag.error(node["max_body_bytes"].location(), "max_body_bytes must be more than 0");
          }
        });
    return t;
  }();
  return table;
}

void registerOpenTelemetrySource(Registry& registry) {
  registry.addSource<OpenTelemetrySourceConfig, OpenTelemetrySource>(
      "opentelemetry",
      "Receives OTLP/HTTP logs (protobuf or JSON) on /v1/logs; answers once every output holds "
      "them.");
}

}  // namespace logship
