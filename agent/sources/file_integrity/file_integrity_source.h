#pragma once

#include <sys/types.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "agent/core/ack_tracker.h"

namespace logship {

struct FileIntegrityConfig {
  std::vector<std::string> paths;    // files, directories and glob patterns
  std::vector<std::string> exclude;  // glob patterns of paths left out
  bool recursive = true;
  Duration rescan_interval = std::chrono::minutes(5);
  ByteSize max_file_bytes{64u << 20};
  Duration settle = std::chrono::milliseconds(100);

  static const OptionTable<FileIntegrityConfig>& options();
};

// What is known of one watched file: enough to tell a change of content from one of attributes.
struct FileFacts {
  char type = 'f';  // f file, l symlink, o other (device, fifo, socket)
  uint64_t size = 0;
  uint32_t mode = 0;  // permission bits and set-id bits
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  std::string sha256;  // of the content (files within max_file_bytes)
  std::string target;  // what a symlink points to
  bool operator==(const FileFacts&) const = default;
};

// Watches files for change (file integrity monitoring): inotify on the directories that hold
// them, a full rescan every rescan_interval (and when the kernel's queue overflowed), SHA-256 of
// the content before and after. Emits file_created, file_modified, file_deleted and
// file_attributes_changed with file.* (path, type, size, mode, uid, gid, owner, group, inode,
// mtime, hash.sha256) and the earlier hash, mode and owner under file_integrity.previous.*.
// The baseline is kept in <data_dir>/file_integrity/<id>.json and advances only with
// acknowledgements: a change made while the agent was down, or not yet delivered when it
// stopped, is reported at the next start.
class FileIntegritySource final : public Source {
 public:
  FileIntegritySource(FileIntegrityConfig config, BuildContext& ctx);
  ~FileIntegritySource() override;

  void start(SourceContext& context) override;
  void stop() override;
  void saveState() override;
  std::string statusJson() const override;

 private:
  using Snapshot = std::map<std::string, FileFacts>;
  // Paths with what they are now; nullopt: gone.
  using Changes = std::vector<std::pair<std::string, std::optional<FileFacts>>>;

  bool wanted(const std::string& path) const;
  std::optional<FileFacts> observe(const std::string& path) const;
  void scanInto(const std::string& path, Snapshot& out, int depth);
  Snapshot scanAll();
  void watchDirectories();
  void addWatch(const std::string& dir);
  void readInotify();
  void scheduleSettle();
  void scheduleRescan();
  void scheduleRescan(std::chrono::nanoseconds after);
  void scheduleCheckpoint();
  void examine(const std::set<std::string>& paths);
  Changes changesTo(const Snapshot& now) const;
  // Emits what changed against known_ and moves known_ on.
  void report(const Changes& changes);
  std::string baselinePath() const;
  bool loadBaseline(Snapshot& out);

  FileIntegrityConfig config_;
  std::string id_;
  SourceContext* context_ = nullptr;
  int inotify_fd_ = -1;
  std::unique_ptr<boost::asio::posix::stream_descriptor> inotify_;
  std::unique_ptr<boost::asio::steady_timer> settle_timer_;
  std::unique_ptr<boost::asio::steady_timer> rescan_timer_;
  std::unique_ptr<boost::asio::steady_timer> checkpoint_timer_;
  std::map<int, std::string> watches_;  // inotify descriptor -> directory
  std::set<std::string> watched_dirs_;
  std::set<std::string> dirty_;  // paths inotify named since the last examination
  bool settle_armed_ = false;
  bool stopped_ = false;

  Snapshot known_;  // as last reported downstream
  // The baseline as acknowledged, and per emitted batch the changes it carries.
  mutable std::mutex baseline_mutex_;
  Snapshot baseline_;
  std::deque<std::pair<uint64_t, Changes>> unacknowledged_;
  bool baseline_dirty_ = false;
  uint64_t batches_ = 0;
  OrderedAckTracker tracker_;
};

void registerFileIntegritySource(Registry& registry);

}  // namespace logship
