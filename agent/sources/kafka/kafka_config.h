#pragma once

#include <map>
#include <string>
#include <vector>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct KafkaSourceConfig {
  std::string brokers;
  std::vector<std::string> topics;
  std::string group_id;
  std::string format = "json";
  std::string start_at = "beginning";
  std::map<std::string, std::string> librdkafka;
  int64_t batch_events = 1000;
  ByteSize batch_bytes{1u << 20};
  ByteSize max_message_bytes{1u << 20};
  Duration poll_interval = std::chrono::milliseconds(10);
  Duration commit_interval = std::chrono::seconds(1);

  static const OptionTable<KafkaSourceConfig>& options();
};

void registerKafkaSource(Registry& registry);

}  // namespace logship
