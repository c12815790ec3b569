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
  // Without `with_timestamp`, `@timestamp` is left out: for receivers that store it beside the line.
  explicit NdjsonEncoder(const GlobalConfig& global, bool with_timestamp = true);

  void encode(const Batch& batch, std::string& out);
  void encodeEvent(const Batch& batch, const Event& event, std::string& out);

 private:
  // Fills entries_ with everything `event` renders, in gathering order (not yet sorted); with
  // `@timestamp`, it is entry 0 and holds the nanoseconds.
  void gather(const Batch& batch, const Event& event);
  // Renders entries_ (sorted, first of equal keys kept, dotted keys nested); with `placeholders`,
  // each value is written as a NUL byte and its index in gathering order instead.
  void render(bool placeholders, std::string& out);
  void writeObject(size_t lo, size_t hi, size_t prefix, bool placeholders, std::string& out);
  void writeValue(size_t index, std::string& out);
  // Events carry one of a few key sequences (a level or a correlation id set or not...): each
  // sequence's layout is rendered once, with placeholders, then filled in with each event's values.
  struct Layout {
    std::string key_text;             // the key sequence, in gathering order, concatenated
    std::vector<uint32_t> key_sizes;  // (the events' keys may live in a batch: copied here)
    std::vector<std::string> pieces;     // literal text before each value, then the tail
    std::vector<uint8_t> slots;          // entries_ index of each value, in output order
  };
  const Layout& layoutForEntries();
  void appendTimestampCached(int64_t ns, std::string& out);
  // Renders the batch's shared values once for all its events.
  void useSharedFieldsOf(const Batch& batch);

  std::vector<std::string> tier_names_;
  bool with_timestamp_;
  std::vector<Field> entries_;
  std::vector<uint32_t> order_;  // entries_ indices, sorted by key
  std::vector<Layout> layouts_;  // most recently used first
  int64_t cached_ns_ = -1;
  std::string cached_timestamp_;
  // The shared fields of the batch last encoded (by id and count: a batch only gains fields),
  // rendered; they sit at entries_[shared_begin_...] in gathering order.
  uint64_t shared_batch_id_ = 0;
  size_t shared_count_ = 0;
  bool shared_from_file_ = false;
  std::vector<std::string> shared_rendered_;
  size_t shared_begin_ = 0;
};

}  // namespace logship
