#include "agent/core/event_restore.h"

#include "agent/support/timestamp.h"

namespace logship {

void restoreField(const GlobalConfig& global, Batch& batch, Event& event, std::string_view name,
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
      int tier = global.tierIndex(value.string_value);
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
