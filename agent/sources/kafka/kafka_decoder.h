#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "agent/api/batch.h"
#include "agent/api/config.h"

namespace logship {

// Restores events from the JSON objects the kafka output produces: `message`, `@timestamp`,
// `log.level`, `tier` and `correlation_id` go back into the event itself, every other member
// becomes a field, nested objects flattened to dotted names (`{"source":{"ip":..}}` ->
// `source.ip`), arrays kept as their JSON text. One parser, reused: no heap per event.
class KafkaJsonDecoder {
 public:
  explicit KafkaJsonDecoder(const GlobalConfig& global) : global_(global) {}

  // `payload` views into batch.raw(), with at least simdjson::SIMDJSON_PADDING readable bytes
  // after it (`capacity` counts them). On a payload that is not a JSON object the message is the
  // payload as it is, flagged kParseError, and false is returned.
  bool decode(Batch& batch, Event& event, std::string_view payload, size_t capacity);

 private:
  simdjson::error_code readObject(Batch& batch, Event& event, simdjson::ondemand::object object,
                                  int depth);
  simdjson::error_code readValue(Batch& batch, Event& event, simdjson::ondemand::value value,
                                 int depth);
  void place(Batch& batch, Event& event, FieldValue value);

  const GlobalConfig& global_;
  simdjson::ondemand::parser parser_;
  std::string path_;  // the dotted name of the member being read
};

}  // namespace logship
