#include "outputs/elasticsearch/elasticsearch_config.h"

#include "outputs/elasticsearch/elasticsearch_service.h"

namespace logship {

const OptionTable<ElasticsearchConfig>& ElasticsearchConfig::options() {
  static const OptionTable<ElasticsearchConfig> table = [] {
    OptionTable<ElasticsearchConfig> t;
    addHttpOptions(t);
    t.oneOf("mode", &ElasticsearchConfig::mode, {"index", "data_stream"},
            "index: `index` actions into indices; data_stream: `create` actions (required by "
            "data streams).")
        .optional("index", &ElasticsearchConfig::index,
                  "Index or data stream name template: fields in braces, %Y %m %d %H from the "
                  "event's @timestamp (UTC). Rendered names are lower-cased.")
        .optional("path", &ElasticsearchConfig::path, "Bulk API path under the endpoint.");
    return t;
  }();
  return table;
}

void registerElasticsearchOutput(Registry& registry) {
  registry.addOutput<ElasticsearchConfig, ElasticsearchOutput>(
      "elasticsearch",
      "Writes events to Elasticsearch with the _bulk API (idempotent ids, per-item retries).");
}

}  // namespace logship
