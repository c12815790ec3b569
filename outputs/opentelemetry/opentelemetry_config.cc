#include "outputs/opentelemetry/opentelemetry_config.h"

#include "outputs/opentelemetry/opentelemetry_service.h"

namespace logship {

const OptionTable<OpenTelemetryConfig>& OpenTelemetryConfig::options() {
  static const OptionTable<OpenTelemetryConfig> table = [] {
    OptionTable<OpenTelemetryConfig> t;
    addHttpOptions(t);
    t.oneOf("encoding", &OpenTelemetryConfig::encoding, {"protobuf", "json"},
            "OTLP/HTTP body: protobuf (application/x-protobuf) or JSON (application/json, ids in "
            "hex).")
        .optional("path", &OpenTelemetryConfig::path, "Export path under the endpoint.")
        .optional("resource_fields", &OpenTelemetryConfig::resource_fields,
                  "Fields that go into the Resource rather than the LogRecord's attributes; "
                  "events that agree on them share one ResourceLogs.");
    return t;
  }();
  return table;
}

void registerOpenTelemetryOutput(Registry& registry) {
  registry.addOutput<OpenTelemetryConfig, OpenTelemetryOutput>(
      "opentelemetry",
      "Exports events as OTLP/HTTP logs (protobuf or JSON): message as body, log.level as "
      "severity, trace.id/span.id as trace context, resource fields as the Resource.");
}

}  // namespace logship
