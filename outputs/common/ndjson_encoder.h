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
  };
  void writeObject(size_t lo, size_t hi, size_t prefix, std::string& out) const;
  void writeValue(const Entry& entry, std::string& out) const;

  std::vector<std::string> tier_names_;
  std::vector<Entry> entries_;
};

}  // namespace logship
