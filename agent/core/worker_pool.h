#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

namespace logship {

// A fixed set of threads, one io_context each. Components are pinned to one worker, so their
// callbacks never run concurrently with each other and need no locks.
class WorkerPool {
 public:
  explicit WorkerPool(size_t threads);
  ~WorkerPool();

  size_t size() const { return workers_.size(); }
  boost::asio::io_context& worker(size_t index) { return *workers_[index % workers_.size()]->io; }
  void start();
  // Stops every worker and joins it.
  void stop();

 private:
  struct Worker {
    std::unique_ptr<boost::asio::io_context> io;
    std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
    std::thread thread;
  };
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace logship
