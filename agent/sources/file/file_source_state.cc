// What the file source keeps and shows: its acknowledged positions (saved to the checkpoint store
// on an interval, durably at shutdown) and its /status.
#include <boost/asio/steady_timer.hpp>

#include "agent/core/log.h"
#include "agent/sources/file/file_source.h"
#include "agent/support/json_writer.h"

namespace logship {

void FileSource::scheduleCheckpoint() {
  checkpoint_timer_->expires_after(config_.checkpoint_interval);
  checkpoint_timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    saveState();
    scheduleCheckpoint();
  });
}

CheckpointStore::Map FileSource::snapshot() const {
  CheckpointStore::Map map;
  std::lock_guard lock(mutex_);
  for (auto& [key, t] : tails_) {
    map[key] = Checkpoint{t->tracker->checkpoint(), t->path, t->head.str()};
  }
  // Positions of files not found now (unreadable for a while, or an unmounted volume) are kept as
  // long as their path exists.
  for (auto& [key, cp] : saved_) {
    if (!map.count(key) && ::access(cp.path.c_str(), F_OK) == 0) map[key] = cp;
  }
  return map;
}

void FileSource::saveState() { save(Durability::kSynced); }

void FileSource::saveAcknowledged() {
  // A save writes every file's position, so with many files one per acknowledgement costs more
  // than reading them: saves are spaced to take at most about 1/16 of the worker's time. A
  // process killed in between re-reads what was acknowledged since (at least once, as ever).
  const Clock::time_point now = Clock::now();
  if (now < next_acknowledged_save_) {
    if (acknowledged_save_armed_) return;
    acknowledged_save_armed_ = true;
    acknowledged_timer_->expires_at(next_acknowledged_save_);
    acknowledged_timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
      if (ec || !*alive) return;
      acknowledged_save_armed_ = false;
      saveAcknowledged();
    });
    return;
  }
  save(Durability::kPageCache);
  next_acknowledged_save_ = Clock::now() + (Clock::now() - now) * 15;
}

void FileSource::save(Durability durability) {
  if (!store_) return;
  CheckpointStore::Map map = snapshot();
  std::string text = CheckpointStore::serialize(map);
  std::string& last = durability == Durability::kSynced ? last_synced_ : last_written_;
  if (text == last) return;
  try {
    store_->save(map, durability);
    last_written_ = text;
    last = std::move(text);
  } catch (const std::exception& e) {
    context_->metrics().error("checkpoint_save_failed");
    logWarn("file source '" + id_ + "': cannot save checkpoints: " + e.what());
  }
}

std::string FileSource::statusJson() const {
  std::lock_guard lock(mutex_);
  std::string out = "{\"files\":[";
  bool first = true;
  for (auto& [key, t] : tails_) {
    if (!first) out += ',';
    first = false;
    struct stat st {};
    uint64_t size = ::fstat(t->fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
    uint64_t acked = t->tracker->checkpoint();
    out += "{\"path\":";
    json::appendString(out, t->path);
    out += ",\"identity\":\"" + key + ":" + t->head.str() + "\"";
    out += ",\"size\":" + std::to_string(size);
    out += ",\"read_offset\":" + std::to_string(t->reader->readOffset());
    out += ",\"acknowledged_offset\":" + std::to_string(acked);
    out += ",\"lag_bytes\":" + std::to_string(size > acked ? size - acked : 0);
    out += t->gone ? ",\"rotated\":true}" : "}";
  }
  out += "]}";
  return out;
}

}  // namespace logship
