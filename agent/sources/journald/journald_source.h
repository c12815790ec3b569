#pragma once

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "agent/core/ack_tracker.h"
#include "agent/core/checkpoint_store.h"

struct sd_journal;

namespace logship {

struct JournaldSourceConfig {
  std::vector<std::string> units;        // _SYSTEMD_UNIT matches (ssh.service)
  std::vector<std::string> identifiers;  // SYSLOG_IDENTIFIER matches (sshd, sudo)
  std::string directory;                 // a journal directory instead of the system journal
  std::string start_at = "end";
  int64_t batch_events = 1000;
  ByteSize max_message_bytes{1u << 20};
  Duration checkpoint_interval = std::chrono::seconds(1);

  static const OptionTable<JournaldSourceConfig>& options();
};

// Reads the systemd journal through sd_journal: entries become events with ECS fields
// (process.name, process.pid, host.name, log.level from PRIORITY, systemd.unit); the cursor of the
// last acknowledged entry is checkpointed like a file offset, so a restart resumes after it.
class JournaldSource final : public Source {
 public:
  JournaldSource(JournaldSourceConfig config, BuildContext& ctx);
  ~JournaldSource() override;

  void start(SourceContext& context) override;
  void stop() override;
  void saveState() override;
  std::string statusJson() const override;

 private:
  bool open();
  void pump();
  void waitForEntries();
  void scheduleCheckpoint();

  JournaldSourceConfig config_;
  std::string id_;
  SourceContext* context_ = nullptr;
  sd_journal* journal_ = nullptr;
  std::unique_ptr<boost::asio::posix::stream_descriptor> wakeup_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::unique_ptr<boost::asio::steady_timer> checkpoint_timer_;
  std::unique_ptr<CheckpointStore> store_;
  OrderedAckTracker tracker_;
  uint64_t entries_read_ = 0;
  mutable std::mutex cursors_mutex_;
  std::deque<std::pair<uint64_t, std::string>> cursors_;  // batch end sequence -> its last cursor
  std::string acked_cursor_;
  std::string last_saved_;
  bool stopped_ = false;
};

void registerJournaldSource(Registry& registry);

}  // namespace logship
