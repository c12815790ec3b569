#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

#include "agent/api/ack.h"

namespace logship {

// Per source stream (one file, one partition): batches are registered in read order and
// acknowledged in any order; the checkpoint advances only over a contiguous run of finished
// batches. An Errored batch stops the checkpoint for good in this run: the data after it is re-read
// after a restart rather than lost.
class OrderedAckTracker : public AckReceiver {
 public:
  using AdvanceFn = std::function<void(uint64_t end_offset)>;
  explicit OrderedAckTracker(uint64_t start_offset = 0, AdvanceFn on_advance = {})
      : checkpoint_(start_offset), on_advance_(std::move(on_advance)) {}

  // Registers a batch ending at `end_offset`; the token routes its final status back here.
  AckToken track(uint64_t end_offset);
  void acknowledge(uint64_t cookie, AckStatus status) override;

  uint64_t checkpoint() const;
  // Batches registered but not yet acknowledged.
  size_t pending() const;
  bool held() const;

 private:
  struct Pending {
    uint64_t seq;
    uint64_t end_offset;
    bool done = false;
    AckStatus status = AckStatus::kDelivered;
  };

  mutable std::mutex mutex_;
  std::deque<Pending> pending_;
  uint64_t next_seq_ = 0;
  size_t outstanding_ = 0;
  uint64_t checkpoint_ = 0;
  bool held_ = false;
  AdvanceFn on_advance_;
};

}  // namespace logship
