#include "agent/core/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <utility>

#include "agent/support/timestamp.h"

namespace logship {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
}

void setLogLevel(LogLevel level) { g_level = level; }

void log(LogLevel level, std::string_view message) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  char ts[40];
  size_t n = timestamp::formatRfc3339Millis(now, ts);
  std::string line(ts, n);
  line += ' ';
  line += kNames[static_cast<int>(level)];
  line += ' ';
  line += message;
  line += '\n';
  // One write per line keeps lines whole when several threads log at once.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

void LogThrottle::log(LogLevel level, std::string_view message) {
  uint64_t held_back = 0;
  {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (logged_ && now - last_ < interval_) {
      ++held_back_;
      return;
    }
    logged_ = true;
    last_ = now;
    held_back = std::exchange(held_back_, 0);
  }
  if (held_back == 0) {
    logship::log(level, message);
  } else {
    logship::log(level, std::string(message) + " (and " + std::to_string(held_back) +
                            " more like it since the last such line)");
  }
}

}  // namespace logship
