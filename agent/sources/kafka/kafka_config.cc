#include "agent/sources/kafka/kafka_config.h"

#include "agent/sources/kafka/kafka_source.h"

namespace logship {

const OptionTable<KafkaSourceConfig>& KafkaSourceConfig::options() {
  static const OptionTable<KafkaSourceConfig> table = [] {
    OptionTable<KafkaSourceConfig> t;
    t.required("brokers", &KafkaSourceConfig::brokers,
               "Bootstrap brokers, comma-separated host:port.")
        .required("topics", &KafkaSourceConfig::topics,
                  "Topics to consume; a name starting with ^ is a regular expression.")
        .required("group_id", &KafkaSourceConfig::group_id,
                  "Consumer group: agents of one group share the partitions between them.")
        .oneOf("format", &KafkaSourceConfig::format, {"json", "raw"},
               "json: messages are the JSON events the kafka output produces (fields restored, "
               "nested objects flattened to dotted names); raw: the payload is the message.")
        .oneOf("start_at", &KafkaSourceConfig::start_at, {"beginning", "end"},
               "Where to start in a partition the group has no committed offset for.")
        .optional("librdkafka", &KafkaSourceConfig::librdkafka,
                  "librdkafka consumer properties passed through as they are (TLS, SASL, "
                  "session.timeout.ms, ...).")
        .optional("batch_events", &KafkaSourceConfig::batch_events,
                  "Messages read into one batch at most.")
        .optional("batch_bytes", &KafkaSourceConfig::batch_bytes,
                  "Payload bytes read into one batch at most.")
        .optional("max_message_bytes", &KafkaSourceConfig::max_message_bytes,
                  "A longer message is cut to this, flagged log.truncated (not decoded as JSON) "
                  "and counted. librdkafka's prefetch queue is bounded at 16 MiB "
                  "(queued.max.messages.kbytes, overridable in librdkafka).")
        .optional("poll_interval", &KafkaSourceConfig::poll_interval,
                  "How often the consumer is polled when no message is waiting.")
        .optional("commit_interval", &KafkaSourceConfig::commit_interval,
                  "How often offsets of delivered messages are committed (also on a partition's "
                  "revocation and at shutdown).")
        .check([](const KafkaSourceConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.brokers.empty()) diag.error(node["brokers"].location(), "brokers is empty");
          if (c.topics.empty()) diag.error(node["topics"].location(), "topics is empty");
          if (c.group_id.empty()) diag.error(node["group_id"].location(), "group_id is empty");
          if (c.batch_events < 1) {
            diag.error(node["batch_events"].location(), "batch_events must be at least 1");
          }
          if (c.max_message_bytes.bytes < 1) {
            diag.error(node["max_message_bytes"].location(), "max_message_bytes must be positive");
          }
          std::string bad = KafkaSource::validate(c);
          if (!bad.empty()) {
            ConfigNode where = node["librdkafka"];
            diag.error(where.defined() ? where.location() : node.location(), bad);
          }
        });
    return t;
  }();
  return table;
}

void registerKafkaSource(Registry& registry) {
  registry.addSource<KafkaSourceConfig, KafkaSource>(
      "kafka", "Consumes topics in a consumer group; offsets are committed once delivered.");
}

}  // namespace logship
