#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/config.h"
#include "outputs/common/ndjson_encoder.h"
#include "outputs/common/template.h"

namespace logship {

struct KafkaHeader {
  std::string_view name;
  std::string_view value;
};

// One Kafka message for one event. Views stay valid until the encoder's next encode().
struct KafkaRecord {
  std::string_view topic;
  std::string_view key;  // empty: no key (the partitioner spreads such messages)
  std::string_view value;
  const KafkaHeader* headers = nullptr;
  size_t header_count = 0;
};

// Turns an event into a Kafka message: the value is the event as one JSON object (the NDJSON line
// without its newline), topic and key come from templates, headers from a name -> template map
// (a header whose rendering is empty is left out). Templates are those of
// outputs/common/template.h. Reuses its buffers: no allocation once warm.
class KafkaEncoder {
 public:
  // Reports a template error as "<option>: <why>" in `error` and returns nullopt.
  static std::optional<KafkaEncoder> create(std::string_view topic, std::string_view key,
                                            const std::map<std::string, std::string>& headers,
                                            const GlobalConfig& global, std::string* error);

  KafkaRecord encode(const Batch& batch, const Event& event);

  // Kafka's rule for topic names: 1..249 of [a-zA-Z0-9._-], neither "." nor "..".
  static bool validTopic(std::string_view topic);

 private:
  explicit KafkaEncoder(const GlobalConfig& global) : json_(global) {}

  NdjsonEncoder json_;
  OutputTemplate topic_;
  OutputTemplate key_;
  std::vector<std::pair<std::string, OutputTemplate>> header_templates_;
  std::string buffer_;
  std::vector<KafkaHeader> headers_;
  std::vector<std::pair<size_t, size_t>> header_ranges_;
};

}  // namespace logship
