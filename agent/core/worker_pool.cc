#include "agent/core/worker_pool.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>

#include "agent/core/log.h"
#include "agent/support/files.h"

namespace logship {

std::optional<double> cgroupCpuLimit(std::string_view proc_self_cgroup,
                                     const std::filesystem::path& cgroup_root) {
  // cgroup v2 has one line, "0::/path"; v1 lines name their controllers and are not read here.
  std::string_view path;
  for (size_t at = 0; at < proc_self_cgroup.size();) {
    size_t end = proc_self_cgroup.find('\n', at);
    if (end == std::string_view::npos) end = proc_self_cgroup.size();
    std::string_view line = proc_self_cgroup.substr(at, end - at);
    if (line.starts_with("0::/")) path = line.substr(4);
    at = end + 1;
  }
  std::optional<double> limit;
  std::filesystem::path dir = path.empty() ? cgroup_root : cgroup_root / path;
  for (;;) {
    // "max 100000" (no limit) or "<quota µs> <period µs>"; a parent's limit binds its children.
    std::ifstream in(dir / "cpu.max");
    std::string quota;
    double period = 0;
    if (in >> quota >> period && quota != "max" && period > 0) {
      double cpus = std::strtod(quota.c_str(), nullptr) / period;
      if (cpus > 0 && (!limit || cpus < *limit)) limit = cpus;
    }
    if (dir == cgroup_root || !dir.has_relative_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return limit;
}

size_t usableCpus() {
  cpu_set_t set;
  size_t cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                            : std::thread::hardware_concurrency();
  if (auto limit =
          cgroupCpuLimit(readWholeFile("/proc/self/cgroup").value_or(""), "/sys/fs/cgroup")) {
    cpus = std::min(cpus, static_cast<size_t>(std::ceil(*limit)));
  }
  return cpus ? cpus : 1;
}

WorkerPool::WorkerPool(size_t threads) {
  for (size_t i = 0; i < (threads ? threads : 1); ++i) {
    auto w = std::make_unique<Worker>();
    w->io = std::make_unique<boost::asio::io_context>(1);
    w->guard =
        std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
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
