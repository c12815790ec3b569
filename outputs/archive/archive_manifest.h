#pragma once

#include <cstdint>
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
};

// Checks every tier under `root` (or one tier directory): the chain, the HMAC when `hmac_key` is
// given, and every live segment's size and hash. Names segments changed, removed, reordered or
// truncated, and files the manifest does not know.
VerifyReport verifyArchive(const std::string& root, const std::string& hmac_key);

// Reads a tier's manifest; `error` receives why when a line cannot be parsed.
std::vector<Record> readManifest(const std::string& tier_dir, std::string* error);

}  // namespace logship::archive
