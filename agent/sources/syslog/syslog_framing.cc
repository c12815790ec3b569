#include "agent/sources/syslog/syslog_framing.h"

namespace logship {

std::string_view SyslogFrameReader::finish() {
  const bool line = state_ == State::kLine || state_ == State::kLength;
  state_ = State::kStart;
  remaining_ = 0;
  truncated_ = false;
  if (!line) {
    held_.clear();
    return {};
  }
  std::string_view message = held_;
  if (!message.empty() && message.back() == '\r') message.remove_suffix(1);
  return message;  // valid until the next feed()
}

}  // namespace logship
