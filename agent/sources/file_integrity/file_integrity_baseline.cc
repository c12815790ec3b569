// The file_integrity source's baseline: what each watched file was when last reported and
// acknowledged, kept in <data_dir>/file_integrity/<id>.json across restarts.
#include <simdjson.h>

#include "agent/core/log.h"
#include "agent/sources/file_integrity/file_integrity_source.h"
#include "agent/support/files.h"
#include "agent/support/json_writer.h"

namespace logship {

std::string FileIntegritySource::baselinePath() const {
  return context_->global().data_dir + "/file_integrity/" + id_ + ".json";
}

bool FileIntegritySource::loadBaseline(Snapshot& out) {
  std::optional<std::string> text = readWholeFile(baselinePath());
  if (!text) return false;
  simdjson::dom::parser parser;
  simdjson::dom::object files;
  int64_t version = 0;
  simdjson::dom::element root;
  if (parser.parse(*text).get(root) || root["version"].get(version) || version != 1 ||
      root["files"].get(files)) {
    logWarn("file_integrity source '" + id_ + "': baseline " + baselinePath() +
            " is unreadable; a new one is recorded");
    return false;
  }
  for (auto [path, value] : files) {
    FileFacts f;
    std::string_view type, sha, target;
    uint64_t size = 0, mode = 0, uid = 0, gid = 0, inode = 0;
    int64_t mtime = 0;
    if (value["type"].get(type) || type.empty() || value["size"].get(size) ||
        value["mode"].get(mode) || value["uid"].get(uid) || value["gid"].get(gid) ||
        value["mtime_ns"].get(mtime) || value["inode"].get(inode) || value["sha256"].get(sha) ||
        value["target"].get(target)) {
      continue;  // an entry of another layout: that file is reported as created
    }
    f.type = type[0];
    f.size = size;
    f.mode = static_cast<uint32_t>(mode);
    f.uid = static_cast<uint32_t>(uid);
    f.gid = static_cast<uint32_t>(gid);
    f.mtime_ns = mtime;
    f.inode = inode;
    f.sha256 = sha;
    f.target = target;
    out.emplace(std::string(path), std::move(f));
  }
  return true;
}

void FileIntegritySource::saveState() {
  if (context_ == nullptr) return;
  std::string text;
  {
    std::lock_guard lock(baseline_mutex_);
    const uint64_t acked = tracker_.checkpoint();
    while (!unacknowledged_.empty() && unacknowledged_.front().first <= acked) {
      for (auto& [path, after] : unacknowledged_.front().second) {
        if (after) {
          baseline_[path] = *after;
        } else {
          baseline_.erase(path);
        }
      }
      unacknowledged_.pop_front();
      baseline_dirty_ = true;
    }
    if (!baseline_dirty_) return;
    text = "{\"version\":1,\"files\":{";
    bool first = true;
    for (const auto& [path, f] : baseline_) {
      if (!first) text.push_back(',');
      first = false;
      text.push_back('\n');
      json::appendString(text, path);
      text += ":{\"type\":\"";
      text.push_back(f.type);
      text += "\",\"size\":" + std::to_string(f.size) + ",\"mode\":" + std::to_string(f.mode) +
              ",\"uid\":" + std::to_string(f.uid) + ",\"gid\":" + std::to_string(f.gid) +
              ",\"mtime_ns\":" + std::to_string(f.mtime_ns) +
              ",\"inode\":" + std::to_string(f.inode) + ",\"sha256\":";
      json::appendString(text, f.sha256);
      text += ",\"target\":";
      json::appendString(text, f.target);
      text.push_back('}');
    }
    text += "\n}}\n";
    baseline_dirty_ = false;
  }
  std::string error;
  if (!writeFileAtomically(baselinePath(), text, &error)) {
    {
      std::lock_guard lock(baseline_mutex_);
      baseline_dirty_ = true;
    }
    context_->metrics().error("baseline_save_failed");
    logWarn("file_integrity source '" + id_ + "': cannot save its baseline: " + error);
  }
}

}  // namespace logship
