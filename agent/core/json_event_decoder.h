#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "agent/api/batch.h"
#include "agent/api/config.h"

namespace logship {

// Restores events from JSON objects as the NDJSON-writing outputs (kafka, file, loki's JSON lines)
// produce them: `message`, `@timestamp`, `log.level`, `tier` and `correlation_id` go back into
// the event itself, every other member becomes a field, nested objects flattened to dotted names
// (`{"source":{"ip":..}}` -> `source.ip`), arrays kept as their JSON text. One parser, reused: no
// heap per event.
class JsonEventDecoder {
 public:
  explicit JsonEventDecoder(const GlobalConfig& global) : global_(global) {}

  // `payload` views into batch.raw(), with at least simdjson::SIMDJSON_PADDING readable bytes
  // after it (`capacity` counts them). On a payload that is not a JSON object the message is the
  // payload as it is, flagged kParseError, and false is returned.
  bool decode(Batch& batch, Event& event, std::string_view payload, size_t capacity);

  // Sets the member `name` (dotted) as decode() would: into the event itself for the names above,
  // else as a field. `name` is copied; a string value must already live in the batch.
  void setMember(Batch& batch, Event& event, std::string_view name, FieldValue value);

 private:
  simdjson::error_code readObject(Batch& batch, Event& event, simdjson::ondemand::object object,
                                  int depth);
  simdjson::error_code readValue(Batch& batch, Event& event, simdjson::ondemand::value value,
                                 int depth);

  const GlobalConfig& global_;
  simdjson::ondemand::parser parser_;
  std::string path_;  // the dotted name of the member being read
};

}  // namespace logship
