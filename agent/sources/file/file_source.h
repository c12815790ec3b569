#pragma once

#include <sys/types.h>

#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "agent/api/component.h"
#include "agent/core/ack_tracker.h"
#include "agent/core/line_reader.h"
#include "agent/sources/file/file_config.h"

namespace logship {

// Reads files matched by globs and follows appends, rename rotation and truncation. Each file's
// batches are tracked by an ordered ack tracker, so its acknowledged offset only ever covers
// delivered lines.
class FileSource final : public Source {
 public:
  FileSource(FileSourceConfig config, BuildContext& ctx);
  ~FileSource() override;

  void start(SourceContext& context) override;
  void stop() override;
  std::string statusJson() const override;

 private:
  struct OpenFile {
    std::string path;
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
    std::unique_ptr<LineReader> reader;
    std::unique_ptr<OrderedAckTracker> tracker;
    std::chrono::steady_clock::time_point last_growth;
    bool at_eof = false;
    bool replaced = false;  // the path now names another file: drain this one, then close
  };

  void scan();
  void open(const std::string& path, bool from_start);
  void closeFile(std::map<std::string, std::unique_ptr<OpenFile>>::iterator it);
  // Reads one batch from `file`; returns true when it made progress.
  bool readOnce(OpenFile& file);
  void checkAtEof(OpenFile& file);
  void pump();
  void scheduleAfter(Duration delay);
  bool excluded(const std::string& path) const;

  FileSourceConfig config_;
  SourceContext* context_ = nullptr;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  // Keyed by path; a rotated-away file is re-keyed "<path>#<inode>" while it drains.
  std::map<std::string, std::unique_ptr<OpenFile>> files_;
  mutable std::mutex status_mutex_;  // guards files_ against /status readers
  std::set<std::string> reported_errors_;
  std::chrono::steady_clock::time_point last_scan_;
  bool first_scan_ = true;
  bool stopped_ = false;
};

}  // namespace logship
