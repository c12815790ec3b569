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

// Durable positions of one source, keyed by stream identity. Saved as JSON with a CRC32 trailer by
// writing a temp file, fsyncing it, renaming it over the current file (the current one becomes the
// previous copy) and fsyncing the directory. Loading falls back to the previous copy when the
// current one is torn or corrupt, and to nothing (with a warning) when both are: never a crash loop.
class CheckpointStore {
 public:
  explicit CheckpointStore(std::string path) : path_(std::move(path)) {}

  using Map = std::map<std::string, Checkpoint>;
  struct Loaded {
    Map checkpoints;
    bool from_previous = false;   // the current copy was unusable
    std::string problem;          // why, when a copy was unusable
  };
  Loaded load() const;
  // Throws std::system_error when the state cannot be written (disk full, permissions).
  void save(const Map& checkpoints) const;

  const std::string& path() const { return path_; }
  // Parses one serialised copy; nullopt when torn, corrupt or of an unknown version.
  static std::optional<Map> parse(std::string_view text, std::string* problem);
  static std::string serialize(const Map& checkpoints);

 private:
  std::string path_;
};

}  // namespace logship
