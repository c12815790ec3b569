#pragma once

// What every parse_* transform shares: ECS field names, level normalisation, the parse-error
// protocol (raw message kept, `event.parse_error` set, counted, shipped) and small allocation-free
// text helpers. Nothing here allocates on the heap per event.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/api/batch.h"
#include "agent/api/component.h"
#include "agent/api/config.h"

namespace logship::parsers {

// Elastic Common Schema names written by the parsers. Static storage, so events view them freely.
namespace ecs {
inline constexpr std::string_view kParseError = "event.parse_error";
inline constexpr std::string_view kOriginal = "event.original";
inline constexpr std::string_view kCategory = "event.category";
inline constexpr std::string_view kAction = "event.action";
inline constexpr std::string_view kOutcome = "event.outcome";
inline constexpr std::string_view kUserName = "user.name";
inline constexpr std::string_view kUserTargetName = "user.target.name";
inline constexpr std::string_view kSourceIp = "source.ip";
inline constexpr std::string_view kSourcePort = "source.port";
inline constexpr std::string_view kSourceDomain = "source.domain";
inline constexpr std::string_view kProcessPid = "process.pid";
inline constexpr std::string_view kProcessName = "process.name";
inline constexpr std::string_view kProcessCommandLine = "process.command_line";
inline constexpr std::string_view kProcessThreadName = "process.thread.name";
inline constexpr std::string_view kHostName = "host.name";
inline constexpr std::string_view kTraceId = "trace.id";
inline constexpr std::string_view kSpanId = "span.id";
inline constexpr std::string_view kGroupName = "group.name";
inline constexpr std::string_view kLogLogger = "log.logger";
inline constexpr std::string_view kLogPrefix = "log.prefix";
// More fields were found than the parser's max_fields; the value is how many were left out.
inline constexpr std::string_view kTruncatedFields = "log.truncated_fields";
}  // namespace ecs

// Where parse_syslog leaves the message body (`message` keeps the raw line, see CONFIG.md), and
// where parse_auth looks for it.
inline constexpr std::string_view kSyslogMessageField = "syslog.message";

// Level names as applications write them, case-insensitively: fatal/panic/emerg/alert/crit/
// critical -> critical, error/err -> high, warn/warning -> medium, notice -> low,
// info/informational -> info, debug/trace/verbose -> debug, the six normalised names themselves,
// and decimal numbers (see severityFromLevelNumber). kUnset when unknown.
Severity severityFromLevelName(std::string_view text);

// Syslog severities 0-7 (0-2 critical, 3 high, 4 medium, 5 low, 6 info, 7 debug) and bunyan/pino
// levels 10-60 (trace 10, debug 20, info 30, warn 40, error 50, fatal 60; in-between values
// round down). kUnset for anything else.
Severity severityFromLevelNumber(int64_t level);

// RFC 5424 severity code (0..7) to the normalised level; kUnset when out of range.
Severity severityFromSyslog(int code);

// "UTC", "Z", "+02:00", "-0530", "+2" -> offset in seconds east of UTC; nullopt when malformed or
// beyond +-18 hours.
std::optional<int32_t> parseUtcOffset(std::string_view text);

// Option-table check for a `timezone_offset` option.
void checkUtcOffsetOption(const std::string& value, const ConfigNode& component, Diagnostics& diag);

// Whole-text conversions; false (out untouched) on anything else, including overflow.
bool parseInt64(std::string_view text, int64_t& out);
bool parseDouble(std::string_view text, double& out);
// true/false/yes/no/on/off/1/0, case-insensitive.
bool parseBool(std::string_view text, bool& out);

bool equalsIgnoreCase(std::string_view a, std::string_view b);
std::string_view trimSpaces(std::string_view text);

// "prefix.name" in the arena; `name` alone when prefix is empty (no copy then).
std::string_view joinKey(Arena& arena, std::string_view prefix, std::string_view name);

// The text a parser reads from an event: its message, or the string value of `field` (nullopt
// when the field is missing or not a string).
std::optional<std::string_view> inputText(const Batch& batch, const Event& event,
                                          std::string_view field);

// Keys applications use for the values logship keeps outside the field list.
enum class WellKnownKey : uint8_t { kNone, kTimestamp, kLevel, kMessage, kTraceId, kSpanId };
// "@timestamp", "time", "timestamp", "ts" | "level", "severity", "lvl", "log.level" |
// "msg", "message" | "trace_id", "traceId", "trace.id" | "span_id", "spanId", "span.id".
WellKnownKey classifyKey(std::string_view key);

// Which of the event's own members a key/value parser has set from the line already: the first
// timestamp, level and message win.
struct WellKnownSeen {
  bool timestamp = false;
  bool level = false;
  bool message = false;
};

// Applies `value` found under a key of kind `kind`: sets the event's timestamp (through
// `parse_time`), severity or message the first time, or renames trace and span ids. Returns the
// key to store the value under as an ordinary field, or nullopt when the event took it.
template <class ParseTime>
std::optional<std::string_view> applyWellKnown(WellKnownKey kind, std::string_view key,
                                               std::string_view value, Event& event,
                                               WellKnownSeen& seen, ParseTime&& parse_time) {
  switch (kind) {
    case WellKnownKey::kTimestamp:
      if (!seen.timestamp) {
        if (std::optional<int64_t> ns = parse_time(value)) {
          event.timestamp_ns = *ns;
          seen.timestamp = true;
          return std::nullopt;
        }
      }
      break;
    case WellKnownKey::kLevel:
      if (!seen.level) {
        const Severity severity = severityFromLevelName(value);
        if (severity != Severity::kUnset) {
          event.severity = severity;
          seen.level = true;
          return std::nullopt;
        }
      }
      break;
    case WellKnownKey::kMessage:
      if (!seen.message) {
        event.message = value;
        seen.message = true;
        return std::nullopt;
      }
      break;
    case WellKnownKey::kTraceId:
      return ecs::kTraceId;
    case WellKnownKey::kSpanId:
      return ecs::kSpanId;
    case WellKnownKey::kNone:
      break;
  }
  return key;
}

// Field count above which parsers stop adding fields to one event (Event::field_count is 16-bit).
inline constexpr uint16_t kMaxFieldsPerEvent = 4096;

// Reports at `node`'s max_fields when `max_fields` lies outside [least, kMaxFieldsPerEvent].
inline void checkMaxFields(int64_t max_fields, int64_t least, const ConfigNode& node,
                           Diagnostics& diag) {
  if (max_fields < least || max_fields > kMaxFieldsPerEvent) {
    diag.error(node["max_fields"].location(), "max_fields must be between " +
                                                  std::to_string(least) + " and " +
                                                  std::to_string(kMaxFieldsPerEvent));
  }
}

// Appends a field unless the event already holds kMaxFieldsPerEvent; false when it was left out.
inline bool addFieldBounded(Batch& batch, Event& event, std::string_view key, FieldValue value) {
  if (event.field_count >= kMaxFieldsPerEvent) return false;
  batch.addField(event, key, value);
  return true;
}

// A copy of `text` in storage that lives as long as the process: for field names taken from the
// config, which events (and batches outliving a reloaded transform) keep viewing. Config-time only.
std::string_view internString(std::string_view text);

// The string value of an event's own field (not the batch's shared ones), or empty.
std::string_view eventString(const Event& event, std::string_view key);

// Restores an event a parser gave up on halfway and flags it: the raw message stays, the fields
// added since `before` go, `event.parse_error` holds the reason (static storage or batch arena).
void markParseError(Batch& batch, Event& event, const Event& before, std::string_view reason);

// Counts events a parser could not read, in `logship_component_discarded_events_total` with
// reason "parse_error" (labelled with the component id and type, i.e. the parser's name). The
// events themselves are shipped.
class ParseErrorCounter {
 public:
  void start(ComponentContext& context) { metrics_ = &context.metrics(); }
  void report(uint64_t errors) {
    if (errors != 0 && metrics_ != nullptr) metrics_->discarded("parse_error", errors);
  }

 private:
  ComponentMetrics* metrics_ = nullptr;
};

}  // namespace logship::parsers
