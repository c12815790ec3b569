#include "outputs/file/file_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <cstring>

#include "agent/core/log.h"
#include "agent/support/files.h"

namespace logship {

const OptionTable<FileOutputConfig>& FileOutputConfig::options() {
  static const OptionTable<FileOutputConfig> table = [] {
    OptionTable<FileOutputConfig> t;
    t.required("path", &FileOutputConfig::path, "File to append events to.")
        .oneOf("format", &FileOutputConfig::format, {"ndjson", "text"},
               "ndjson: one JSON object per event, with its fields; text: the message alone, one "
               "per line.")
        .optional("fsync", &FileOutputConfig::fsync,
                  "fsync after every batch before acknowledging it.")
        .optional("retry_interval", &FileOutputConfig::retry_interval,
                  "Wait between attempts after a failed write.");
    return t;
  }();
  return table;
}

FileOutput::FileOutput(FileOutputConfig config, BuildContext& ctx)
    : config_(std::move(config)),
      text_(config_.format == "text"),
      encoder_(ctx.global),
      sync_([](int fd) { return ::fdatasync(fd); }) {}

FileOutput::~FileOutput() {
  if (fd_ >= 0) ::close(fd_);
}

void FileOutput::start(ComponentContext& context) {
  context_ = &context;
  retry_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  openFile();
}

namespace {
// A process killed in the middle of write() leaves a partial last line; its events were never
// acknowledged, so they come again. Cuts the file back to its last newline; returns bytes cut.
off_t cutTornLastLine(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return 0;
  char buf[4096];
  off_t end = st.st_size;
  while (end > 0) {
    off_t from = end > static_cast<off_t>(sizeof buf) ? end - static_cast<off_t>(sizeof buf) : 0;
    ssize_t n = ::pread(fd, buf, static_cast<size_t>(end - from), from);
    if (n != end - from) return 0;
    for (ssize_t i = n - 1; i >= 0; --i) {
      if (buf[i] != '\n') continue;
      off_t keep = from + i + 1;
      if (keep == st.st_size) return 0;
      return ::ftruncate(fd, keep) == 0 ? st.st_size - keep : 0;
    }
    end = from;
  }
  return ::ftruncate(fd, 0) == 0 ? st.st_size : 0;
}
}  // namespace

bool FileOutput::openFile() {
  if (fd_ >= 0) return true;
  // Read access too, to find a torn last line.
  fd_ = ::open(config_.path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    std::string why = "cannot open " + config_.path + ": " + std::strerror(errno);
    logWarn("file output '" + std::string(context_->id()) + "': " + why + " (retrying)");
    last_error_.set(why);
    context_->metrics().error("open_failed");
    healthy_ = false;
    return false;
  }
  if (off_t cut = cutTornLastLine(fd_); cut > 0) {
    logWarn("file output '" + std::string(context_->id()) + "': " + config_.path + " ended in " +
            std::to_string(cut) + " bytes of a line cut short (a crash while writing); removed " +
            "them, the events are written again");
  }
  return true;
}

bool FileOutput::append(const Batch& batch, size_t& size) {
  size = 0;
  if (text_) {
    size = encodeText(batch);
    if (!appendWhole(fd_, pieces_)) return false;
  } else {
    // Encoded and written a piece at a time, each still in the CPU's cache when the kernel copies
    // it: a batch's NDJSON is several MB, more than the cache holds.
    constexpr size_t kPieceBytes = 256 << 10;
    buffer_.clear();
    for (const Event& e : batch.events()) {
      encoder_.encodeEvent(batch, e, buffer_);
      if (buffer_.size() < kPieceBytes) continue;
      if (!appendWhole(fd_, buffer_)) {
        cutEnd(fd_, size);
        return false;
      }
      size += buffer_.size();
      buffer_.clear();
    }
    if (!appendWhole(fd_, buffer_)) {
      cutEnd(fd_, size);
      return false;
    }
    size += buffer_.size();
  }
  return !config_.fsync || sync_(fd_) == 0;
}

void FileOutput::consume(SharedBatch batch, AckToken ack) {
  pending_.emplace_back(std::move(batch), std::move(ack));
  if (!retry_scheduled_) flush();
}

namespace {
// The line is still in the batch's raw buffer, followed there by its newline: it can be written
// from there as it is.
bool inRawWithNewline(std::string_view raw, std::string_view line) {
  const auto begin = reinterpret_cast<uintptr_t>(raw.data());
  const auto at = reinterpret_cast<uintptr_t>(line.data());
  return at >= begin && at + line.size() < begin + raw.size() && line.data()[line.size()] == '\n';
}
}  // namespace

size_t FileOutput::encodeText(const Batch& batch) {
  buffer_.clear();
  pieces_.clear();
  // Lines as read are written from the raw buffer, runs of adjacent ones as one piece; the others
  // (rewritten, joined, the last line of a file without its newline) are copied with a newline.
  const std::string_view raw = batch.raw();
  size_t copied = 0;
  for (const Event& e : batch.events()) {
    if (!inRawWithNewline(raw, e.message)) copied += e.message.size() + 1;
  }
  buffer_.reserve(copied);  // no reallocation below: pieces point into it
  size_t size = 0;
  auto add = [&](const char* at, size_t n) {
    size += n;
    if (!pieces_.empty() && pieces_.back().data() + pieces_.back().size() == at) {
      pieces_.back() = std::string_view(pieces_.back().data(), pieces_.back().size() + n);
    } else {
      pieces_.emplace_back(at, n);
    }
  };
  for (const Event& e : batch.events()) {
    if (inRawWithNewline(raw, e.message)) {
      add(e.message.data(), e.message.size() + 1);
      continue;
    }
    const size_t from = buffer_.size();
    buffer_.append(e.message);
    buffer_.push_back('\n');
    add(buffer_.data() + from, e.message.size() + 1);
  }
  return size;
}

void FileOutput::flush() {
  while (!pending_.empty()) {
    auto& [batch, ack] = pending_.front();
    size_t size = 0;
    if (!openFile() || !append(*batch, size)) {
      if (fd_ >= 0) {
        std::string why = "write to " + config_.path + " failed: " + std::strerror(errno);
        if (healthy_)
          logWarn("file output '" + std::string(context_->id()) + "': " + why + " (retrying)");
        last_error_.set(why);
      }
      context_->metrics().error("write_failed");
      healthy_ = false;
      retry_scheduled_ = true;
      retry_timer_->expires_after(config_.retry_interval);
      retry_timer_->async_wait([this](const boost::system::error_code& ec) {
        retry_scheduled_ = false;
        if (!ec) flush();
      });
      return;
    }
    healthy_ = true;
    context_->metrics().sent(batch->events().size(), size);
    ack.resolve(AckStatus::kDelivered);
    pending_.pop_front();
  }
  if (buffer_.capacity() > (8u << 20)) std::string().swap(buffer_);
}

void FileOutput::stop() {
  retry_timer_->cancel();
  retry_scheduled_ = false;
  flush();
  pending_.clear();  // what could not be written stays unacknowledged (Errored): re-read later
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
  }
}

void registerFileOutput(Registry& registry) {
  registry.addOutput<FileOutputConfig, FileOutput>(
      "file", "Appends events to a local file, as NDJSON or as text lines.");
}

}  // namespace logship
