#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace logship {

// How a destination finished with a batch. Combines as Errored > Rejected > Delivered: Rejected
// is a permanent refusal that was counted and dead-lettered, so the checkpoint may pass it; Errored
// holds the source's checkpoint (the data is re-read after a restart), and must win over a
// rejection by another output, or that other output would lose the batch.
enum class AckStatus : uint8_t { kDelivered = 0, kRejected = 1, kErrored = 2 };

inline AckStatus combine(AckStatus a, AckStatus b) { return a > b ? a : b; }
const char* toString(AckStatus status);

// Receives the combined status once every holder of a batch's token has resolved it.
class AckReceiver {
 public:
  virtual void acknowledge(uint64_t cookie, AckStatus status) = 0;

 protected:
  ~AckReceiver() = default;
};

// One reference to a batch's acknowledgement. Fan-out forks one reference per output; each holder
// resolves exactly once. A reference dropped without a resolve counts as Errored, so a batch lost
// in a crash path or a shutdown can never advance a checkpoint.
class AckToken {
 public:
  AckToken() = default;
  AckToken(AckReceiver* receiver, uint64_t cookie) : state_(new State{receiver, cookie}) {}
  AckToken(const AckToken&) = delete;
  AckToken& operator=(const AckToken&) = delete;
  AckToken(AckToken&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  AckToken& operator=(AckToken&& other) noexcept {
    if (this != &other) {
      resolve(AckStatus::kErrored);
      state_ = std::exchange(other.state_, nullptr);
    }
    return *this;
  }
  ~AckToken() { resolve(AckStatus::kErrored); }

  // A new reference to the same acknowledgement; an empty token forks to an empty token.
  AckToken fork() const {
    AckToken copy;
    if (state_ != nullptr) {
      state_->refs.fetch_add(1, std::memory_order_relaxed);
      copy.state_ = state_;
    }
    return copy;
  }

  void resolve(AckStatus status) {
    State* state = std::exchange(state_, nullptr);
    if (state == nullptr) return;
    uint8_t seen = state->worst.load(std::memory_order_relaxed);
    while (static_cast<uint8_t>(status) > seen &&
           !state->worst.compare_exchange_weak(seen, static_cast<uint8_t>(status))) {
    }
    if (state->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      if (state->receiver != nullptr) {
        state->receiver->acknowledge(state->cookie,
                                     static_cast<AckStatus>(state->worst.load()));
      }
      delete state;
    }
  }

  bool empty() const { return state_ == nullptr; }

 private:
  struct State {
    AckReceiver* receiver;
    uint64_t cookie;
    std::atomic<uint32_t> refs{1};
    std::atomic<uint8_t> worst{0};
  };
  State* state_ = nullptr;
};

}  // namespace logship
