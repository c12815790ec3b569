#include "agent/core/json_event_decoder.h"

#include "agent/support/timestamp.h"

namespace logship {

namespace {
// Deeper nesting is kept as JSON text rather than recursing on untrusted input.
constexpr int kMaxDepth = 32;
}  // namespace

bool JsonEventDecoder::decode(Batch& batch, Event& event, std::string_view payload,
                              size_t capacity) {
  event.message = payload;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  path_.clear();
  simdjson::error_code error = parser_.iterate(payload.data(), payload.size(), capacity).get(doc);
  if (!error) error = doc.get_object().get(object);
  if (!error) error = readObject(batch, event, object, 0);
  if (error) {
    // Whatever was read before the error goes: the event is the raw payload.
    event = Event{};
    event.message = payload;
    event.flags |= Event::kParseError;
    return false;
  }
  return true;
}

simdjson::error_code JsonEventDecoder::readObject(Batch& batch, Event& event,
                                                  simdjson::ondemand::object object, int depth) {
  size_t prefix = path_.size();
  for (auto member : object) {
    std::string_view key;
    if (auto error = member.unescaped_key().get(key)) return error;
    path_.resize(prefix);
    if (prefix) path_.push_back('.');
    path_.append(key);
    simdjson::ondemand::value value;
    if (auto error = member.value().get(value)) return error;
    if (auto error = readValue(batch, event, value, depth)) return error;
  }
  path_.resize(prefix);
  return simdjson::SUCCESS;
}

simdjson::error_code JsonEventDecoder::readValue(Batch& batch, Event& event,
                                                 simdjson::ondemand::value value, int depth) {
  simdjson::ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case simdjson::ondemand::json_type::object: {
      simdjson::ondemand::object object;
      if (auto error = value.get_object().get(object)) return error;
      if (depth + 1 < kMaxDepth) return readObject(batch, event, object, depth + 1);
      std::string_view raw;
      if (auto error = object.raw_json().get(raw)) return error;
      setMember(batch, event, path_, FieldValue::string(batch.arena().copy(raw)));
      return simdjson::SUCCESS;
    }
    case simdjson::ondemand::json_type::array: {
      simdjson::ondemand::array array;
      if (auto error = value.get_array().get(array)) return error;
      std::string_view raw;
      if (auto error = array.raw_json().get(raw)) return error;
      setMember(batch, event, path_, FieldValue::string(batch.arena().copy(raw)));
      return simdjson::SUCCESS;
    }
    case simdjson::ondemand::json_type::string: {
      std::string_view s;
      if (auto error = value.get_string().get(s)) return error;
      setMember(batch, event, path_, FieldValue::string(batch.arena().copy(s)));
      return simdjson::SUCCESS;
    }
    case simdjson::ondemand::json_type::number: {
      simdjson::ondemand::number_type kind;
      if (auto error = value.get_number_type().get(kind)) return error;
      if (kind == simdjson::ondemand::number_type::signed_integer) {
        int64_t i;
        if (auto error = value.get_int64().get(i)) return error;
        setMember(batch, event, path_, FieldValue::integer(i));
      } else {
        double d;
        if (auto error = value.get_double().get(d)) return error;
        setMember(batch, event, path_, FieldValue::real(d));
      }
      return simdjson::SUCCESS;
    }
    case simdjson::ondemand::json_type::boolean: {
      bool b;
      if (auto error = value.get_bool().get(b)) return error;
      setMember(batch, event, path_, FieldValue::boolean(b));
      return simdjson::SUCCESS;
    }
    case simdjson::ondemand::json_type::null: {
      bool is_null;
      return value.is_null().get(is_null);
    }
  }
  return simdjson::INCORRECT_TYPE;
}

void JsonEventDecoder::setMember(Batch& batch, Event& event, std::string_view name,
                                 FieldValue value) {
  bool is_string = value.kind == FieldValue::Kind::kString;
  if (is_string) {
    if (name == "message") {
      event.message = value.string_value;
      return;
    }
    if (name == "@timestamp") {
      if (auto ns = timestamp::parseRfc3339(value.string_value)) {
        event.timestamp_ns = *ns;
        return;
      }
    } else if (name == "log.level") {
      Severity s = severityFromName(value.string_value);
      if (s != Severity::kUnset) {
        event.severity = s;
        return;
      }
    } else if (name == "tier") {
      int tier = global_.tierIndex(value.string_value);
      if (tier >= 0 && tier < kNoTier) {
        event.tier = static_cast<uint8_t>(tier);
        return;
      }
    } else if (name == "correlation_id") {
      event.correlation_id = value.string_value;
      return;
    }
  } else if (name == "log.truncated" && value.kind == FieldValue::Kind::kBool) {
    if (value.bool_value) event.flags |= Event::kTruncated;
    return;
  }
  batch.addField(event, batch.arena().copy(name), value);
}

}  // namespace logship
