// `logship archive verify|cat`: check and read the tamper-evident archive.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>

#include "agent/cli/commands.h"
#include "agent/support/aead.h"
#include "agent/support/files.h"
#include "agent/support/timestamp.h"
#include "outputs/archive/archive_manifest.h"
#include "outputs/archive/archive_upload.h"
#include "outputs/archive/segment_frames.h"

namespace logship {

namespace {

struct VerifyOptions {
  std::string key_file;
  std::string anchors_file;
  S3ConnectionConfig s3;
};

// The store `target` names: a directory, or s3://BUCKET[/PREFIX].
std::unique_ptr<archive::ArchiveStore> openStore(const std::string& target, VerifyOptions& o,
                                                 std::string* error) {
  if (!target.starts_with("s3://")) return archive::directoryStore(target);
  std::string rest = target.substr(5);
  const size_t slash = rest.find('/');
  o.s3.bucket = rest.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (!prefix.empty() && !prefix.ends_with('/')) prefix += '/';
  Diagnostics diag;
  S3Settings settings;
  if (!parseS3Settings(o.s3, ConfigNode(), diag, &settings)) {
    *error = diag.errors().empty() ? "bad S3 settings" : diag.errors()[0];
    return nullptr;
  }
  auto store = std::make_unique<S3ArchiveStore>(std::move(settings), prefix);
  if (!store->open(error)) return nullptr;
  return store;
}

int verify(const std::string& target, VerifyOptions& o) {
  std::string key;
  std::string error;
  if (!o.key_file.empty() && !readSecretFile(o.key_file, SecretForm::kBytes, key, error)) {
    std::cerr << "logship archive verify: " << error << "\n";
    return 2;
  }
  std::optional<std::string> anchors;
  if (!o.anchors_file.empty()) {
    anchors = readWholeFile(o.anchors_file);
    if (!anchors) {
      std::cerr << "logship archive verify: cannot read " << o.anchors_file << "\n";
      return 2;
    }
  }
  auto store = openStore(target, o, &error);
  if (!store) {
    std::cerr << "logship archive verify: " << error << "\n";
    return 2;
  }
  archive::VerifyReport report = archive::verifyArchive(*store, key, target);
  size_t anchored = 0;
  if (anchors) {
    anchored = archive::verifyAnchors(*store, *anchors, report);
    if (anchored == 0) report.problems.push_back(o.anchors_file + " holds no archive anchor");
  }
  for (const std::string& n : report.notes) std::cout << "note: " << n << "\n";
  for (const std::string& p : report.problems) std::cout << "TAMPERED: " << p << "\n";
  std::cout << report.segments << " segments verified, " << report.deleted
            << " deleted by retention, ";
  if (anchors) std::cout << anchored << " anchors checked, ";
  std::cout << report.problems.size() << " problems\n";
  return report.problems.empty() ? 0 : 1;
}

// Prints the events of one tier, optionally between two RFC 3339 times.
int cat(const std::string& root, const std::string& tier, std::optional<int64_t> since,
        std::optional<int64_t> until, const std::string& encryption_key_file) {
  std::string dir = root + "/" + tier;
  std::string error;
  std::optional<KeyRing> keys;
  if (!encryption_key_file.empty()) {
    keys.emplace();
    if (!KeyRing::load(encryption_key_file, &*keys, &error)) {
      std::cerr << "logship archive cat: " << error << "\n";
      return 2;
    }
  }
  std::vector<archive::Record> records = archive::readManifest(dir, &error);
  if (!error.empty() || records.empty()) {
    std::cerr << "logship archive cat: no readable MANIFEST in " << dir
              << (error.empty() ? "" : ": " + error) << "\n";
    return 1;
  }
  std::map<std::string, archive::Record> live;
  for (auto& r : records) {
    if (r.kind == archive::Record::Kind::kSegment) {
      live[r.file] = r;
    } else {
      live.erase(r.file);
    }
  }
  std::vector<archive::Record> ordered;
  for (auto& [f, r] : live) ordered.push_back(r);
  std::sort(ordered.begin(), ordered.end(), [](auto& a, auto& b) { return a.seq < b.seq; });
  for (const archive::Record& r : ordered) {
    if ((since && r.last_ns < *since) || (until && r.first_ns > *until)) continue;
    const std::string data = readWholeFile(dir + "/" + r.file).value_or("");
    std::string plain;
    size_t pos = 0;
    for (;;) {
      const archive::FrameRead read =
          archive::readFrame(data, pos, keys ? &*keys : nullptr, r.file, plain, &error);
      if (read == archive::FrameRead::kEnd) break;
      if (read == archive::FrameRead::kNoKey) {
        std::cerr << "logship archive cat: " << r.file << " is " << error
                  << (keys ? "" : " (give --encryption-key-file)") << "\n";
        return 1;
      }
      if (read != archive::FrameRead::kOk) {
        std::cerr << "logship archive cat: " << r.file << " is damaged; run verify\n";
        return 1;
      }
      std::string_view text(plain);
      for (size_t at = 0; at < text.size();) {
        size_t nl = text.find('\n', at);
        if (nl == std::string_view::npos) nl = text.size();
        std::string_view line = text.substr(at, nl - at);
        at = nl + 1;
        if (since || until) {
          // Lines start with {"@timestamp":"<30 bytes>"; keys are sorted.
          auto ts = line.size() > 45 ? timestamp::parseRfc3339(line.substr(15, 30)) : std::nullopt;
          if (!ts || (since && *ts < *since) || (until && *ts > *until)) continue;
        }
        std::cout << line << '\n';
      }
    }
  }
  return 0;
}

}  // namespace

int archiveCommand(const CommonOptions& opts) {
  const std::vector<std::string>& a = opts.args;
  if (a.size() < 2) {
    std::cerr << "usage: logship archive verify PATH|s3://BUCKET[/PREFIX] [--key-file F] "
                 "[--anchors F] [--endpoint URL] | "
                 "logship archive cat PATH --tier TIER [--since T] [--until T] "
                 "[--encryption-key-file F]\n";
    return 2;
  }
  VerifyOptions verify_options;
  std::string tier, encryption_key_file;
  std::optional<int64_t> since, until;
  for (size_t i = 2; i + 1 < a.size(); i += 2) {
    const std::string& name = a[i];
    const std::string& value = a[i + 1];
    if (name == "key-file") {
      verify_options.key_file = value;
    } else if (name == "anchors") {
      verify_options.anchors_file = value;
    } else if (name == "endpoint") {
      verify_options.s3.endpoint = value;
    } else if (name == "region") {
      verify_options.s3.region = value;
    } else if (name == "access-key-id-file") {
      verify_options.s3.access_key_id_file = value;
    } else if (name == "secret-access-key-file") {
      verify_options.s3.secret_access_key_file = value;
    } else if (name == "encryption-key-file") {
      encryption_key_file = value;
    } else if (name == "tier") {
      tier = value;
    } else if (name == "since" || name == "until") {
      auto ts = timestamp::parseRfc3339(value);
      if (!ts) {
        std::cerr << "logship archive: --" << name << " wants an RFC 3339 time like "
                  << "2026-11-22T00:00:00Z\n";
        return 2;
      }
      (name == "since" ? since : until) = ts;
    } else {
      std::cerr << "logship archive: unknown option --" << name << "\n";
      return 2;
    }
  }
  if (a[0] == "verify") return verify(a[1], verify_options);
  if (a[0] == "cat") {
    if (tier.empty()) {
      std::cerr << "logship archive cat: --tier is required\n";
      return 2;
    }
    return cat(a[1], tier, since, until, encryption_key_file);
  }
  std::cerr << "logship archive: unknown action '" << a[0] << "' (verify or cat)\n";
  return 2;
}

}  // namespace logship
