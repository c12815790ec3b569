#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/ack.h"
#include "agent/api/arena.h"
#include "agent/api/event.h"

namespace logship {

// A number no other live or earlier batch of the process carries: what encoders key per-batch
// caches by, where an address could be reused by the next batch. The batch moved from takes a new
// one, since it may be filled again.
class BatchId {
 public:
  BatchId() : value_(next()) {}
  BatchId(BatchId&& other) noexcept : value_(std::exchange(other.value_, next())) {}
  BatchId& operator=(BatchId&& other) noexcept {
    value_ = std::exchange(other.value_, next());
    return *this;
  }
  uint64_t value() const { return value_; }

 private:
  static uint64_t next() {
    static std::atomic<uint64_t> counter{0};
    return counter.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  uint64_t value_;
};

// The unit of work: one raw buffer read from a source, the events that view into it, an arena for
// what stages derive, fields common to every event, and one acknowledgement. Move-only. After the
// last transform it is frozen and shared read-only with every output (SharedBatch).
class Batch {
 public:
  Batch() = default;
  Batch(std::unique_ptr<char[]> raw, size_t raw_size, AckToken ack)
      : raw_(std::move(raw)), raw_size_(raw_size), ack_(std::move(ack)) {}
  Batch(Batch&&) noexcept = default;
  Batch& operator=(Batch&&) noexcept = default;
  // A batch a stage let go of was consumed on purpose (filtered, aggregated): it does not hold the
  // checkpoint. Failures resolve the token explicitly before that.
  ~Batch() { ack_.resolve(AckStatus::kDelivered); }

  std::string_view raw() const { return {raw_.get(), raw_size_}; }
  std::vector<Event>& events() { return events_; }
  const std::vector<Event>& events() const { return events_; }
  Arena& arena() { return arena_; }

  // Fields that hold for every event of the batch (host.name, log.file.path); an event's own field
  // of the same key wins.
  void addSharedField(std::string_view key, FieldValue value) {
    shared_fields_.push_back(Field{arena_.copy(key), value});
  }
  void addSharedString(std::string_view key, std::string_view value) {
    addSharedField(key, FieldValue::string(arena_.copy(value)));
  }
  const std::vector<Field>& sharedFields() const { return shared_fields_; }
  // For transforms that rewrite values in place (scrub_pii); outputs never see a batch before
  // its last transform, so their per-batch caches stay valid.
  std::vector<Field>& sharedFields() { return shared_fields_; }

  // Appends a field to `event`, growing its array in the arena (no heap, no per-event free).
  void addField(Event& event, std::string_view key, FieldValue value);
  void setField(Event& event, std::string_view key, FieldValue value);
  const Field* findField(const Event& event, std::string_view key) const;

  AckToken& ack() { return ack_; }
  AckToken takeAck() { return std::move(ack_); }

  // A mutable copy for a second consumer: events and field arrays are copied, strings stay views
  // into this batch, which the copy keeps alive.
  Batch cloneFrom(std::shared_ptr<const Batch> self) const;

  // Approximate memory held, for byte-bounded queues.
  size_t memoryBytes() const {
    return raw_size_ + events_.capacity() * sizeof(Event) + arena_.bytesReserved();
  }

  uint64_t id() const { return id_.value(); }

  std::string_view sourceName() const { return source_name_; }
  void setSourceName(std::string_view name) { source_name_ = name; }

  // Which stream of its source the events' offsets count in (a file's identity, a Kafka
  // partition), as a hash; 0 when offsets do not identify events across restarts. Stateful
  // stages (detect) key what they counted by it, so an event read again after a crash is known.
  uint64_t stream() const { return stream_; }
  void setStream(uint64_t stream) { stream_ = stream; }

 private:
  std::unique_ptr<char[]> raw_;
  size_t raw_size_ = 0;
  std::vector<Event> events_;
  Arena arena_;
  std::vector<Field> shared_fields_;
  AckToken ack_;
  std::shared_ptr<const Batch> keep_alive_;
  std::string_view source_name_;  // static storage owned by the topology
  uint64_t stream_ = 0;
  BatchId id_;
};

using SharedBatch = std::shared_ptr<const Batch>;

}  // namespace logship
