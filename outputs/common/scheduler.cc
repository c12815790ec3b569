#include "outputs/common/scheduler.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <unordered_map>

namespace logship {
namespace {

class AsioScheduler final : public Scheduler {
 public:
  explicit AsioScheduler(boost::asio::io_context& io) : io_(io) {}
  ~AsioScheduler() override {
    *alive_ = false;
    cancelAll();
  }

  Clock::time_point now() const override { return Clock::now(); }

  TaskId after(Clock::duration delay, std::function<void()> fn) override {
    TaskId id = next_id_++;
    auto timer = std::make_unique<boost::asio::steady_timer>(io_, delay);
    timer->async_wait(
        [this, id, fn = std::move(fn), alive = alive_](const boost::system::error_code& ec) {
          if (ec || !*alive) return;
          timers_.erase(id);
          fn();
        });
    timers_.emplace(id, std::move(timer));
    return id;
  }

  void cancel(TaskId id) override {
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    it->second->cancel();
    timers_.erase(it);
  }

  void cancelAll() override {
    for (auto& [id, timer] : timers_) timer->cancel();
    timers_.clear();
  }

 private:
  boost::asio::io_context& io_;
  TaskId next_id_ = 1;
  // A cancelled timer's handler may still be queued: it must not touch a destroyed scheduler.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unordered_map<TaskId, std::unique_ptr<boost::asio::steady_timer>> timers_;
};

}  // namespace

std::unique_ptr<Scheduler> makeAsioScheduler(boost::asio::io_context& io) {
  return std::make_unique<AsioScheduler>(io);
}

Scheduler::TaskId ManualScheduler::after(Clock::duration delay, std::function<void()> fn) {
  TaskId id = next_id_++;
  tasks_.emplace(now_ + delay, std::make_pair(id, std::move(fn)));
  return id;
}

void ManualScheduler::cancel(TaskId id) {
  for (auto it = tasks_.begin(); it != tasks_.end(); ++it) {
    if (it->second.first == id) {
      tasks_.erase(it);
      return;
    }
  }
}

void ManualScheduler::advance(Clock::duration by) {
  Clock::time_point until = now_ + by;
  while (!tasks_.empty() && tasks_.begin()->first <= until) {
    auto it = tasks_.begin();
    now_ = it->first;
    auto fn = std::move(it->second.second);
    tasks_.erase(it);
    fn();
  }
  now_ = until;
}

Scheduler::Clock::duration ManualScheduler::nextDelay() const {
  if (tasks_.empty()) return Clock::duration(-1);
  return tasks_.begin()->first - now_;
}

}  // namespace logship
