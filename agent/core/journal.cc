#include "agent/core/journal.h"

#include <fcntl.h>
#include <prometheus/registry.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "agent/support/digest.h"
#include "agent/support/files.h"
#include "agent/support/json_writer.h"
#include "agent/support/timestamp.h"

namespace logship {

namespace fs = std::filesystem;

namespace {

std::string timeOf(int64_t ns) {
  char text[timestamp::kRfc3339NanosLength];
  return std::string(text, timestamp::formatRfc3339(ns, text));
}

}  // namespace

const std::vector<std::string>& Journal::families() {
  static const std::vector<std::string> names = {
      "logship_component_received_events_total",
      "logship_component_sent_events_total",
      "logship_component_discarded_events_total",
      "logship_output_rejected_events_total",
      "logship_output_batches_total",
      "logship_scrub_pii_matches_total",
      "logship_detect_alerts_total",
      "logship_archive_retention_deletions_total",
  };
  return names;
}

Journal::Journal(std::string dir, prometheus::Registry& registry)
    : dir_(std::move(dir)), registry_(registry) {
  char run[17];
  std::snprintf(run, sizeof run, "%016llx",
                static_cast<unsigned long long>(std::random_device{}() * 0x100000000ULL ^
                                                std::random_device{}()));
  run_ = run;
  std::error_code ec;
  fs::create_directories(dir_, ec);
}

void Journal::append(int64_t now_ns, const std::string& line) {
  std::lock_guard lock(mutex_);
  const std::string path = dir_ + "/" + timestamp::utcDate(now_ns) + ".ndjson";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return;  // the journal is evidence, not a reason to stop shipping
  appendWhole(fd, line);
  ::fdatasync(fd);
  ::close(fd);
}

void Journal::recordConfig(int64_t now_ns, const std::string& path, const std::string& sha256,
                           const std::string& reason) {
  std::string line = "{\"ts\":\"" + timeOf(now_ns) + "\",\"run\":\"" + run_ +
                     "\",\"kind\":\"config\",\"path\":";
  json::appendString(line, path);
  line += ",\"sha256\":\"" + sha256 + "\",\"reason\":";
  json::appendString(line, reason);
  append(now_ns, line + "}\n");
}

void Journal::snapshot(int64_t now_ns) {
  std::string line = "{\"ts\":\"" + timeOf(now_ns) + "\",\"run\":\"" + run_ +
                     "\",\"kind\":\"counters\",\"counters\":{";
  bool first = true;
  const auto& wanted = families();
  for (const auto& family : registry_.Collect()) {
    if (std::find(wanted.begin(), wanted.end(), family.name) == wanted.end()) continue;
    for (const auto& metric : family.metric) {
      if (metric.counter.value == 0) continue;
      std::string key = family.name + "{";
      auto labels = metric.label;
      std::sort(labels.begin(), labels.end(),
                [](const auto& a, const auto& b) { return a.name < b.name; });
      for (size_t i = 0; i < labels.size(); ++i) {
        key += (i ? "," : "") + labels[i].name + "=\"" + labels[i].value + "\"";
      }
      key += "}";
      if (!first) line += ',';
      first = false;
      json::appendString(line, key);
      line += ':' + std::to_string(static_cast<uint64_t>(metric.counter.value));
    }
  }
  append(now_ns, line + "}}\n");
}

void Journal::prune(int64_t now_ns, int64_t keep_ns) {
  const std::string oldest = timestamp::utcDate(now_ns - keep_ns) + ".ndjson";
  std::error_code ec;
  for (auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".ndjson") && name < oldest) fs::remove(entry.path(), ec);
  }
}

std::vector<Journal::Entry> Journal::read(const std::string& dir, size_t* bad_lines) {
  std::vector<std::string> days;
  std::error_code ec;
  for (auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".ndjson") days.push_back(entry.path().string());
  }
  std::sort(days.begin(), days.end());
  std::vector<Entry> out;
  simdjson::dom::parser parser;
  for (const std::string& day : days) {
    const std::string text = readWholeFile(day).value_or("");
    for (size_t pos = 0; pos < text.size();) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      std::string_view line(text.data() + pos, nl - pos);
      pos = nl + 1;
      if (line.empty()) continue;
      simdjson::dom::element e;
      std::string_view ts, run, kind;
      Entry entry;
      if (parser.parse(line.data(), line.size()).get(e) || e["ts"].get(ts) ||
          e["run"].get(run) || e["kind"].get(kind)) {
        if (bad_lines) ++*bad_lines;
        continue;
      }
      auto at = timestamp::parseRfc3339(ts);
      if (!at) {
        if (bad_lines) ++*bad_lines;
        continue;
      }
      entry.at_ns = *at;
      entry.run = run;
      entry.kind = kind;
      if (kind == "counters") {
        simdjson::dom::object counters;
        if (!e["counters"].get(counters)) {
          for (auto [key, value] : counters) {
            double v = 0;
            uint64_t u = 0;
            if (!value.get(u)) {
              v = static_cast<double>(u);
            } else if (value.get(v)) {
              continue;
            }
            entry.counters[std::string(key)] = v;
          }
        }
      } else {
        std::string_view path, sha, reason;
        if (!e["path"].get(path)) entry.path = path;
        if (!e["sha256"].get(sha)) entry.sha256 = sha;
        if (!e["reason"].get(reason)) entry.reason = reason;
      }
      out.push_back(std::move(entry));
    }
  }
  return out;
}

std::string configDigest(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return sha256Hex(readWholeFile(path).value_or(""));
  std::vector<std::string> files;
  for (auto& entry : fs::directory_iterator(path, ec)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  std::string all;
  for (const std::string& f : files) {
    all += fs::path(f).filename().string() + "\n" + readWholeFile(f).value_or("") + "\n";
  }
  return sha256Hex(all);
}

}  // namespace logship
