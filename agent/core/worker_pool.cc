#include "agent/core/worker_pool.h"

#include <pthread.h>

#include <string>

#include "agent/core/log.h"

namespace logship {

WorkerPool::WorkerPool(size_t threads) {
  for (size_t i = 0; i < (threads ? threads : 1); ++i) {
    auto w = std::make_unique<Worker>();
    w->io = std::make_unique<boost::asio::io_context>(1);
    w->guard = std::make_unique<
        boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
        w->io->get_executor());
    workers_.push_back(std::move(w));
  }
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::start() {
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker& w = *workers_[i];
    w.thread = std::thread([&w, i] {
      std::string name = "logship-w" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      for (;;) {
        try {
          w.io->run();
          return;
        } catch (const std::exception& e) {
          // A component bug must not take the whole agent down with an uncaught exception.
          logError(std::string("worker ") + name + ": unhandled error: " + e.what());
        }
      }
    });
  }
}

void WorkerPool::stop() {
  // Called after the topology drained: what is still queued (idle timers) is abandoned.
  for (auto& w : workers_) {
    w->guard.reset();
    w->io->stop();
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

}  // namespace logship
