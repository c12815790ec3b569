#include "pipelines/common/file_watch.h"

#include <sys/stat.h>

namespace logship {

FileStamp fileStamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return FileStamp{};
  return FileStamp{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                   static_cast<int64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

FileWatch::FileWatch(std::vector<std::string> paths, std::chrono::milliseconds interval,
                     std::function<bool()> changed)
    : paths_(std::move(paths)), interval_(interval), changed_(std::move(changed)) {}

FileWatch::~FileWatch() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FileWatch::markLoaded(std::vector<FileStamp> stamps) {
  std::lock_guard lock(mutex_);
  loaded_ = std::move(stamps);
}

std::vector<FileStamp> FileWatch::stamps() const {
  std::vector<FileStamp> out;
  out.reserve(paths_.size());
  for (const std::string& path : paths_) out.push_back(fileStamp(path));
  return out;
}

void FileWatch::start() {
  if (thread_.joinable() || interval_.count() <= 0) return;
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      poll();
      lock.lock();
    }
  });
}

bool FileWatch::poll() {
  const std::vector<FileStamp> now = stamps();
  {
    std::lock_guard lock(mutex_);
    if (now == loaded_) return false;
  }
  // A file being replaced may be missing for a moment: keep what is loaded until it is back.
  for (const FileStamp& s : now) {
    if (s.size < 0) return false;
  }
  return changed_();
}

}  // namespace logship
