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

std::vector<Record> readManifest(const std::string& tier_dir, std::string* error) {
  std::vector<Record> out;
  std::ifstream in(tier_dir + "/" + kManifestName);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
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

namespace {

void verifyTier(const fs::path& dir, const std::string& hmac_key, VerifyReport& report) {
  std::string tier = dir.filename().string();
  std::string manifest_path = (dir / kManifestName).string();
  std::string text = readWholeFile(manifest_path).value_or("");
  if (!hmac_key.empty()) {
    std::ifstream mac_in((dir / kManifestHmacName).string());
    std::string mac;
    std::getline(mac_in, mac);
    if (mac != hmacSha256Hex(hmac_key, text)) {
      report.problems.push_back(tier +
                                ": MANIFEST HMAC does not match (manifest edited, or wrong key)");
    }
  }
  std::string error;
  std::vector<Record> records = readManifest(dir.string(), &error);
  if (!error.empty()) report.problems.push_back(tier + ": MANIFEST " + error);
  std::string chain = kGenesis;
  std::map<std::string, const Record*> live;   // file -> record
  std::map<std::string, std::string> by_hash;  // sha256 -> file
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
      ++report.deleted;
    }
    chain = r.chain;
  }
  for (auto& [file, r] : live) {
    ++report.segments;
    fs::path path = dir / file;
    uint64_t size = 0;
    auto sha = fileSha256(path.string(), &size);
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
  std::error_code ec;
  for (auto& day : fs::directory_iterator(dir, ec)) {
    if (!day.is_directory()) continue;
    for (auto& f : fs::directory_iterator(day.path(), ec)) {
      std::string rel = day.path().filename().string() + "/" + f.path().filename().string();
      if (live.count(rel)) continue;
      bool deleted = false;
      for (const Record& r : records) deleted = deleted || (r.file == rel);
      if (rel.ends_with(".open")) {
        report.notes.push_back(tier + ": " + rel + " is being written (not sealed yet)");
      } else if (deleted) {
        report.problems.push_back(tier + ": " + rel + " was deleted by retention but is back");
      } else {
        report.problems.push_back(tier + ": " + rel + " is not in the MANIFEST");
      }
    }
  }
}

}  // namespace

VerifyReport verifyArchive(const std::string& root, const std::string& hmac_key) {
  VerifyReport report;
  std::error_code ec;
  if (fs::exists(fs::path(root) / kManifestName, ec)) {
    verifyTier(root, hmac_key, report);
    return report;
  }
  bool any = false;
  std::vector<fs::path> tiers;
  for (auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / kManifestName)) tiers.push_back(entry);
  }
  std::sort(tiers.begin(), tiers.end());
  for (auto& t : tiers) {
    any = true;
    verifyTier(t, hmac_key, report);
  }
  if (!any) report.problems.push_back(root + ": no archive here (no tier with a MANIFEST)");
  return report;
}

}  // namespace logship::archive
