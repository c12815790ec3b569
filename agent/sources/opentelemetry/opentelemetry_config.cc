#include "agent/sources/opentelemetry/opentelemetry_config.h"

#include "agent/sources/opentelemetry/opentelemetry_source.h"

namespace logship {

const OptionTable<OpenTelemetrySourceConfig>& OpenTelemetrySourceConfig::options() {
  static const OptionTable<OpenTelemetrySourceConfig> table = [] {
    OptionTable<OpenTelemetrySourceConfig> t;
    t.optional("address", &OpenTelemetrySourceConfig::address,
               "host:port to listen on (OTLP/HTTP's port is 4318).")
        .optional("path", &OpenTelemetrySourceConfig::path,
                  "Path the logs are posted to (OTLP/HTTP: /v1/logs).")
        .check([](const OpenTelemetrySourceConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (!c.path.starts_with("/")) {
            diag.error(node["path"].location(), "path must start with '/'");
          }
        });
    addHttpReceiverOptions(t);
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
