#pragma once

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

}  // namespace logship
