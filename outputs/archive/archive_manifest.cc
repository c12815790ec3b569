#include "outputs/archive/archive_manifest.h"

#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "agent/support/digest.h"
#include "agent/support/files.h"
#include "agent/support/json_writer.h"

namespace logship::archive {

namespace fs = std::filesystem;

std::string Record::canonical() const {
  std::ostringstream s;
  if (kind == Kind::kSegment) {
    s << "segment|" << seq << '|' << file << '|' << bytes << '|' << raw_bytes << '|' << events
      << '|' << sha256 << '|' << first_ns << '|' << last_ns << '|' << at_ns;
    if (!key_id.empty()) s << "|key=" << key_id;
  } else {
    s << "deleted|" << seq << '|' << file << '|' << at_ns << '|' << reason;
  }
  return s.str();
}

std::string chainNext(const std::string& previous, const Record& record) {
  return sha256Hex(previous + "|" + record.canonical());
}

std::string Record::toJson() const {
  std::string out = "{\"kind\":";
  out += kind == Kind::kSegment ? "\"segment\"" : "\"deleted\"";
  out += ",\"seq\":" + std::to_string(seq) + ",\"file\":";
  json::appendString(out, file);
  if (kind == Kind::kSegment) {
    out += ",\"bytes\":" + std::to_string(bytes) + ",\"raw_bytes\":" + std::to_string(raw_bytes) +
           ",\"events\":" + std::to_string(events) + ",\"sha256\":\"" + sha256 +
           "\",\"first_ns\":" + std::to_string(first_ns) +
           ",\"last_ns\":" + std::to_string(last_ns);
    if (!key_id.empty()) {
      out += ",\"key_id\":";
      json::appendString(out, key_id);
    }
  } else {
    out += ",\"reason\":";
    json::appendString(out, reason);
  }
  out += ",\"at_ns\":" + std::to_string(at_ns) + ",\"chain\":\"" + chain + "\"}";
  return out;
}

std::optional<Record> Record::fromJson(std::string_view line) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(line.data(), line.size()).get(e)) return std::nullopt;
  Record r;
  std::string_view kind, file, chain;
  if (e["kind"].get(kind) || e["seq"].get(r.seq) || e["file"].get(file) ||
      e["at_ns"].get(r.at_ns) || e["chain"].get(chain)) {
    return std::nullopt;
  }
  r.file = file;
  r.chain = chain;
  if (kind == "segment") {
    std::string_view sha;
    if (e["bytes"].get(r.bytes) || e["raw_bytes"].get(r.raw_bytes) || e["events"].get(r.events) ||
        e["sha256"].get(sha) || e["first_ns"].get(r.first_ns) || e["last_ns"].get(r.last_ns)) {
      return std::nullopt;
    }
    r.sha256 = sha;
    std::string_view key_id;
    if (!e["key_id"].get(key_id)) r.key_id = key_id;
  } else if (kind == "deleted") {
    r.kind = Kind::kDeleted;
    std::string_view reason;
    if (e["reason"].get(reason)) return std::nullopt;
    r.reason = reason;
  } else {
    return std::nullopt;
  }
  return r;
}

std::vector<Record> parseManifest(std::string_view text, std::string* error) {
  std::vector<Record> out;
  size_t n = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++n;
    if (line.empty()) continue;
    auto r = Record::fromJson(line);
    if (!r) {
      if (error && error->empty()) *error = "line " + std::to_string(n) + " is not a record";
      continue;
    }
    out.push_back(std::move(*r));
  }
  return out;
}

std::vector<Record> readManifest(const std::string& tier_dir, std::string* error) {
  return parseManifest(readWholeFile(tier_dir + "/" + kManifestName).value_or(""), error);
}

std::string anchorLine(const std::string& tier, size_t records, const std::string& chain) {
  return "archive anchor tier=" + tier + " records=" + std::to_string(records) + " chain=" + chain;
}

namespace {

class DirectoryStore final : public ArchiveStore {
 public:
  explicit DirectoryStore(fs::path root) : root_(std::move(root)) {
    std::error_code ec;
    // A tier directory given on its own: its parent is the root, and it the only tier.
    if (fs::exists(root_ / kManifestName, ec)) {
      only_ = root_.filename().string();
      root_ = root_.parent_path();
    }
  }
  std::vector<std::string> tiers() override {
    if (!only_.empty()) return {only_};
    std::vector<std::string> out;
    std::error_code ec;
    for (auto& entry : fs::directory_iterator(root_, ec)) {
      if (entry.is_directory() && fs::exists(entry.path() / kManifestName, ec)) {
        out.push_back(entry.path().filename().string());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::optional<std::string> read(const std::string& path) override {
    return readWholeFile((root_ / path).string());
  }
  std::optional<std::string> sha256(const std::string& path, uint64_t* size) override {
    return fileSha256((root_ / path).string(), size);
  }
  std::vector<std::string> files(const std::string& tier) override {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto& day : fs::directory_iterator(root_ / tier, ec)) {
      if (!day.is_directory()) continue;
      for (auto& f : fs::directory_iterator(day.path(), ec)) {
        out.push_back(day.path().filename().string() + "/" + f.path().filename().string());
      }
    }
    return out;
  }

 private:
  fs::path root_;
  std::string only_;
};

void verifyTier(ArchiveStore& store, const std::string& tier, const std::string& hmac_key,
                VerifyReport& report, const std::atomic<bool>* cancel) {
  const std::string text = store.read(tier + "/" + kManifestName).value_or("");
  if (!hmac_key.empty()) {
    std::string mac = store.read(tier + "/" + kManifestHmacName).value_or("");
    mac = mac.substr(0, mac.find('\n'));
    if (mac != hmacSha256Hex(hmac_key, text)) {
      report.problems.push_back(tier +
                                ": MANIFEST HMAC does not match (manifest edited, or wrong key)");
    }
  }
  std::string error;
  std::vector<Record> records = parseManifest(text, &error);
  if (!error.empty()) report.problems.push_back(tier + ": MANIFEST " + error);
  std::string chain = kGenesis;
  std::map<std::string, const Record*> live;   // file -> record
  std::map<std::string, std::string> by_hash;  // sha256 -> file
  std::set<std::string> deleted;
  uint64_t last_seq = 0;
  bool broken = false;
  for (const Record& r : records) {
    std::string expected = chainNext(chain, r);
    if (!broken && expected != r.chain) {
      report.problems.push_back(tier + ": MANIFEST chain broken at seq " + std::to_string(r.seq) +
                                " (" + r.file + "): records edited, removed or reordered");
      broken = true;
    }
    if (r.kind == Record::Kind::kSegment) {
      if (r.seq <= last_seq && last_seq != 0) {
        report.problems.push_back(tier + ": segment " + r.file + " is out of order (seq " +
                                  std::to_string(r.seq) + " after " + std::to_string(last_seq) +
                                  ")");
      }
      last_seq = std::max(last_seq, r.seq);
      live[r.file] = &r;
      by_hash[r.sha256] = r.file;
    } else {
      live.erase(r.file);
      deleted.insert(r.file);
      ++report.deleted;
    }
    chain = r.chain;
  }
  for (auto& [file, r] : live) {
    if (cancel && cancel->load()) {
      report.cancelled = true;
      return;
    }
    ++report.segments;
    uint64_t size = 0;
    auto sha = store.sha256(tier + "/" + file, &size);
    auto other = sha ? by_hash.find(*sha) : by_hash.end();
    if (!sha) {
      report.problems.push_back(tier + ": segment " + file + " was removed");
    } else if (*sha == r->sha256) {
      continue;
    } else if (other != by_hash.end() && other->second != file) {
      report.problems.push_back(tier + ": segment " + file +
                                " was reordered: it holds the content of " + other->second);
    } else if (size < r->bytes) {
      report.problems.push_back(tier + ": segment " + file + " was truncated (" +
                                std::to_string(size) + " of " + std::to_string(r->bytes) +
                                " bytes)");
    } else {
      report.problems.push_back(tier + ": segment " + file + " was changed (hash mismatch)");
    }
  }
  // Files the manifest does not list: the open segment(s) being written, or something planted.
  for (const std::string& rel : store.files(tier)) {
    if (live.count(rel)) continue;
    if (rel.ends_with(".open")) {
      report.notes.push_back(tier + ": " + rel + " is being written (not sealed yet)");
    } else if (deleted.count(rel)) {
      report.problems.push_back(tier + ": " + rel + " was deleted by retention but is back");
    } else {
      report.problems.push_back(tier + ": " + rel + " is not in the MANIFEST");
    }
  }
}

}  // namespace

std::unique_ptr<ArchiveStore> directoryStore(const std::string& root) {
  return std::make_unique<DirectoryStore>(root);
}

VerifyReport verifyArchive(ArchiveStore& store, const std::string& hmac_key,
                           const std::string& where, const std::atomic<bool>* cancel) {
  VerifyReport report;
  const std::vector<std::string> tiers = store.tiers();
  for (const std::string& tier : tiers) {
    verifyTier(store, tier, hmac_key, report, cancel);
    if (report.cancelled) return report;
  }
  if (tiers.empty()) report.problems.push_back(where + ": no archive here (no tier with a MANIFEST)");
  return report;
}

VerifyReport verifyArchive(const std::string& root, const std::string& hmac_key,
                           const std::atomic<bool>* cancel) {
  auto store = directoryStore(root);
  return verifyArchive(*store, hmac_key, root, cancel);
}

size_t verifyAnchors(ArchiveStore& store, std::string_view anchors_text, VerifyReport& report) {
  // tier -> records -> chain, the latest anchor of each length.
  std::map<std::string, std::map<size_t, std::string>> anchors;
  size_t checked = 0;
  static constexpr std::string_view kMark = "archive anchor tier=";
  for (size_t at = anchors_text.find(kMark); at != std::string_view::npos;
       at = anchors_text.find(kMark, at + 1)) {
    std::string_view rest = anchors_text.substr(at + kMark.size());
    const size_t tier_end = rest.find(" records=");
    if (tier_end == std::string_view::npos || tier_end > 64) continue;
    std::string_view after = rest.substr(tier_end + 9);
    size_t records = 0;
    size_t i = 0;
    while (i < after.size() && i < 12 && after[i] >= '0' && after[i] <= '9') {
      records = records * 10 + static_cast<size_t>(after[i++] - '0');
    }
    if (i == 0 || after.substr(i, 7) != " chain=" || after.size() < i + 7 + 64) continue;
    anchors[std::string(rest.substr(0, tier_end))][records] = std::string(after.substr(i + 7, 64));
  }
  for (auto& [tier, heads] : anchors) {
    std::string error;
    const std::vector<Record> records =
        parseManifest(store.read(tier + "/" + kManifestName).value_or(""), &error);
    for (auto& [count, chain] : heads) {
      ++checked;
      if (count == 0) continue;
      if (records.size() < count) {
        report.problems.push_back(tier + ": MANIFEST has " + std::to_string(records.size()) +
                                  " records but an anchor recorded " + std::to_string(count) +
                                  ": history was cut off");
      } else if (records[count - 1].chain != chain) {
        report.problems.push_back(tier + ": MANIFEST record " + std::to_string(count) +
                                  " does not carry the chain an anchor recorded (" +
                                  chain.substr(0, 12) + "...): history was rewritten");
      }
    }
  }
  return checked;
}

}  // namespace logship::archive
