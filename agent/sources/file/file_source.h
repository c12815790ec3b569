#pragma once

#include <sys/types.h>

#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "agent/core/ack_tracker.h"
#include "agent/core/checkpoint_store.h"
#include "agent/core/line_reader.h"
#include "agent/core/log.h"
#include "agent/sources/file/file_config.h"
#include "agent/sources/file/file_watcher.h"
#include "agent/sources/file/fingerprint.h"
#include "agent/sources/file/line_assembler.h"

namespace prometheus {
class Counter;
class Gauge;
template <class T>
class Family;
}  // namespace prometheus

namespace logship {

using Clock = std::chrono::steady_clock;

// The file tailer. Files are identified by device + inode and the hash of their first bytes, so
// renames, copytruncate, truncation and inode reuse neither lose nor repeat lines. Each file's
// batches go through an ordered ack tracker; only acknowledged positions are saved, so after a
// crash reading resumes at the first line some output had not yet accepted. They are written as
// they advance (to the page cache: a killed agent repeats only the batches that were in flight)
// and synced every checkpoint_interval (what a power loss can take back).
class FileSource final : public Source {
 public:
  FileSource(FileSourceConfig config, BuildContext& ctx);
  ~FileSource() override;

  void start(SourceContext& context) override;
  void stop() override;
  void saveState() override;
  std::string statusJson() const override;

 private:
  // One open file.
  struct Tail {
    std::string key;  // "dev:ino"
    std::string path;
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
    Head head;
    std::unique_ptr<LineReader> reader;
    std::vector<std::unique_ptr<LineAssembler>> assemblers;  // CRI, then multiline
    std::shared_ptr<OrderedAckTracker> tracker;
    std::chrono::steady_clock::time_point last_growth;
    std::chrono::steady_clock::time_point gone_since;
    bool at_eof = false;
    // Worth a read now: it had data last time, or inotify reported a change. Idle files are only
    // looked at on the poll interval.
    bool active = true;
    bool gone = false;         // the path no longer names this file: drain it, then close
    std::string metrics_path;  // the path its metrics are labelled with (where it was opened)
    prometheus::Counter* read_bytes = nullptr;
    prometheus::Gauge* lag_bytes = nullptr;
  };
  struct PathMetrics {
    prometheus::Counter* read_bytes = nullptr;
    prometheus::Gauge* lag_bytes = nullptr;
    int refs = 0;
  };
  // The stream of a file before it was truncated in place: a copytruncate copy continues it.
  struct Predecessor {
    Head head;
    uint64_t consumed = 0;
    std::shared_ptr<OrderedAckTracker> tracker;
    std::chrono::steady_clock::time_point since;
  };

  void scan();
  void place(const std::string& path, const struct stat& st, bool startup, int pass);
  void openTail(const std::string& path, int fd, const struct stat& st, const Head& head,
                uint64_t offset, std::shared_ptr<OrderedAckTracker> tracker, const char* why);
  void closeTail(const std::string& key);
  bool readOnce(Tail& tail);
  void emitChunk(Tail& tail, LineReader::Chunk& chunk, bool final);
  void checkAtEof(Tail& tail);
  void truncated(Tail& tail, const char* how);
  void pump();
  void scheduleRead(Duration delay);
  void pumpSoon();
  Duration sweepInterval() const;
  void scheduleCheckpoint();
  bool excluded(const std::string& path) const;
  CheckpointStore::Map snapshot() const;
  void save(Durability durability);
  void saveAcknowledged();
  struct PositionsChanged;
  std::shared_ptr<OrderedAckTracker> newTracker(uint64_t offset);

  FileSourceConfig config_;
  std::string id_;
  std::shared_ptr<const MultilineRule> multiline_;  // when configured
  LogThrottle cut_events_;
  Duration flush_after_;  // a held-back partial line or group is shipped after this idle time
  SourceContext* context_ = nullptr;
  std::unique_ptr<CheckpointStore> store_;
  std::unique_ptr<FileWatcher> watcher_;
  std::unique_ptr<boost::asio::steady_timer> read_timer_;
  std::unique_ptr<boost::asio::steady_timer> checkpoint_timer_;
  std::unique_ptr<boost::asio::steady_timer> acknowledged_timer_;
  bool acknowledged_save_armed_ = false;
  Clock::time_point next_acknowledged_save_;
  bool pump_posted_ = false;
  bool timer_armed_ = false;
  bool rescan_requested_ = false;

  std::map<std::string, std::unique_ptr<Tail>> tails_;  // by key
  std::string last_read_key_;                           // where the round-robin continues
  std::map<std::string, std::string> key_by_path_;      // for inotify events
  Clock::time_point last_sweep_;                        // last time every file was looked at
  mutable std::mutex mutex_;                            // tails_ against /status and saveState
  CheckpointStore::Map saved_;                          // loaded, not yet matched to a file
  std::vector<Predecessor> predecessors_;
  std::map<std::string, std::chrono::steady_clock::time_point> candidates_;  // path -> first seen
  std::vector<std::shared_ptr<OrderedAckTracker>> retired_;  // closed files with acks in flight
  std::set<std::string> reported_errors_;
  std::string last_synced_;   // the positions of the last synced save
  std::string last_written_;  // and of the last save of either kind
  std::shared_ptr<PositionsChanged> positions_changed_;
  std::chrono::steady_clock::time_point last_scan_;
  bool first_scan_ = true;
  bool stopped_ = false;
  // Cleared by stop() on the worker: a handler still queued then (a posted pump, a timer that
  // fired as it was cancelled) must not touch a source the topology may already have freed.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  std::map<std::string, PathMetrics> path_metrics_;
  prometheus::Family<prometheus::Counter>* read_bytes_family_ = nullptr;
  prometheus::Family<prometheus::Gauge>* lag_family_ = nullptr;
  prometheus::Gauge* open_files_ = nullptr;
  prometheus::Family<prometheus::Counter>* rotations_ = nullptr;
};

}  // namespace logship
