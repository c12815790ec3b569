#include "agent/core/ack_tracker.h"

namespace logship {

AckToken OrderedAckTracker::track(uint64_t end_offset) {
  std::lock_guard lock(mutex_);
  uint64_t seq = next_seq_++;
  pending_.push_back(Pending{seq, end_offset});
  ++outstanding_;
  return AckToken(this, seq);
}

void OrderedAckTracker::acknowledge(uint64_t cookie, AckStatus status) {
  uint64_t advanced_to = 0;
  bool advanced = false;
  {
    std::lock_guard lock(mutex_);
    if (pending_.empty() || cookie < pending_.front().seq) return;
    size_t index = cookie - pending_.front().seq;
    if (index >= pending_.size()) return;
    if (pending_[index].done) return;
    pending_[index].done = true;
    pending_[index].status = status;
    --outstanding_;
    while (!held_ && !pending_.empty() && pending_.front().done) {
      if (pending_.front().status == AckStatus::kErrored) {
        held_ = true;
        break;
      }
      checkpoint_ = pending_.front().end_offset;
      advanced_to = checkpoint_;
      advanced = true;
      pending_.pop_front();
    }
    // Held: the checkpoint stays put, finished entries are only released.
    while (held_ && !pending_.empty() && pending_.front().done) pending_.pop_front();
    // Under the lock, so observers see checkpoints in order.
    if (advanced && on_advance_) on_advance_(advanced_to);
  }
}

uint64_t OrderedAckTracker::checkpoint() const {
  std::lock_guard lock(mutex_);
  return checkpoint_;
}

size_t OrderedAckTracker::pending() const {
  std::lock_guard lock(mutex_);
  return outstanding_;
}

bool OrderedAckTracker::held() const {
  std::lock_guard lock(mutex_);
  return held_;
}

}  // namespace logship
