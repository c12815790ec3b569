#include "outputs/kafka/kafka_encoder.h"

namespace logship {

std::optional<KafkaEncoder> KafkaEncoder::create(std::string_view topic, std::string_view key,
                                                 const std::map<std::string, std::string>& headers,
                                                 const GlobalConfig& global, std::string* error) {
  KafkaEncoder encoder(global);
  std::vector<std::string> tiers;
  for (const TierSpec& t : global.tiers) tiers.push_back(t.name);
  auto compile = [&](std::string_view option, std::string_view text, OutputTemplate& out) {
    std::string why;
    if (!out.compile(text, false, &why)) {
      *error = std::string(option) + ": " + why;
      return false;
    }
    out.setTierNames(tiers);
    return true;
  };
  if (!compile("topic", topic, encoder.topic_)) return std::nullopt;
  if (encoder.topic_.isConstant() && !validTopic(topic)) {
    *error = "topic: '" + std::string(topic) +
             "' is not a valid Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -)";
    return std::nullopt;
  }
  if (!compile("key", key, encoder.key_)) return std::nullopt;
  for (const auto& [name, text] : headers) {
    OutputTemplate header;
    if (!compile("headers." + name, text, header)) return std::nullopt;
    encoder.header_templates_.emplace_back(name, std::move(header));
  }
  return encoder;
}

KafkaRecord KafkaEncoder::encode(const Batch& batch, const Event& event) {
  buffer_.clear();
  header_ranges_.clear();
  json_.encodeEvent(batch, event, buffer_);
  buffer_.pop_back();  // the NDJSON newline
  size_t value_end = buffer_.size();
  topic_.render(batch, event, buffer_);
  size_t topic_end = buffer_.size();
  key_.render(batch, event, buffer_);
  size_t key_end = buffer_.size();
  for (auto& [name, tmpl] : header_templates_) {
    size_t begin = buffer_.size();
    tmpl.render(batch, event, buffer_);
    header_ranges_.emplace_back(begin, buffer_.size());
  }
  // Views are taken only now: rendering may have moved the buffer.
  std::string_view all = buffer_;
  headers_.clear();
  for (size_t i = 0; i < header_templates_.size(); ++i) {
    auto [begin, end] = header_ranges_[i];
    if (begin == end) continue;
    headers_.push_back({header_templates_[i].first, all.substr(begin, end - begin)});
  }
  KafkaRecord record;
  record.value = all.substr(0, value_end);
  record.topic = all.substr(value_end, topic_end - value_end);
  record.key = all.substr(topic_end, key_end - topic_end);
  record.headers = headers_.data();
  record.header_count = headers_.size();
  return record;
}

bool KafkaEncoder::validTopic(std::string_view topic) {
  if (topic.empty() || topic.size() > 249 || topic == "." || topic == "..") return false;
  for (char c : topic) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace logship
