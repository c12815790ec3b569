#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace logship {

// Time for the HTTP outputs: the current time and delayed callbacks. Behind an interface so
// batching timeouts and retry backoff are tested by advancing a manual clock.
class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;
  using TaskId = uint64_t;
  virtual ~Scheduler() = default;
  virtual Clock::time_point now() const = 0;
  // Runs `fn` once after `delay` on the output's thread; returns an id for cancel().
  virtual TaskId after(Clock::duration delay, std::function<void()> fn) = 0;
  virtual void cancel(TaskId id) = 0;
  virtual void cancelAll() = 0;
};

// Steady-clock timers on an io_context.
std::unique_ptr<Scheduler> makeAsioScheduler(boost::asio::io_context& io);

// A clock that moves only when told to; due callbacks run inside advance(), in time order.
class ManualScheduler final : public Scheduler {
 public:
  Clock::time_point now() const override { return now_; }
  TaskId after(Clock::duration delay, std::function<void()> fn) override;
  void cancel(TaskId id) override;
  void cancelAll() override { tasks_.clear(); }
  void advance(Clock::duration by);
  // The delay until the next due task, or -1 if nothing is scheduled.
  Clock::duration nextDelay() const;
  size_t pending() const { return tasks_.size(); }

 private:
  Clock::time_point now_{std::chrono::hours(1)};
  TaskId next_id_ = 1;
  std::multimap<Clock::time_point, std::pair<TaskId, std::function<void()>>> tasks_;
};

}  // namespace logship
