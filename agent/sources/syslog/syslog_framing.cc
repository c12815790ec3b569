#include "agent/sources/syslog/syslog_framing.h"

namespace logship {

std::string SyslogFrameReader::finish(size_t* lost_bytes) {
  const bool line = state_ == State::kLine || state_ == State::kLength ||
                    state_ == State::kCountedStart;
  std::string message = std::move(held_);
  held_ = std::string();
  *lost_bytes = line ? 0 : message.size();
  state_ = State::kStart;
  remaining_ = 0;
  truncated_ = false;
  if (!line) return {};
  while (!message.empty() && (message.back() == '\r' || message.back() == '\0')) {
    message.pop_back();
  }
  return message;
}

}  // namespace logship
