#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
}

namespace logship {

// The agent's own record of what it did, kept in <data_dir>/journal/<UTC day>.ndjson so that
// `logship report` can account for a period across restarts: every minute and at shutdown a
// snapshot of the counters an audit asks about (events per component, drops, refusals, PII
// matches, alerts, retention deletions), and a line for each configuration loaded, with its
// SHA-256. Counters restart at 0 with each run; a report takes, per run, the last snapshot in
// the period less the last one before it.
class Journal {
 public:
  // The counter families snapshotted.
  static const std::vector<std::string>& families();

  Journal(std::string dir, prometheus::Registry& registry);

  void recordConfig(int64_t now_ns, const std::string& path, const std::string& sha256,
                    const std::string& reason);
  void snapshot(int64_t now_ns);
  // Deletes journal days older than `keep_ns` before now.
  void prune(int64_t now_ns, int64_t keep_ns);

  struct Entry {
    int64_t at_ns = 0;
    std::string run;
    std::string kind;  // counters | config
    std::map<std::string, double> counters;  // "family{label=\"v\",...}" -> value
    std::string path, sha256, reason;        // config
  };
  // Every entry of the journal in `dir`, in order; lines that do not parse are counted.
  static std::vector<Entry> read(const std::string& dir, size_t* bad_lines);

 private:
  void append(int64_t now_ns, const std::string& line);

  std::string dir_;
  prometheus::Registry& registry_;
  std::string run_;
  std::mutex mutex_;  // reloads record from the admin thread
};

// The SHA-256 (hex) of a pipeline file, or of a directory's *.yaml files (names and contents in
// name order); "" when unreadable.
std::string configDigest(const std::string& path);

}  // namespace logship
