#pragma once

#include <string>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/config.h"

namespace logship {

// Renders events as one JSON object per line, as CONFIG.md defines for the file and console
// outputs: dotted field names nested as objects, `@timestamp` in RFC 3339, the raw line in
// `message`, plus `log.level`, `tier` and `correlation_id` when a stage set them. Reuses its
// scratch space, so encoding allocates nothing once warm.
class NdjsonEncoder {
 public:
  explicit NdjsonEncoder(const GlobalConfig& global);

  void encode(const Batch& batch, std::string& out);
  void encodeEvent(const Batch& batch, const Event& event, std::string& out);

 private:
  struct Entry {
    std::string_view key;
    FieldValue value;
    bool is_timestamp = false;
    char placeholder = 0;  // in a skeleton: 'T' timestamp, 'M' message, 'O' offset
  };
  // Fills entries_ with everything `event` renders, sorted, duplicates removed.
  void collect(const Batch& batch, const Event& event, bool skeleton);
  void writeObject(size_t lo, size_t hi, size_t prefix, std::string& out) const;
  void writeValue(const Entry& entry, std::string& out) const;
  // Events with nothing of their own but a timestamp, message and offset (raw lines) share one
  // layout per batch: rendered once with placeholders, then filled in per event.
  static bool plain(const Event& event) {
    return event.field_count == 0 && event.severity == Severity::kUnset &&
           event.tier == kNoTier && event.correlation_id.empty() && event.flags == 0;
  }
  void buildSkeleton(const Batch& batch, const Event& event);
  void appendTimestampCached(int64_t ns, std::string& out);

  std::vector<std::string> tier_names_;
  std::vector<Entry> entries_;
  std::vector<std::string> skeleton_;  // literal pieces between placeholders
  std::string skeleton_order_;         // the placeholders, in output order
  int64_t cached_ns_ = -1;
  std::string cached_timestamp_;
};

}  // namespace logship
