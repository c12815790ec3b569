#pragma once

#include <map>
#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct KafkaOutputConfig {
  std::string brokers;
  std::string topic;
  std::string key;
  std::map<std::string, std::string> headers{
      {"host", "{host.name}"}, {"severity", "{log.level}"}, {"tier", "{tier}"}};
  std::string compression = "zstd";
  std::map<std::string, std::string> librdkafka;
  Duration poll_interval = std::chrono::milliseconds(5);
  Duration retry_backoff = std::chrono::milliseconds(500);
  Duration retry_backoff_max = std::chrono::seconds(30);
  Duration flush_timeout = std::chrono::seconds(5);

  static const OptionTable<KafkaOutputConfig>& options();
};

void registerKafkaOutput(Registry& registry);

}  // namespace logship
