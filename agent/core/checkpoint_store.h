#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace logship {

// One saved position of a source stream (a file identity, a journal, a partition).
struct Checkpoint {
  uint64_t offset = 0;
  std::string path;    // where it was last seen, for status and humans
  std::string cursor;  // source-specific state (journald cursor, fingerprints)
};

// How far a save goes.
enum class Durability {
  // Temp file, fsync, rename over the current file (which becomes the previous copy), fsync of
  // the directory: survives a power loss.
  kSynced,
  // Temp file renamed over `<path>.fast`, no fsync: survives the process being killed (the page
  // cache is the kernel's), costs no disk flush, so it can follow every acknowledgement.
  kPageCache,
};

// Durable positions of one source, keyed by stream identity, saved as JSON with a CRC32 trailer
// and a sequence number. Loading takes the newest valid copy of the current, previous and fast
// files: a torn or corrupt one is skipped, and nothing usable at all starts without checkpoints
// (with a warning): never a crash loop.
class CheckpointStore {
 public:
  explicit CheckpointStore(std::string path) : path_(std::move(path)) {}

  using Map = std::map<std::string, Checkpoint>;
  struct Loaded {
    Map checkpoints;
    bool from_previous = false;  // the current copy was unusable
    bool from_fast = false;      // the copy taken is the fast one, newer than any synced one
    std::string problem;         // why, when a copy was unusable
  };
  // Also sets the sequence the next save continues from.
  Loaded load();
  // Throws std::system_error when the state cannot be written (disk full, permissions).
  void save(const Map& checkpoints, Durability durability = Durability::kSynced);

  const std::string& path() const { return path_; }
  // Parses one serialised copy; nullopt when torn, corrupt or of an unknown version. `seq` (if
  // given) receives its sequence number (0 for copies written before it existed).
  static std::optional<Map> parse(std::string_view text, std::string* problem,
                                  uint64_t* seq = nullptr);
  static std::string serialize(const Map& checkpoints, uint64_t seq = 0);

 private:
  std::string path_;
  uint64_t seq_ = 0;  // of the last copy saved or loaded
};

}  // namespace logship
