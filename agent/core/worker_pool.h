#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

namespace logship {

// The CPUs this process may use: those of its affinity mask, capped by the CPU quota of its cgroup
// (a Kubernetes CPU limit, systemd's CPUQuota=) rounded up; at least 1. The default worker count.
size_t usableCpus();

// The tightest cgroup v2 CPU quota, in CPUs, on the path from this process's cgroup (named by
// `proc_self_cgroup`, the text of /proc/self/cgroup) up to `cgroup_root`; nullopt without a limit.
std::optional<double> cgroupCpuLimit(std::string_view proc_self_cgroup,
                                     const std::filesystem::path& cgroup_root);

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
