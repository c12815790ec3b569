#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace logship::archive {

// One line of a tier's MANIFEST: a sealed segment, or the deletion of one by retention. Every
// record carries `chain` = SHA-256(previous chain | this record's fields), so editing, removing or
// reordering records breaks the chain from that point on.
struct Record {
  enum class Kind { kSegment, kDeleted };
  Kind kind = Kind::kSegment;
  uint64_t seq = 0;
  std::string file;    // relative to the tier directory: "2026-11-22/00000001.ndjson.zst"
  uint64_t bytes = 0;  // compressed size
  uint64_t raw_bytes = 0;
  uint64_t events = 0;
  std::string sha256;  // of the segment file
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  int64_t at_ns = 0;   // when sealed or deleted
  std::string reason;  // deletions: "retention"
  std::string key_id;  // encrypted segments: the key that sealed them (each frame names its own)
  std::string chain;

  // The fields the chain covers, in a fixed order.
  std::string canonical() const;
  std::string toJson() const;
  static std::optional<Record> fromJson(std::string_view line);
};

inline constexpr const char* kGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr const char* kManifestName = "MANIFEST";
inline constexpr const char* kManifestHmacName = "MANIFEST.hmac";

std::string chainNext(const std::string& previous, const Record& record);

struct VerifyReport {
  std::vector<std::string> problems;  // each names the tier, segment and what is wrong
  std::vector<std::string> notes;     // open (unsealed) segments and the like
  uint64_t segments = 0;
  uint64_t deleted = 0;
  bool cancelled = false;  // stopped before the end: the rest was not checked
};

// Where an archive is read from for verification: a directory on this host or a bucket it was
// uploaded to. Paths are relative to the archive root ("audit/MANIFEST").
class ArchiveStore {
 public:
  virtual ~ArchiveStore() = default;
  // Tier names that hold a MANIFEST, sorted.
  virtual std::vector<std::string> tiers() = 0;
  // A file's content; nullopt when it is not there.
  virtual std::optional<std::string> read(const std::string& path) = 0;
  // A file's SHA-256 (hex) and size; nullopt when it is not there.
  virtual std::optional<std::string> sha256(const std::string& path, uint64_t* size) = 0;
  // The segment files of a tier ("2026-11-22/00000001.ndjson.zst", also ".open" ones).
  virtual std::vector<std::string> files(const std::string& tier) = 0;
};

// The archive under `root`; a tier directory (holding a MANIFEST) is taken as an archive of
// that one tier.
std::unique_ptr<ArchiveStore> directoryStore(const std::string& root);

// Checks every tier of `store`: the chain, the HMAC when `hmac_key` is given, and every live
// segment's size and hash. Names segments changed, removed, reordered or truncated, and files the
// manifest does not know. `where` names the store in the report when it holds no archive.
VerifyReport verifyArchive(ArchiveStore& store, const std::string& hmac_key,
                           const std::string& where, const std::atomic<bool>* cancel = nullptr);
// `cancel`, when given and set, stops the check between two segments (an agent shutting down).
VerifyReport verifyArchive(const std::string& root, const std::string& hmac_key,
                           const std::atomic<bool>* cancel = nullptr);

// The records of a MANIFEST's text; `error` receives why when a line cannot be parsed.
std::vector<Record> parseManifest(std::string_view text, std::string* error);
// Reads a tier's manifest from its directory.
std::vector<Record> readManifest(const std::string& tier_dir, std::string* error);

// The chain head of a manifest as an anchor line, "archive anchor tier=T records=N chain=H",
// which `logship archive verify --anchors` finds in whatever output recorded it.
std::string anchorLine(const std::string& tier, size_t records, const std::string& chain);

// Checks `store`'s manifests against the anchors found in `anchors_text` (any text holding
// anchor lines: NDJSON, Loki lines, a Kafka dump): a tier whose record N no longer carries the
// recorded chain, or that has fewer records than an anchor saw, was rewritten. Adds to `report`;
// returns how many anchors were checked.
size_t verifyAnchors(ArchiveStore& store, std::string_view anchors_text, VerifyReport& report);

}  // namespace logship::archive
