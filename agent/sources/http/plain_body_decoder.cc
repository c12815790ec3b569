#include "agent/sources/http/plain_body_decoder.h"

namespace logship {

std::optional<BodyFormat> bodyFormatFor(std::string_view configured, std::string_view media_type) {
  if (configured == "ndjson") return BodyFormat::kNdjson;
  if (configured == "json") return BodyFormat::kJson;
  if (configured == "text") return BodyFormat::kText;
  if (media_type == "application/x-ndjson" || media_type == "application/jsonl" ||
      media_type == "application/x-jsonlines" || media_type == "application/ndjson") {
    return BodyFormat::kNdjson;
  }
  if (media_type == "application/json") return BodyFormat::kJson;
  if (media_type.empty() || media_type == "text/plain") return BodyFormat::kText;
  return std::nullopt;
}

namespace {

// The body's lines without their line ends; blank lines are skipped.
template <class Fn>
void forEachLine(std::string_view body, Fn fn) {
  while (!body.empty()) {
    const size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) fn(line);
  }
}

}  // namespace

std::string PlainBodyDecoder::decode(BodyFormat format, Batch& batch, int64_t now_ns,
                                     size_t* malformed) {
  *malformed = 0;
  const std::string_view body = batch.raw();
  const char* padded_end = body.data() + body.size() + simdjson::SIMDJSON_PADDING;
  std::string error;
  switch (format) {
    case BodyFormat::kText:
      forEachLine(body,
                  [&](std::string_view line) { batch.events().emplace_back().message = line; });
      break;
    case BodyFormat::kNdjson:
      forEachLine(body, [&](std::string_view line) {
        Event& e = batch.events().emplace_back();
        if (!json_.decode(batch, e, line, static_cast<size_t>(padded_end - line.data()))) {
          ++*malformed;
        }
      });
      break;
    case BodyFormat::kJson:
      error = decodeJson(batch);
      break;
  }
  if (!error.empty()) {
    batch.events().clear();
    return error;
  }
  for (Event& e : batch.events()) {
    if (e.timestamp_ns == 0) e.timestamp_ns = now_ns;
  }
  return {};
}

std::string PlainBodyDecoder::decodeJson(Batch& batch) {
  const std::string_view body = batch.raw();
  const char* padded_end = body.data() + body.size() + simdjson::SIMDJSON_PADDING;
  // One element (or the body's one object) as an event, read again by json_ from its own text.
  auto decodeObject = [&](simdjson::ondemand::object object) -> simdjson::error_code {
    std::string_view text;
    if (auto error = object.raw_json().get(text)) return error;
    Event& e = batch.events().emplace_back();
    if (!json_.decode(batch, e, text, static_cast<size_t>(padded_end - text.data()))) {
      return simdjson::TAPE_ERROR;
    }
    return simdjson::SUCCESS;
  };
  simdjson::ondemand::document doc;
  simdjson::ondemand::json_type type;
  auto error =
      outer_.iterate(body.data(), body.size(), body.size() + simdjson::SIMDJSON_PADDING).get(doc);
  if (!error) error = doc.type().get(type);
  if (!error && type == simdjson::ondemand::json_type::array) {
    simdjson::ondemand::array array;
    error = doc.get_array().get(array);
    size_t index = 0;
    // An array that failed to open (an unbalanced body) must not be iterated.
    if (!error) {
      for (auto element : array) {
        simdjson::ondemand::value value;
        simdjson::ondemand::object object;
        error = element.get(value);
        if (!error) error = value.type().get(type);
        if (error) break;
        if (type != simdjson::ondemand::json_type::object) {
          return "element " + std::to_string(index) + " of the JSON array is not an object";
        }
        error = value.get_object().get(object);
        if (!error) error = decodeObject(object);
        if (error) break;
        ++index;
      }
    }
  } else if (!error && type == simdjson::ondemand::json_type::object) {
    simdjson::ondemand::object object;
    error = doc.get_object().get(object);
    if (!error) error = decodeObject(object);
  } else if (!error) {
    return "the body is JSON but neither an object nor an array of objects";
  }
  const char* trailing = nullptr;
  if (!error && doc.current_location().get(trailing) == simdjson::SUCCESS) {
    return "the body holds more than one JSON value (send NDJSON as application/x-ndjson)";
  }
  if (error) return std::string("the body is not valid JSON: ") + simdjson::error_message(error);
  return {};
}

}  // namespace logship
