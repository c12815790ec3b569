#include "parsers/common/parser_support.h"

#include <charconv>
#include <cstring>
#include <mutex>
#include <set>

#include "agent/support/ascii.h"

namespace logship::parsers {
namespace {

constexpr bool isDigit(char c) { return c >= '0' && c <= '9'; }

struct LevelName {
  std::string_view name;
  Severity severity;
};

// Lower-case spellings; compared case-insensitively.
constexpr LevelName kLevelNames[] = {
    {"info", Severity::kInfo},
    {"error", Severity::kHigh},
    {"warn", Severity::kMedium},
    {"warning", Severity::kMedium},
    {"debug", Severity::kDebug},
    {"trace", Severity::kDebug},
    {"notice", Severity::kLow},
    {"err", Severity::kHigh},
    {"fatal", Severity::kCritical},
    {"critical", Severity::kCritical},
    {"crit", Severity::kCritical},
    {"emerg", Severity::kCritical},
    {"emergency", Severity::kCritical},
    {"alert", Severity::kCritical},
    {"panic", Severity::kCritical},
    {"information", Severity::kInfo},
    {"informational", Severity::kInfo},
    {"verbose", Severity::kDebug},
    {"high", Severity::kHigh},
    {"medium", Severity::kMedium},
    {"low", Severity::kLow},
};

}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  }
  return true;
}

std::string_view trimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

Severity severityFromLevelName(std::string_view text) {
  text = trimSpaces(text);
  if (text.empty() || text.size() > 13) return Severity::kUnset;
  if (isDigit(text[0])) {
    int64_t number = 0;
    return parseInt64(text, number) ? severityFromLevelNumber(number) : Severity::kUnset;
  }
  for (const LevelName& level : kLevelNames) {
    if (equalsIgnoreCase(text, level.name)) return level.severity;
  }
  return Severity::kUnset;
}

Severity severityFromLevelNumber(int64_t level) {
  if (level >= 0 && level <= 7) return severityFromSyslog(static_cast<int>(level));
  if (level < 10) return Severity::kUnset;
  if (level < 30) return Severity::kDebug;  // bunyan trace 10, debug 20
  if (level < 40) return Severity::kInfo;
  if (level < 50) return Severity::kMedium;
  if (level < 60) return Severity::kHigh;
  if (level <= 100) return Severity::kCritical;
  return Severity::kUnset;
}

Severity severityFromSyslog(int code) {
  switch (code) {
    case 0:
    case 1:
    case 2:
      return Severity::kCritical;
    case 3:
      return Severity::kHigh;
    case 4:
      return Severity::kMedium;
    case 5:
      return Severity::kLow;
    case 6:
      return Severity::kInfo;
    case 7:
      return Severity::kDebug;
    default:
      return Severity::kUnset;
  }
}

std::optional<int32_t> parseUtcOffset(std::string_view text) {
  text = trimSpaces(text);
  if (text.empty() || equalsIgnoreCase(text, "utc") || equalsIgnoreCase(text, "z") ||
      equalsIgnoreCase(text, "gmt")) {
    return 0;
  }
  if (text[0] != '+' && text[0] != '-') return std::nullopt;
  const int sign = text[0] == '-' ? -1 : 1;
  text.remove_prefix(1);
  auto twoDigits = [](std::string_view s, int& out) {
    if (s.empty() || s.size() > 2) return false;
    out = 0;
    for (char c : s) {
      if (!isDigit(c)) return false;
      out = out * 10 + (c - '0');
    }
    return true;
  };
  int hours = 0;
  int minutes = 0;
  const size_t colon = text.find(':');
  bool ok = false;
  if (colon != std::string_view::npos) {
    ok = twoDigits(text.substr(0, colon), hours) && text.size() - colon - 1 == 2 &&
         twoDigits(text.substr(colon + 1), minutes);
  } else if (text.size() == 4) {
    ok = twoDigits(text.substr(0, 2), hours) && twoDigits(text.substr(2), minutes);
  } else {
    ok = twoDigits(text, hours);
  }
  if (!ok || minutes > 59 || hours * 60 + minutes > 18 * 60) return std::nullopt;
  return sign * (hours * 3600 + minutes * 60);
}

void checkUtcOffsetOption(const std::string& value, const ConfigNode& component,
                          Diagnostics& diag) {
  if (!parseUtcOffset(value)) {
    ConfigNode node = component["timezone_offset"];
    diag.error(node.defined() ? node.location() : component.location(),
               "timezone_offset '" + value + "' is not UTC or +hh:mm / -hh:mm");
  }
}

bool parseInt64(std::string_view text, int64_t& out) {
  if (text.empty()) return false;
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (*begin == '+') ++begin;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end) return false;
  out = value;
  return true;
}

bool parseDouble(std::string_view text, double& out) {
  if (text.empty()) return false;
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (*begin == '+') ++begin;
  double value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end) return false;
  out = value;
  return true;
}

bool parseBool(std::string_view text, bool& out) {
  for (std::string_view yes : {"true", "yes", "on", "1"}) {
    if (equalsIgnoreCase(text, yes)) {
      out = true;
      return true;
    }
  }
  for (std::string_view no : {"false", "no", "off", "0"}) {
    if (equalsIgnoreCase(text, no)) {
      out = false;
      return true;
    }
  }
  return false;
}

std::string_view joinKey(Arena& arena, std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return name;
  const size_t size = prefix.size() + 1 + name.size();
  char* p = static_cast<char*>(arena.allocate(size, 1));
  std::memcpy(p, prefix.data(), prefix.size());
  p[prefix.size()] = '.';
  if (!name.empty()) std::memcpy(p + prefix.size() + 1, name.data(), name.size());
  return {p, size};
}

std::optional<std::string_view> inputText(const Batch& batch, const Event& event,
                                          std::string_view field) {
  if (field.empty()) return event.message;
  const Field* f = batch.findField(event, field);
  if (f == nullptr || f->value.kind != FieldValue::Kind::kString) return std::nullopt;
  return f->value.string_value;
}

WellKnownKey classifyKey(std::string_view key) {
  if (key.empty() || key.size() > 10) return WellKnownKey::kNone;
  switch (key[0]) {
    case '@':
      if (key == "@timestamp") return WellKnownKey::kTimestamp;
      break;
    case 't':
      if (key == "time" || key == "timestamp" || key == "ts") return WellKnownKey::kTimestamp;
      if (key == "trace_id" || key == "traceId" || key == "trace.id") return WellKnownKey::kTraceId;
      break;
    case 'l':
      if (key == "level" || key == "lvl" || key == "log.level") return WellKnownKey::kLevel;
      break;
    case 's':
      if (key == "severity") return WellKnownKey::kLevel;
      if (key == "span_id" || key == "spanId" || key == "span.id") return WellKnownKey::kSpanId;
      break;
    case 'm':
      if (key == "msg" || key == "message") return WellKnownKey::kMessage;
      break;
    default:
      break;
  }
  return WellKnownKey::kNone;
}

std::string_view internString(std::string_view text) {
  static std::mutex mutex;
  static std::set<std::string, std::less<>> strings;  // never shrinks: node-based, views stay valid
  std::lock_guard lock(mutex);
  auto it = strings.find(text);
  if (it == strings.end()) it = strings.emplace(text).first;
  return *it;
}

std::string_view eventString(const Event& event, std::string_view key) {
  const Field* f = event.findField(key);
  if (f == nullptr || f->value.kind != FieldValue::Kind::kString) return {};
  return f->value.string_value;
}

void markParseError(Batch& batch, Event& event, const Event& before, std::string_view reason) {
  event = before;
  event.flags |= Event::kParseError;
  batch.setField(event, ecs::kParseError, FieldValue::string(reason));
}

}  // namespace logship::parsers
