#include "agent/sources/file/file_watcher.h"

#include <glob.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace logship {

FileWatcher::FileWatcher(boost::asio::io_context& io, OnChange on_change)
    : on_change_(std::move(on_change)) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return;
  stream_ = std::make_unique<boost::asio::posix::stream_descriptor>(io, fd);
  read();
}

FileWatcher::~FileWatcher() { stop(); }

bool FileWatcher::watch(const std::string& dir) {
  if (!stream_) return false;
  if (watched_.count(dir)) return true;
  constexpr uint32_t kMask = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                             IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  int wd = ::inotify_add_watch(stream_->native_handle(), dir.c_str(), kMask);
  if (wd < 0) return false;
  watched_.insert(dir);
  dirs_[wd] = dir;
  return true;
}

void FileWatcher::stop() {
  if (!stream_) return;
  boost::system::error_code ignored;
  stream_->close(ignored);
  stream_.reset();
}

void FileWatcher::read() {
  stream_->async_read_some(
      boost::asio::buffer(buffer_, sizeof buffer_),
      [this](const boost::system::error_code& ec, size_t n) {
        if (ec) return;  // closed
        for (size_t at = 0; at + sizeof(inotify_event) <= n;) {
          auto* e = reinterpret_cast<const inotify_event*>(buffer_ + at);
          at += sizeof(inotify_event) + e->len;
          bool rescan =
              e->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_Q_OVERFLOW |
                         IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_ATTRIB);
          if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
            watched_.erase(dirs_[e->wd]);  // re-added by the next scan if it comes back
            dirs_.erase(e->wd);
          }
          auto dir = dirs_.find(e->wd);
          std::string path;
          if (e->len > 0 && dir != dirs_.end()) path = dir->second + "/" + e->name;
          on_change_(path, rescan);
          if (!stream_) return;  // stopped from the callback
        }
        read();
      });
}

std::set<std::string> directoriesOf(const std::string& pattern) {
  std::set<std::string> dirs;
  size_t slash = pattern.rfind('/');
  std::string dir = slash == 0 ? "/" : pattern.substr(0, slash);
  if (dir.find_first_of("*?[") == std::string::npos) {
    dirs.insert(dir);
    return dirs;
  }
  glob_t g{};
  if (::glob(dir.c_str(), GLOB_ONLYDIR | GLOB_NOSORT, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) dirs.insert(g.gl_pathv[i]);
  }
  globfree(&g);
  // New subdirectories appear under the first fixed parent: watch it too.
  size_t wild = dir.find_first_of("*?[");
  size_t parent_end = dir.rfind('/', wild);
  dirs.insert(parent_end == 0 ? "/" : dir.substr(0, parent_end));
  return dirs;
}

}  // namespace logship
