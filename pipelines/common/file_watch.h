#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace logship {

// What tells that a file changed without reading it: a rewrite in place changes its size or
// modification time, a replacement by rename changes its inode.
struct FileStamp {
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = -1;  // -1: the file is missing
  int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};
FileStamp fileStamp(const std::string& path);

// Watches files from a thread of its own and calls `changed` there (true: it loaded them) when one
// of them differs from what was last loaded, so that loading a large file (a database, a
// million-line feed) never holds a worker: the caller builds the new value on this thread and swaps
// it in.
class FileWatch {
 public:
  FileWatch(std::vector<std::string> paths, std::chrono::milliseconds interval,
            std::function<bool()> changed);
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  // The stamps the current value was loaded from; taken before reading, so a write during the load
  // shows as a change at the next poll and is loaded again.
  void markLoaded(std::vector<FileStamp> stamps);
  std::vector<FileStamp> stamps() const;

  // Polls every interval from now on; an interval of 0 never polls on its own.
  void start();
  // One poll, on the calling thread (what the thread does every interval): what `changed`
  // returned, or false when nothing changed.
  bool poll();

 private:
  std::vector<std::string> paths_;
  std::chrono::milliseconds interval_;
  std::function<bool()> changed_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<FileStamp> loaded_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace logship
