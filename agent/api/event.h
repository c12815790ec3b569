#pragma once

#include <cstdint>
#include <string_view>

namespace logship {

// The normalised levels of CONFIG.md's `log.level`; kUnset when no stage assigned one.
enum class Severity : uint8_t { kUnset = 0, kDebug, kInfo, kLow, kMedium, kHigh, kCritical };

std::string_view toString(Severity severity);
// Accepts the six normalised names; returns kUnset for anything else.
Severity severityFromName(std::string_view name);

struct FieldValue {
  enum class Kind : uint8_t { kString, kInt, kDouble, kBool };
  Kind kind = Kind::kString;
  union {
    int64_t int_value;
    double double_value;
    bool bool_value;
  };
  std::string_view string_value;

  FieldValue() : int_value(0) {}
  static FieldValue string(std::string_view v) {
    FieldValue f;
    f.string_value = v;
    return f;
  }
  static FieldValue integer(int64_t v) {
    FieldValue f;
    f.kind = Kind::kInt;
    f.int_value = v;
    return f;
  }
  static FieldValue real(double v) {
    FieldValue f;
    f.kind = Kind::kDouble;
    f.double_value = v;
    return f;
  }
  static FieldValue boolean(bool v) {
    FieldValue f;
    f.kind = Kind::kBool;
    f.bool_value = v;
    return f;
  }
};

// A named value. Keys use Elastic Common Schema dotted names (`source.ip`); both key and string
// value are views into the batch (raw buffer, arena, or static storage).
struct Field {
  std::string_view key;
  FieldValue value;
};

inline constexpr uint8_t kNoTier = 0xff;

// One log event: views into its batch plus a flat, arena-backed field array. Trivially copyable and
// never owns memory, so building millions of them costs no allocation.
struct Event {
  int64_t timestamp_ns = 0;
  std::string_view message;
  uint64_t offset = 0;  // where the event's first byte sits in its source stream
  Field* fields = nullptr;
  uint16_t field_count = 0;
  uint16_t field_capacity = 0;
  Severity severity = Severity::kUnset;
  uint8_t tier = kNoTier;  // index into the configured tiers
  uint8_t flags = 0;
  std::string_view correlation_id;

  static constexpr uint8_t kTruncated = 1;     // the line exceeded max_line_bytes
  static constexpr uint8_t kParseError = 2;    // a parser could not read it; raw message kept
  static constexpr uint8_t kAlert = 4;         // produced by a detection rule

  const Field* findField(std::string_view key) const {
    for (uint16_t i = 0; i < field_count; ++i) {
      if (fields[i].key == key) return &fields[i];
    }
    return nullptr;
  }
};

}  // namespace logship
