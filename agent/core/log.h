#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

namespace logship {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// The agent's own log: one line per message on stderr (journald adds its own timestamps under
// systemd, so the format stays plain: `2026-11-22T03:57:28.123Z WARN message`).
void log(LogLevel level, std::string_view message);
inline void logInfo(std::string_view m) { log(LogLevel::kInfo, m); }
inline void logWarn(std::string_view m) { log(LogLevel::kWarn, m); }
inline void logError(std::string_view m) { log(LogLevel::kError, m); }
void setLogLevel(LogLevel level);

// Lets one kind of message through at most once per interval and counts what it held back, so
// a flood (a destination rejecting every batch, a client guessing the admin token) costs one
// line per interval, the next one saying how many were left out. Thread-safe.
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::nanoseconds interval = std::chrono::seconds(10))
      : interval_(interval) {}
  void log(LogLevel level, std::string_view message);

 private:
  const std::chrono::nanoseconds interval_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_{};
  bool logged_ = false;
  uint64_t held_back_ = 0;
};

}  // namespace logship
