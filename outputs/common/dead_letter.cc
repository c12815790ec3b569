#include "outputs/common/dead_letter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "agent/support/files.h"
#include "agent/support/json_writer.h"

namespace logship {

DeadLetterFile::DeadLetterFile(const GlobalConfig& global, std::string_view output_id)
    : encoder_(global),
      path_(global.data_dir + "/dead_letter/" + std::string(output_id) + ".ndjson"),
      output_id_(output_id) {}

DeadLetterFile::~DeadLetterFile() {
  if (fd_ >= 0) ::close(fd_);
}

void DeadLetterFile::add(const Batch& batch, const Event& event, int code,
                         std::string_view reason) {
  size_t start = buffer_.size();
  encoder_.encodeEvent(batch, event, buffer_);
  // The encoder ends the object with "}\n": reopen it to add the error.
  if (buffer_.size() < start + 3 || buffer_.back() != '\n') {
    buffer_.resize(start);
    return;
  }
  buffer_.resize(buffer_.size() - 2);
  if (buffer_.back() != '{') buffer_.push_back(',');
  buffer_.append("\"error\":{\"code\":");
  json::appendInt(buffer_, code);
  buffer_.append(",\"message\":");
  json::appendString(buffer_, reason);
  buffer_.append(",\"output\":");
  json::appendString(buffer_, output_id_);
  buffer_.append("}}\n");
  ++pending_events_;
  last_code_ = code;
  last_reason_.assign(reason.substr(0, 300));
}

bool DeadLetterFile::commit() {
  const bool ok = writeBuffer();
  if (ok && pending_events_ > 0) {
    warnings_.log(LogLevel::kWarn, "output '" + output_id_ +
                                       "': " + std::to_string(pending_events_) +
                                       " event(s) refused for good (" + std::to_string(last_code_) +
                                       ": " + last_reason_ + "), written to " + path_);
  }
  buffer_.clear();
  pending_events_ = 0;
  return ok;
}

bool DeadLetterFile::writeBuffer() {
  if (buffer_.empty()) return true;
  if (fd_ < 0) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) return false;
  }
  if (!appendWhole(fd_, buffer_)) return false;
  return ::fdatasync(fd_) == 0;
}

}  // namespace logship
