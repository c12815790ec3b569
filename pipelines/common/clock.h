#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace logship {

// Wall-clock time in nanoseconds since the epoch. Windows, cooldowns and throttles read time only
// through this, so their tests step time by hand instead of sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t nowNs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t nowNs() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// The process-wide real clock.
inline const Clock& systemClock() {
  static const SystemClock clock;
  return clock;
}

// Time that moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ns = 0) : now_(start_ns) {}
  int64_t nowNs() const override { return now_.load(std::memory_order_relaxed); }
  void set(int64_t ns) { now_.store(ns, std::memory_order_relaxed); }
  void advance(std::chrono::nanoseconds by) {
    now_.fetch_add(by.count(), std::memory_order_relaxed);
  }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace logship
