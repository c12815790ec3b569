#include "agent/sources/file/file_source.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "agent/core/log.h"
#include "outputs/common/json_writer.h"

namespace logship {

namespace {
int64_t wallNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

FileSource::FileSource(FileSourceConfig config, BuildContext&) : config_(std::move(config)) {}

FileSource::~FileSource() {
  for (auto& [path, f] : files_) {
    if (f->fd >= 0) ::close(f->fd);
  }
}

void FileSource::start(SourceContext& context) {
  context_ = &context;
  timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  scan();
  pump();
}

void FileSource::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
}

bool FileSource::excluded(const std::string& path) const {
  for (const std::string& pattern : config_.exclude) {
    if (fnmatch(pattern.c_str(), path.c_str(), 0) == 0) return true;
    // "*.gz" also matches by file name, as users write it.
    std::string name = path.substr(path.rfind('/') + 1);
    if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

void FileSource::scan() {
  last_scan_ = std::chrono::steady_clock::now();
  for (const std::string& pattern : config_.include) {
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::string path = g.gl_pathv[i];
        if (files_.count(path) || excluded(path)) continue;
        struct stat st{};
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        // Files that appear after the first scan are new: read them whole.
        open(path, !first_scan_ || config_.start_at == "beginning");
      }
    }
    globfree(&g);
  }
  first_scan_ = false;
}

void FileSource::open(const std::string& path, bool from_start) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    // Reported once per path; the next scan retries.
    if (reported_errors_.insert(path).second) {
      logWarn("file source '" + std::string(context_->id()) + "': cannot open " + path + ": " +
              std::strerror(errno) + " (will retry)");
      context_->metrics().error("open_failed");
    }
    return;
  }
  reported_errors_.erase(path);
  struct stat st{};
  ::fstat(fd, &st);
  auto f = std::make_unique<OpenFile>();
  f->path = path;
  f->fd = fd;
  f->dev = st.st_dev;
  f->ino = st.st_ino;
  uint64_t start = from_start ? 0 : static_cast<uint64_t>(st.st_size);
  if (start) ::lseek(fd, static_cast<off_t>(start), SEEK_SET);
  f->reader = std::make_unique<LineReader>(config_.max_line_bytes.bytes, start);
  f->tracker = std::make_unique<OrderedAckTracker>();
  f->last_growth = std::chrono::steady_clock::now();
  std::lock_guard lock(status_mutex_);
  files_[path] = std::move(f);
}

void FileSource::closeFile(std::map<std::string, std::unique_ptr<OpenFile>>::iterator it) {
  ::close(it->second->fd);
  std::lock_guard lock(status_mutex_);
  files_.erase(it);
}

bool FileSource::readOnce(OpenFile& file) {
  ssize_t n = 0;
  int64_t now = wallNowNs();
  auto chunk = file.reader->read(file.fd, config_.batch_bytes.bytes, now, &n);
  if (!chunk) {
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      context_->metrics().error("read_failed");
      logWarn("file source: read error on " + file.path + ": " + std::strerror(errno));
    }
    file.at_eof = true;
    return false;
  }
  file.at_eof = false;
  file.last_growth = std::chrono::steady_clock::now();
  context_->metrics().received(chunk->batch.events().size(), static_cast<uint64_t>(n));
  if (chunk->truncated_lines) context_->metrics().discarded("truncated_line", chunk->truncated_lines);
  Batch& batch = chunk->batch;
  batch.ack() = file.tracker->track(chunk->end_offset);
  batch.addSharedString("log.file.path", file.path);
  batch.addSharedString("host.name", context_->global().host_name);
  context_->emit(std::move(batch));
  return true;
}

void FileSource::checkAtEof(OpenFile& file) {
  struct stat by_fd{};
  if (::fstat(file.fd, &by_fd) == 0 &&
      static_cast<uint64_t>(by_fd.st_size) < file.reader->readOffset()) {
    // Truncated in place (copytruncate or `> file`): start over from the beginning.
    logInfo("file source: " + file.path + " was truncated; reading it again from the start");
    ::lseek(file.fd, 0, SEEK_SET);
    file.reader->reset(0);
    file.at_eof = false;
    return;
  }
  auto idle = std::chrono::steady_clock::now() - file.last_growth;
  if (file.reader->hasPartial() && idle >= config_.idle_flush) {
    if (auto chunk = file.reader->flushPartial(wallNowNs())) {
      Batch& batch = chunk->batch;
      batch.ack() = file.tracker->track(chunk->end_offset);
      batch.addSharedString("log.file.path", file.path);
      batch.addSharedString("host.name", context_->global().host_name);
      context_->emit(std::move(batch));
    }
  }
  if (file.replaced) return;
  struct stat by_path{};
  if (::stat(file.path.c_str(), &by_path) != 0) return;  // deleted: keep draining what is open
  if (by_path.st_ino != file.ino || by_path.st_dev != file.dev) file.replaced = true;
}

void FileSource::pump() {
  if (stopped_) return;
  if (context_->downstreamFull()) {
    scheduleAfter(std::chrono::milliseconds(5));
    return;
  }
  if (std::chrono::steady_clock::now() - last_scan_ >= config_.glob_interval) scan();
  bool progress = false;
  std::vector<std::string> rotated;
  for (auto it = files_.begin(); it != files_.end();) {
    OpenFile& f = *it->second;
    if (readOnce(f)) {
      progress = true;
      ++it;
      continue;
    }
    checkAtEof(f);
    if (f.replaced && f.at_eof && !f.reader->hasPartial()) {
      // Fully drained the rotated-away file; its successor is picked up by the scan below.
      logInfo("file source: " + f.path + " was rotated; following the new file");
      rotated.push_back(f.path);
      it = (closeFile(it), files_.lower_bound(rotated.back()));
      continue;
    }
    ++it;
  }
  if (!rotated.empty()) {
    for (const std::string& path : rotated) {
      if (!excluded(path)) open(path, true);
    }
    progress = true;
  }
  if (progress) {
    boost::asio::post(context_->io(), [this] { pump(); });
  } else {
    scheduleAfter(config_.poll_interval);
  }
}

void FileSource::scheduleAfter(Duration delay) {
  timer_->expires_after(delay);
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) pump();
  });
}

std::string FileSource::statusJson() const {
  std::lock_guard lock(status_mutex_);
  std::string out = "{\"files\":[";
  bool first = true;
  for (auto& [key, f] : files_) {
    if (!first) out += ',';
    first = false;
    struct stat st{};
    int64_t size = ::fstat(f->fd, &st) == 0 ? st.st_size : 0;
    uint64_t acked = f->tracker->checkpoint();
    out += "{\"path\":";
    json::appendString(out, f->path);
    out += ",\"read_offset\":" + std::to_string(f->reader->readOffset());
    out += ",\"acknowledged_offset\":" + std::to_string(acked);
    out += ",\"lag_bytes\":" + std::to_string(size > static_cast<int64_t>(acked) ? size - acked : 0);
    out += "}";
  }
  out += "]}";
  return out;
}

}  // namespace logship
