#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace logship {

// inotify on the directories that hold watched files: tells the file source when to read and when
// to look for new files, so idle files cost nothing. Without inotify (a file system that has none,
// or the watch limit reached) the source falls back to polling and periodic globbing.
class FileWatcher {
 public:
  // `on_change(path, rescan)`: the file at `path` changed (written, or created, moved, deleted:
  // then rescan is true). An empty path means "anything may have changed" (queue overflow).
  using OnChange = std::function<void(const std::string& path, bool rescan)>;
  FileWatcher(boost::asio::io_context& io, OnChange on_change);
  ~FileWatcher();

  bool available() const { return stream_ != nullptr; }
  // Watches `dir`; returns false when it cannot (the caller keeps polling).
  bool watch(const std::string& dir);
  void stop();

 private:
  void read();

  OnChange on_change_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> stream_;
  std::set<std::string> watched_;
  std::map<int, std::string> dirs_;  // watch descriptor -> directory
  alignas(8) char buffer_[16384];
};

// The directories a glob pattern can match files in: its directory part, itself expanded when it
// holds wildcards (/var/log/pods/*/*/*.log -> every /var/log/pods/<ns_pod>/<container>).
std::set<std::string> directoriesOf(const std::string& pattern);

}  // namespace logship
