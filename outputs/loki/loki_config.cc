#include "outputs/loki/loki_config.h"

#include "outputs/loki/loki_service.h"

namespace logship {

const OptionTable<LokiConfig>& LokiConfig::options() {
  static const OptionTable<LokiConfig> table = [] {
    OptionTable<LokiConfig> t;
    addHttpOptions(t);
    t.optional("labels", &LokiConfig::labels,
               "Stream labels: name -> template (`{host.name}`, `{tier}`, `{log.level}`). Names "
               "follow Loki's rules; values are cleaned, and an empty value omits the label.")
        .optional("tenant", &LokiConfig::tenant,
                  "X-Scope-OrgID: a fixed tenant or a template such as `{tier}` (one request per "
                  "tenant); empty sends no header.")
        .oneOf("encoding", &LokiConfig::encoding, {"protobuf", "json"},
               "protobuf (snappy-compressed) or JSON push bodies.")
        .oneOf("line_format", &LokiConfig::line_format, {"json", "message"},
               "The log line: the event as one JSON object (without `@timestamp`, which is the "
               "entry's own), or the raw message.")
        .optional("path", &LokiConfig::path, "Push path under the endpoint.")
        .optional("structured_metadata", &LokiConfig::structured_metadata,
                  "Structured metadata: name -> field ({user_id: user.id}), sent with each entry "
                  "whose event has the field; correlation_id and trace_id (from trace.id) are "
                  "always sent.");
    return t;
  }();
  return table;
}

void registerLokiOutput(Registry& registry) {
  registry.addOutput<LokiConfig, LokiOutput>(
      "loki", "Pushes events to Grafana Loki (protobuf + snappy or JSON), labels from templates.");
}

}  // namespace logship
