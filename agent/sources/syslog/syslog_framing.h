#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace logship {

// Cuts a syslog TCP stream into messages. Each frame's framing is detected from how it starts:
// digits, a space and "<" are octet counting (RFC 6587 3.4.1, "LEN SP MSG"; RFC 5425 over TLS),
// anything else runs to the next LF (RFC 6587 3.4.2, what `logger` and most devices send). A connection may mix both. A message longer than `max_message_bytes` is cut to that many
// bytes and reported truncated; the rest of it is skipped.
class SyslogFrameReader {
 public:
  explicit SyslogFrameReader(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Calls on_message(std::string_view message, bool truncated) for each message completed by
  // `data`; the views are valid only during the call. A trailing CR and empty lines are dropped.
  template <class F>
  void feed(std::string_view data, F&& on_message);

  // What an unfinished frame holds when the connection ends: a last line without its LF is a
  // message (returned); a partial octet-counted frame is incomplete: "", with its bytes in
  // *lost_bytes for the caller to count. The reader is then ready for a new stream.
  std::string finish(size_t* lost_bytes);

 private:
  enum class State : uint8_t {
    kStart, kLength, kCountedStart, kCounted, kLine, kSkipCounted, kSkipLine
  };

  size_t max_message_bytes_;
  State state_ = State::kStart;
  uint64_t remaining_ = 0;  // bytes left of an octet-counted frame
  std::string held_;        // the message so far, when it spans reads
  bool truncated_ = false;
};

template <class F>
void SyslogFrameReader::feed(std::string_view data, F&& on_message) {
  auto deliver = [&](std::string_view message) {
    // A counted frame may end with the LF its sender's template adds (rsyslog's does).
    while (!message.empty() &&
           (message.back() == '\n' || message.back() == '\r' || message.back() == '\0')) {
      message.remove_suffix(1);
    }
    if (!message.empty()) on_message(message, truncated_);
    truncated_ = false;
  };
  // A long message's buffer is given back rather than kept for the life of the connection.
  auto release = [&] {
    if (held_.capacity() > (64u << 10)) {
      held_ = std::string();
    } else {
      held_.clear();
    }
  };
  // Appends to held_ within the limit; what is beyond it marks the message truncated.
  auto hold = [&](std::string_view part) {
    const size_t room = max_message_bytes_ - std::min(held_.size(), max_message_bytes_);
    if (part.size() > room) {
      truncated_ = true;
      part = part.substr(0, room);
    }
    held_.append(part);
  };
  size_t i = 0;
  while (i < data.size()) {
    switch (state_) {
      case State::kStart: {
        const char c = data[i];
        if (c == '\n' || c == '\r' || c == '\0') {
          ++i;  // blank lines and stray terminators between frames
        } else if (c >= '1' && c <= '9') {
          state_ = State::kLength;
          remaining_ = 0;
        } else {
          state_ = State::kLine;
        }
        break;
      }
      case State::kLength: {
        const char c = data[i];
        if (c >= '0' && c <= '9' && remaining_ < (uint64_t{1} << 40) &&
            held_.size() < max_message_bytes_) {
          remaining_ = remaining_ * 10 + static_cast<uint64_t>(c - '0');
          held_.push_back(c);  // kept in case this turns out to be a plain line
          ++i;
        } else if (c == ' ' && held_.size() < max_message_bytes_) {
          held_.push_back(c);
          ++i;
          state_ = State::kCountedStart;
        } else {
          state_ = State::kLine;  // digits not followed by a space: a line that starts with them
        }
        break;
      }
      case State::kCountedStart: {
        // Every syslog message starts with "<PRI>": "1700000000 host: text" is a line.
        if (data[i] == '<') {
          held_.clear();
          state_ = State::kCounted;
        } else {
          state_ = State::kLine;
        }
        break;
      }
      case State::kCounted: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - i));
        const std::string_view part = data.substr(i, take);
        i += take;
        remaining_ -= take;
        if (held_.empty() && remaining_ == 0 && part.size() <= max_message_bytes_) {
          deliver(part);  // the whole frame in this read: no copy
          state_ = State::kStart;
          break;
        }
        hold(part);
        if (remaining_ == 0) {
          deliver(held_);
          release();
          state_ = State::kStart;
        } else if (held_.size() == max_message_bytes_) {
          truncated_ = true;
          deliver(held_);
          release();
          state_ = State::kSkipCounted;
        }
        break;
      }
      case State::kSkipCounted: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - i));
        i += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kStart;
        break;
      }
      case State::kLine: {
        const size_t end = data.find('\n', i);
        const std::string_view part =
            data.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
        i = end == std::string_view::npos ? data.size() : end + 1;
        if (end != std::string_view::npos && held_.empty() && part.size() <= max_message_bytes_) {
          deliver(part);
          state_ = State::kStart;
          break;
        }
        hold(part);
        if (end != std::string_view::npos) {
          deliver(held_);
          release();
          state_ = State::kStart;
        } else if (held_.size() == max_message_bytes_ && truncated_) {
          deliver(held_);
          release();
          state_ = State::kSkipLine;
        }
        break;
      }
      case State::kSkipLine: {
        const size_t end = data.find('\n', i);
        i = end == std::string_view::npos ? data.size() : end + 1;
        if (end != std::string_view::npos) state_ = State::kStart;
        break;
      }
    }
  }
}

}  // namespace logship
