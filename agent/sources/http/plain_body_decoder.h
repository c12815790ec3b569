#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "agent/api/batch.h"
#include "agent/api/config.h"
#include "agent/core/json_event_decoder.h"

namespace logship {

enum class BodyFormat { kNdjson, kJson, kText };

// The format a body is read in: `configured` (ndjson, json, text), or for "auto" the one its
// media type names (nullopt: a media type the source does not read).
std::optional<BodyFormat> bodyFormatFor(std::string_view configured, std::string_view media_type);

// Turns a POSTed body into events: NDJSON (one JSON object a line), one JSON object or an array
// of them, or text lines (each line an event, the line its message). Blank lines are skipped;
// events without `@timestamp` take `now_ns`.
class PlainBodyDecoder {
 public:
  explicit PlainBodyDecoder(const GlobalConfig& global) : json_(global) {}

  // `batch.raw()` is the body, followed by simdjson's padding. Returns "" when read, else what is
  // wrong with the body (the request is then refused whole, nothing emitted). An NDJSON line that
  // is no JSON object is kept as its message, flagged kParseError, and counted in `malformed`.
  std::string decode(BodyFormat format, Batch& batch, int64_t now_ns, size_t* malformed);

 private:
  std::string decodeJson(Batch& batch);

  JsonEventDecoder json_;
  simdjson::ondemand::parser outer_;  // the body's array, while json_ reads each element
};

}  // namespace logship
