#include "agent/sources/journald/journald_source.h"

#include <systemd/sd-journal.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <charconv>
#include <cstring>
#include <filesystem>

#include "agent/core/log.h"
#include "agent/support/json_writer.h"

namespace logship {

const OptionTable<JournaldSourceConfig>& JournaldSourceConfig::options() {
  static const OptionTable<JournaldSourceConfig> table = [] {
    OptionTable<JournaldSourceConfig> t;
    t.optional("units", &JournaldSourceConfig::units,
               "Only entries of these systemd units (e.g. [ssh.service]); all when empty.")
        .optional("identifiers", &JournaldSourceConfig::identifiers,
                  "Only entries with these SYSLOG_IDENTIFIERs (e.g. [sshd, sudo]).")
        .optional("directory", &JournaldSourceConfig::directory,
                  "Read the journal files in this directory (a host journal mounted into a "
                  "container) instead of the local system journal.")
        .oneOf("start_at", &JournaldSourceConfig::start_at, {"beginning", "end"},
               "Where to start without a saved cursor.")
        .optional("batch_events", &JournaldSourceConfig::batch_events,
                  "Entries read into one batch at most.")
        .optional("max_message_bytes", &JournaldSourceConfig::max_message_bytes,
                  "A longer MESSAGE is cut to this, flagged log.truncated and counted.")
        .optional("checkpoint_interval", &JournaldSourceConfig::checkpoint_interval,
                  "How often the acknowledged cursor is saved (also at shutdown).")
        .check([](const JournaldSourceConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.batch_events < 1) diag.error(node["batch_events"].location(), "must be positive");
          if (c.max_message_bytes.bytes < 1) {
            diag.error(node["max_message_bytes"].location(), "must be positive");
          }
        });
    return t;
  }();
  return table;
}

JournaldSource::JournaldSource(JournaldSourceConfig config, BuildContext& ctx)
    : config_(std::move(config)), id_(ctx.id) {}

JournaldSource::~JournaldSource() {
  if (wakeup_) wakeup_->release();  // the descriptor belongs to the journal
  if (journal_) sd_journal_close(journal_);
}

namespace {

// Syslog priorities 0..7 to the normalised levels.
Severity severityOf(std::string_view priority) {
  if (priority.size() != 1 || priority[0] < '0' || priority[0] > '7') return Severity::kUnset;
  static constexpr Severity kMap[] = {Severity::kCritical, Severity::kCritical, Severity::kCritical,
                                      Severity::kHigh,     Severity::kMedium,   Severity::kLow,
                                      Severity::kInfo,     Severity::kDebug};
  return kMap[priority[0] - '0'];
}

std::string_view field(sd_journal* j, const char* name) {
  const void* data = nullptr;
  size_t length = 0;
  if (sd_journal_get_data(j, name, &data, &length) < 0) return {};
  std::string_view kv(static_cast<const char*>(data), length);
  size_t eq = kv.find('=');
  return eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
}

}  // namespace

bool JournaldSource::open() {
  int rc = config_.directory.empty()
               ? sd_journal_open(&journal_, SD_JOURNAL_LOCAL_ONLY)
               : sd_journal_open_directory(&journal_, config_.directory.c_str(), 0);
  if (rc < 0) {
    logWarn("journald source '" + id_ + "': cannot open the journal: " + std::strerror(-rc));
    context_->metrics().error("open_failed");
    journal_ = nullptr;
    return false;
  }
  // Matches on one field are ORed; units and identifiers are ORed too (either selects an entry).
  for (const std::string& unit : config_.units) {
    std::string m = "_SYSTEMD_UNIT=" + unit;
    sd_journal_add_match(journal_, m.data(), m.size());
  }
  if (!config_.units.empty() && !config_.identifiers.empty()) sd_journal_add_disjunction(journal_);
  for (const std::string& ident : config_.identifiers) {
    std::string m = "SYSLOG_IDENTIFIER=" + ident;
    sd_journal_add_match(journal_, m.data(), m.size());
  }
  CheckpointStore::Loaded loaded = store_->load();
  if (!loaded.problem.empty()) {
    logWarn("journald source '" + id_ + "': checkpoint unusable (" + loaded.problem + ")");
  }
  auto saved = loaded.checkpoints.find("journal");
  if (saved != loaded.checkpoints.end() && !saved->second.cursor.empty() &&
      sd_journal_seek_cursor(journal_, saved->second.cursor.c_str()) == 0) {
    // The saved entry itself was delivered: step onto it, then continue after it.
    if (sd_journal_next(journal_) > 0 &&
        sd_journal_test_cursor(journal_, saved->second.cursor.c_str()) <= 0) {
      sd_journal_previous(journal_);
    }
    acked_cursor_ = saved->second.cursor;
  } else if (config_.start_at == "end") {
    sd_journal_seek_tail(journal_);
    sd_journal_previous(journal_);
  } else {
    sd_journal_seek_head(journal_);
  }
  int fd = sd_journal_get_fd(journal_);
  if (fd >= 0) {
    wakeup_ = std::make_unique<boost::asio::posix::stream_descriptor>(context_->io(), fd);
  }
  return true;
}

void JournaldSource::start(SourceContext& context) {
  context_ = &context;
  timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  checkpoint_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  std::string dir = context.global().data_dir + "/checkpoints";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  store_ = std::make_unique<CheckpointStore>(dir + "/" + id_ + ".json");
  if (!open()) {
    // Retried: the journal may appear (a volume mounted late).
    timer_->expires_after(std::chrono::seconds(10));
    timer_->async_wait([this](const boost::system::error_code& e) {
      if (!e && !stopped_) start(*context_);
    });
    return;
  }
  pump();
  scheduleCheckpoint();
}

void JournaldSource::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
  if (checkpoint_timer_) checkpoint_timer_->cancel();
  if (wakeup_) wakeup_->cancel();
}

void JournaldSource::pump() {
  if (stopped_) return;
  if (context_->downstreamFull()) {
    timer_->expires_after(std::chrono::milliseconds(5));
    timer_->async_wait([this](const boost::system::error_code& e) {
      if (!e) pump();
    });
    return;
  }
  // One buffer holds every message of the batch; events view into it.
  std::string text;
  struct Entry {
    size_t begin, size;
    int64_t ts;
    Severity severity;
    bool truncated;
  };
  std::vector<Entry> entries;
  // process.name, process.pid, host.name and systemd.unit of each entry, as (offset, size) in meta.
  std::string meta;
  std::vector<std::array<size_t, 8>> meta_ranges;
  char* cursor = nullptr;
  while (entries.size() < static_cast<size_t>(config_.batch_events)) {
    int r = sd_journal_next(journal_);
    if (r <= 0) break;
    uint64_t usec = 0;
    sd_journal_get_realtime_usec(journal_, &usec);
    std::string_view message = field(journal_, "MESSAGE");
    const bool truncated = message.size() > config_.max_message_bytes.bytes;
    if (truncated) message = message.substr(0, config_.max_message_bytes.bytes);
    Entry e{text.size(), message.size(), static_cast<int64_t>(usec) * 1000,
            severityOf(field(journal_, "PRIORITY")), truncated};
    text.append(message);
    text.push_back('\n');
    std::array<size_t, 8> ranges{};
    const char* names[] = {"SYSLOG_IDENTIFIER", "_PID", "_HOSTNAME", "_SYSTEMD_UNIT"};
    for (int k = 0; k < 4; ++k) {
      std::string_view v = field(journal_, names[k]);
      ranges[2 * k] = meta.size();
      ranges[2 * k + 1] = v.size();
      meta.append(v);
    }
    meta_ranges.push_back(ranges);
    entries.push_back(e);
    if (cursor) free(cursor);
    cursor = nullptr;
    sd_journal_get_cursor(journal_, &cursor);
  }
  if (!entries.empty()) {
    auto raw = std::make_unique_for_overwrite<char[]>(text.size());
    std::memcpy(raw.get(), text.data(), text.size());
    entries_read_ += entries.size();
    {
      std::lock_guard lock(cursors_mutex_);
      cursors_.emplace_back(entries_read_, cursor ? cursor : "");
    }
    Batch batch(std::move(raw), text.size(), tracker_.track(entries_read_));
    std::string_view meta_view = batch.arena().copy(meta);
    batch.events().reserve(entries.size());
    size_t truncated = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
      Event& ev = batch.events().emplace_back();
      ev.message = batch.raw().substr(entries[i].begin, entries[i].size);
      ev.timestamp_ns = entries[i].ts;
      ev.severity = entries[i].severity;
      if (entries[i].truncated) {
        ev.flags |= Event::kTruncated;
        ++truncated;
      }
      ev.offset = entries_read_ - entries.size() + i;
      static constexpr const char* kKeys[] = {"process.name", "process.pid", "host.name",
                                              "systemd.unit"};
      for (int k = 0; k < 4; ++k) {
        std::string_view v = meta_view.substr(meta_ranges[i][2 * k], meta_ranges[i][2 * k + 1]);
        if (v.empty()) continue;
        if (k == 1) {
          int64_t pid = 0;
          auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), pid);
          if (ec == std::errc()) batch.addField(ev, kKeys[k], FieldValue::integer(pid));
        } else {
          batch.addField(ev, kKeys[k], FieldValue::string(v));
        }
      }
    }
    context_->metrics().received(entries.size(), text.size());
    if (truncated) context_->metrics().discarded("truncated_line", truncated);
    context_->emit(std::move(batch));
  }
  if (cursor) free(cursor);
  if (entries.size() == static_cast<size_t>(config_.batch_events)) {
    boost::asio::post(context_->io(), [this] { pump(); });
  } else {
    waitForEntries();
  }
}

void JournaldSource::waitForEntries() {
  if (stopped_) return;
  auto again = [this] {
    if (stopped_) return;
    sd_journal_process(journal_);
    pump();
  };
  if (wakeup_) {
    // The journal fd becomes readable when entries are appended; a timer covers rotations.
    wakeup_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                        [this, again](const boost::system::error_code& ec) {
                          if (!ec) {
                            timer_->cancel();
                            again();
                          }
                        });
  }
  timer_->expires_after(std::chrono::seconds(1));
  timer_->async_wait([this, again](const boost::system::error_code& ec) {
    if (ec) return;
    if (wakeup_) wakeup_->cancel();
    again();
  });
}

void JournaldSource::scheduleCheckpoint() {
  checkpoint_timer_->expires_after(config_.checkpoint_interval);
  checkpoint_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    saveState();
    scheduleCheckpoint();
  });
}

void JournaldSource::saveState() {
  if (!store_) return;
  uint64_t acked = tracker_.checkpoint();
  {
    std::lock_guard lock(cursors_mutex_);
    while (!cursors_.empty() && cursors_.front().first <= acked) {
      acked_cursor_ = cursors_.front().second;
      cursors_.pop_front();
    }
  }
  if (acked_cursor_.empty() || acked_cursor_ == last_saved_) return;
  try {
    store_->save({{"journal", Checkpoint{acked, config_.directory, acked_cursor_}}});
    last_saved_ = acked_cursor_;
  } catch (const std::exception& e) {
    context_->metrics().error("checkpoint_save_failed");
    logWarn("journald source '" + id_ + "': cannot save its cursor: " + e.what());
  }
}

std::string JournaldSource::statusJson() const {
  std::string out = "{\"entries_read\":" + std::to_string(entries_read_) +
                    ",\"entries_acknowledged\":" + std::to_string(tracker_.checkpoint()) +
                    ",\"cursor\":";
  std::lock_guard lock(cursors_mutex_);
  json::appendString(out, acked_cursor_);
  return out + "}";
}

void registerJournaldSource(Registry& registry) {
  registry.addSource<JournaldSourceConfig, JournaldSource>(
      "journald", "Reads the systemd journal, resuming from the last acknowledged cursor.");
}

}  // namespace logship
