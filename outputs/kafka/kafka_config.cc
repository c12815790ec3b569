#include "outputs/kafka/kafka_config.h"

#include "outputs/kafka/kafka_encoder.h"
#include "outputs/kafka/kafka_output.h"
#include "outputs/kafka/kafka_service.h"

namespace logship {

const OptionTable<KafkaOutputConfig>& KafkaOutputConfig::options() {
  static const OptionTable<KafkaOutputConfig> table = [] {
    OptionTable<KafkaOutputConfig> t;
    t.required("brokers", &KafkaOutputConfig::brokers,
               "Bootstrap brokers, comma-separated host:port.")
        .required("topic", &KafkaOutputConfig::topic,
                  "Topic template, e.g. logs.{tier}; rendered per event.")
        .optional("key", &KafkaOutputConfig::key,
                  "Message key template, e.g. {correlation_id}, so one correlation lands in one "
                  "partition; an empty rendering sends no key.")
        .optional("headers", &KafkaOutputConfig::headers,
                  "Message headers: name -> template; empty renderings are left out.")
        .oneOf("compression", &KafkaOutputConfig::compression,
               {"none", "gzip", "snappy", "lz4", "zstd"}, "Compression of message batches.")
        .optional("librdkafka", &KafkaOutputConfig::librdkafka,
                  "librdkafka producer properties passed through as they are (TLS, SASL, "
                  "batching: security.protocol, sasl.mechanisms, linger.ms, ...); they win over "
                  "the output's own settings.")
        .optional("poll_interval", &KafkaOutputConfig::poll_interval,
                  "How often delivery reports are collected while messages are in flight.")
        .optional("retry_backoff", &KafkaOutputConfig::retry_backoff,
                  "First wait before a message whose delivery failed is produced again; doubles "
                  "per consecutive failure.")
        .optional("retry_backoff_max", &KafkaOutputConfig::retry_backoff_max,
                  "Longest wait between attempts.")
        .optional("flush_timeout", &KafkaOutputConfig::flush_timeout,
                  "At shutdown, how long in-flight messages may take to be acknowledged before "
                  "they are purged (and re-read after a restart).")
        .check([](const KafkaOutputConfig& c, const ConfigNode& node, Diagnostics& diag) {
          GlobalConfig global;
          std::string error;
          if (!KafkaEncoder::create(c.topic, c.key, c.headers, global, &error)) {
            std::string_view option = std::string_view(error).substr(0, error.find(':'));
            if (option.starts_with("headers.")) option = "headers";
            diag.error(node[option].location(), error);
          }
          KafkaProducerSettings settings{c.brokers, c.compression, c.librdkafka, ""};
          std::string bad = KafkaProducer::validate(settings);
          if (!bad.empty()) {
            ConfigNode where = node["librdkafka"];
            diag.error(where.defined() ? where.location() : node.location(), bad);
          }
          if (c.brokers.empty()) diag.error(node["brokers"].location(), "brokers is empty");
          if (c.poll_interval <= Duration::zero()) {
            diag.error(node["poll_interval"].location(), "poll_interval must be positive");
          }
        });
    return t;
  }();
  return table;
}

void registerKafkaOutput(Registry& registry) {
  registry.addOutput<KafkaOutputConfig, KafkaOutput>(
      "kafka", "Produces events as JSON messages to Kafka with an idempotent producer.");
}

}  // namespace logship
