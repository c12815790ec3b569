#include "parsers/json/parse_json.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include "agent/support/timestamp.h"

namespace logship {
namespace {

using simdjson::error_code;
using simdjson::SUCCESS;
namespace ondemand = simdjson::ondemand;

using parsers::WellKnownKey;

// Per-thread state reused for every document: the On-Demand parser keeps its index buffers, and
// the padded copy buffer is only needed for lines too close to the end of their batch buffer.
struct JsonScratch {
  ondemand::parser parser;
  std::unique_ptr<char[]> buffer;
  size_t capacity = 0;
};

JsonScratch& scratch() {
  thread_local JsonScratch instance;
  return instance;
}

std::string_view trimJsonSpace(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// The JSON number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool isJsonNumber(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t begin = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > begin;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

std::string_view reasonFor(error_code error) {
  switch (error) {
    case simdjson::DEPTH_ERROR:
      return "JSON nested too deeply";
    case simdjson::UTF8_ERROR:
      return "invalid UTF-8 in JSON";
    case simdjson::CAPACITY:
    case simdjson::MEMALLOC:
      return "JSON too large";
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE:
      return "invalid JSON number";
    case simdjson::STRING_ERROR:
    case simdjson::UNESCAPED_CHARS:
      return "invalid JSON string";
    default:
      return "invalid JSON";
  }
}

// Keys applications such as pino and bunyan use for ECS fields of their own.
std::string_view ecsRename(std::string_view key) {
  if (key == "pid") return parsers::ecs::kProcessPid;
  if (key == "hostname") return parsers::ecs::kHostName;
  return key;
}

// Walks one document and writes its members into the event. Views into the parser's buffer are
// mapped back onto the event's own text, which holds the same bytes at the same offsets.
class Walker {
 public:
  Walker(Batch& batch, Event& event, const ParseJsonConfig& config, bool keep_nested,
         int32_t offset_seconds, const char* parsed, std::string_view text)
      : batch_(batch),
        event_(event),
        config_(config),
        keep_nested_(keep_nested),
        offset_seconds_(offset_seconds),
        reference_ns_(event.timestamp_ns),
        parsed_(parsed),
        text_(text),
        field_budget_(static_cast<size_t>(config.max_fields)) {}

  error_code walk(ondemand::object object, std::string_view prefix, int depth) {
    for (auto member : object) {
      ondemand::field field;
      if (error_code error = std::move(member).get(field)) return error;
      std::string_view name;
      if (error_code error = key(field, name)) return error;
      const std::string_view full = parsers::joinKey(batch_.arena(), prefix, name);
      if (error_code error = memberValue(field.value(), full, depth)) return error;
    }
    return SUCCESS;
  }

  bool messageSet() const { return message_set_; }
  size_t dropped() const { return dropped_; }

 private:
  std::string_view toText(std::string_view in_parser) const {
    return {text_.data() + (in_parser.data() - parsed_), in_parser.size()};
  }

  error_code key(ondemand::field& field, std::string_view& out) {
    const char* begin = field.key().raw();
    const char* p = begin;
    // The key is a complete string token (stage 1 matched its quotes), so the scan ends inside it.
    while (*p != '"' && *p != '\\') ++p;
    if (*p == '"') {
      out = toText({begin, static_cast<size_t>(p - begin)});
      return SUCCESS;
    }
    std::string_view unescaped;
    if (error_code error = field.unescaped_key().get(unescaped)) return error;
    out = batch_.arena().copy(unescaped);
    return SUCCESS;
  }

  error_code stringOf(ondemand::value& value, std::string_view& out) {
    const std::string_view token = trimJsonSpace(value.raw_json_token());
    if (token.size() >= 2 && token.front() == '"' && token.back() == '"' &&
        std::memchr(token.data() + 1, '\\', token.size() - 2) == nullptr) {
      out = toText(token.substr(1, token.size() - 2));
      return SUCCESS;
    }
    std::string_view unescaped;
    if (error_code error = value.get_string().get(unescaped)) return error;
    out = batch_.arena().copy(unescaped);
    return SUCCESS;
  }

  void add(std::string_view key, FieldValue value) {
    if (field_budget_ == 0 || !parsers::addFieldBounded(batch_, event_, key, value)) {
      ++dropped_;
      return;
    }
    --field_budget_;
  }

  error_code memberValue(ondemand::value value, std::string_view key, int depth) {
    ondemand::json_type type;
    if (error_code error = value.type().get(type)) return error;
    const WellKnownKey known = parsers::classifyKey(key);
    switch (type) {
      case ondemand::json_type::object: {
        ondemand::object object;
        if (error_code error = value.get_object().get(object)) return error;
        if (!keep_nested_ && depth + 1 < config_.max_depth) return walk(object, key, depth + 1);
        std::string_view raw;
        if (error_code error = object.raw_json().get(raw)) return error;
        add(key, FieldValue::string(toText(trimJsonSpace(raw))));
        return SUCCESS;
      }
      case ondemand::json_type::array: {
        ondemand::array array;
        if (error_code error = value.get_array().get(array)) return error;
        std::string_view raw;
        if (error_code error = array.raw_json().get(raw)) return error;
        add(key, FieldValue::string(toText(trimJsonSpace(raw))));
        return SUCCESS;
      }
      case ondemand::json_type::string: {
        std::string_view text;
        if (error_code error = stringOf(value, text)) return error;
        if (known != WellKnownKey::kNone && wellKnownString(known, text)) return SUCCESS;
        add(depth == 0 ? ecsRename(key) : key, FieldValue::string(text));
        return SUCCESS;
      }
      case ondemand::json_type::number: {
        const std::string_view raw = trimJsonSpace(value.raw_json_token());
        ondemand::number number;
        error_code error = value.get_number().get(number);
        if (error == simdjson::NUMBER_ERROR && isJsonNumber(raw)) {
          // Valid JSON beyond int64/uint64/double (a 30-digit id, 1e400): keep its digits.
          add(key, FieldValue::string(toText(raw)));
          return SUCCESS;
        }
        if (error) return error;
        if (known != WellKnownKey::kNone && wellKnownNumber(known, number, raw)) return SUCCESS;
        const std::string_view name = depth == 0 ? ecsRename(key) : key;
        switch (number.get_number_type()) {
          case ondemand::number_type::signed_integer:
            add(name, FieldValue::integer(number.get_int64()));
            break;
          case ondemand::number_type::unsigned_integer:
            add(name, FieldValue::real(static_cast<double>(number.get_uint64())));
            break;
          default:
            add(name, FieldValue::real(number.get_double()));
            break;
        }
        return SUCCESS;
      }
      case ondemand::json_type::boolean: {
        bool flag = false;
        if (error_code error = value.get_bool().get(flag)) return error;
        add(key, FieldValue::boolean(flag));
        return SUCCESS;
      }
      case ondemand::json_type::null: {
        bool is_null = false;
        if (error_code error = value.is_null().get(is_null)) return error;
        return is_null ? SUCCESS : simdjson::INCORRECT_TYPE;  // "nul", "nulll"
      }
    }
    return simdjson::INCORRECT_TYPE;
  }

  // True when the value was taken into the event itself rather than kept as a field.
  bool wellKnownString(WellKnownKey known, std::string_view text) {
    switch (known) {
      case WellKnownKey::kTimestamp: {
        if (timestamp_set_) return false;
        auto ns = timestamp::parseAny(text, reference_ns_, offset_seconds_);
        if (!ns) return false;
        event_.timestamp_ns = *ns;
        timestamp_set_ = true;
        return true;
      }
      case WellKnownKey::kLevel: {
        if (level_set_) return false;
        const Severity severity = parsers::severityFromLevelName(text);
        if (severity == Severity::kUnset) return false;
        event_.severity = severity;
        level_set_ = true;
        return true;
      }
      case WellKnownKey::kMessage:
        if (message_set_) return false;
        event_.message = text;
        message_set_ = true;
        return true;
      case WellKnownKey::kTraceId:
        add(parsers::ecs::kTraceId, FieldValue::string(text));
        return true;
      case WellKnownKey::kSpanId:
        add(parsers::ecs::kSpanId, FieldValue::string(text));
        return true;
      case WellKnownKey::kNone:
        break;
    }
    return false;
  }

  bool wellKnownNumber(WellKnownKey known, ondemand::number number, std::string_view raw) {
    switch (known) {
      case WellKnownKey::kTimestamp: {
        if (timestamp_set_) return false;
        auto ns = timestamp::parseEpoch(raw, timestamp::Unit::kAuto);
        if (!ns) return false;
        event_.timestamp_ns = *ns;
        timestamp_set_ = true;
        return true;
      }
      case WellKnownKey::kLevel: {
        if (level_set_ || number.get_number_type() != ondemand::number_type::signed_integer) {
          return false;
        }
        const Severity severity = parsers::severityFromLevelNumber(number.get_int64());
        if (severity == Severity::kUnset) return false;
        event_.severity = severity;
        level_set_ = true;
        return true;
      }
      default:
        return false;
    }
  }

  Batch& batch_;
  Event& event_;
  const ParseJsonConfig& config_;
  const bool keep_nested_;
  const int32_t offset_seconds_;
  const int64_t reference_ns_;
  const char* const parsed_;  // the bytes simdjson reads: text_ itself or the padded copy
  const std::string_view text_;
  size_t field_budget_;
  size_t dropped_ = 0;
  bool timestamp_set_ = false;
  bool level_set_ = false;
  bool message_set_ = false;
};

bool hasPaddingInside(std::string_view text, std::string_view buffer) {
  const auto begin = reinterpret_cast<uintptr_t>(text.data());
  const auto buffer_begin = reinterpret_cast<uintptr_t>(buffer.data());
  const auto buffer_end = buffer_begin + buffer.size();
  return begin >= buffer_begin && begin <= buffer_end &&
         text.size() + simdjson::SIMDJSON_PADDING <= buffer_end - begin;
}

}  // namespace

ParseJson::ParseJson(ParseJsonConfig config, BuildContext&)
    : config_(std::move(config)),
      keep_nested_(config_.nested == "keep"),
      offset_seconds_(parsers::parseUtcOffset(config_.timezone_offset).value_or(0)) {}

std::string_view ParseJson::parseEvent(Batch& batch, Event& event) const {
  const Event before = event;
  auto fail = [&](std::string_view reason) {
    parsers::markParseError(batch, event, before, reason);
    return reason;
  };
  const std::optional<std::string_view> input = parsers::inputText(batch, event, config_.field);
  if (!input) return fail("field to parse is missing");
  std::string_view text = *input;
  std::string_view prefix;
  if (config_.wrapped) {
    const size_t brace = text.find('{');
    if (brace == std::string_view::npos) return fail("no JSON object in line");
    prefix = parsers::trimSpaces(text.substr(0, brace));
    text.remove_prefix(brace);
  }
  text = trimJsonSpace(text);
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  if (text.empty() || text.front() != '{') return fail("not a JSON object");
  if (text.size() > config_.max_bytes.bytes) return fail("JSON larger than max_bytes");

  JsonScratch& s = scratch();
  const char* parsed = text.data();
  size_t capacity = 0;
  const std::string_view raw = batch.raw();
  if (hasPaddingInside(text, raw)) {
    // simdjson only reads the padding, and the rest of the batch buffer is readable memory.
    capacity = static_cast<size_t>(raw.data() + raw.size() - text.data());
  } else {
    const size_t needed = text.size() + simdjson::SIMDJSON_PADDING;
    if (s.capacity < needed) {
      s.capacity = std::max({needed, s.capacity * 2, size_t{4096}});
      s.buffer = std::make_unique_for_overwrite<char[]>(s.capacity);
    }
    std::memcpy(s.buffer.get(), text.data(), text.size());
    std::memset(s.buffer.get() + text.size(), ' ', simdjson::SIMDJSON_PADDING);
    parsed = s.buffer.get();
    capacity = s.capacity;
  }
  if (s.parser.capacity() < text.size()) {
    // Grow geometrically so a run of ever longer lines does not reallocate every time.
    const size_t grown = std::max({text.size(), s.parser.capacity() * 2, size_t{64} << 10});
    if (s.parser.allocate(grown) != SUCCESS) return fail("JSON too large");
  }

  ondemand::document doc;
  if (error_code error = s.parser.iterate(parsed, text.size(), capacity).get(doc)) {
    return fail(reasonFor(error));
  }
  ondemand::object object;
  if (error_code error = doc.get_object().get(object)) {
    return fail(error == simdjson::INCORRECT_TYPE ? "not a JSON object" : reasonFor(error));
  }
  const std::string_view original = event.message;
  Walker walker(batch, event, config_, keep_nested_, offset_seconds_, parsed, text);
  if (error_code error = walker.walk(object, {}, 0)) return fail(reasonFor(error));
  const char* location = nullptr;
  if (doc.current_location().get(location) != simdjson::OUT_OF_BOUNDS) {
    return fail("trailing content after JSON");
  }
  if (walker.messageSet()) {
    parsers::addFieldBounded(batch, event, parsers::ecs::kOriginal, FieldValue::string(original));
  }
  if (!prefix.empty()) {
    parsers::addFieldBounded(batch, event, parsers::ecs::kLogPrefix, FieldValue::string(prefix));
  }
  if (walker.dropped() != 0) {
    parsers::addFieldBounded(batch, event, parsers::ecs::kTruncatedFields,
                             FieldValue::integer(static_cast<int64_t>(walker.dropped())));
  }
  return {};
}

void ParseJson::process(Batch& batch, Emitter& out) {
  uint64_t errors = 0;
  for (Event& event : batch.events()) errors += !parseEvent(batch, event).empty();
  errors_.report(errors);
  out.emit(std::move(batch));
}

}  // namespace logship
