// `logship report`: compliance evidence for a period, from the archive's manifests (what is kept,
// what retention deleted, whether the chains hold, locally and in the upload bucket) and the
// agent's journal (events per component, drops, refusals, PII matches, alerts, configurations).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "agent/api/registry.h"
#include "agent/cli/commands.h"
#include "agent/core/journal.h"
#include "agent/support/files.h"
#include "agent/support/json_writer.h"
#include "agent/support/timestamp.h"
#include "agent/support/units.h"
#include "outputs/archive/archive_config.h"
#include "outputs/archive/archive_manifest.h"
#include "outputs/archive/archive_upload.h"

namespace logship {

namespace {

constexpr int64_t kSecond = 1'000'000'000;

std::string timeText(int64_t ns) {
  if (ns == 0) return "";
  char text[timestamp::kRfc3339NanosLength];
  timestamp::formatRfc3339(ns, text);
  return std::string(text, 19) + "Z";
}

struct TierFigures {
  int64_t retention_ns = 0;
  bool legal_hold = false;
  uint64_t events = 0, bytes = 0, raw_bytes = 0, segments = 0;
  int64_t oldest_ns = 0, newest_ns = 0;
  uint64_t deleted_segments = 0, deleted_events = 0, deleted_bytes = 0;
  std::map<std::string, std::pair<uint64_t, uint64_t>> by_day;  // UTC day -> events, bytes
};

struct IntegrityCheck {
  std::string output;
  std::string where;  // a directory or s3://bucket/prefix
  bool ok = true;
  uint64_t segments = 0;
  std::vector<std::string> problems;
};

struct OutputFigures {
  uint64_t received = 0, sent = 0, discarded = 0, rejected = 0;
  // Archive outputs: events in the segments sealed in the period, by the manifests; with what the
  // journal says was delivered, the two accounts of the same events.
  std::optional<uint64_t> archived;
};

struct ConfigChange {
  int64_t at_ns = 0;
  std::string path, sha256, reason;
};

struct Report {
  int64_t since_ns = 0, until_ns = 0, generated_ns = 0;
  std::string host;
  std::map<std::string, TierFigures> tiers;
  std::vector<IntegrityCheck> integrity;
  std::map<std::string, uint64_t> pii;                               // rule -> matches
  std::map<std::string, std::pair<uint64_t, uint64_t>> alerts;        // rule -> fired, resolved
  std::map<std::string, OutputFigures> outputs;                       // component id
  std::map<std::string, std::map<std::string, uint64_t>> discarded;  // component -> reason -> n
  std::vector<ConfigChange> config_changes;
  size_t journal_snapshots = 0, journal_runs = 0, journal_bad_lines = 0;

  bool intact() const {
    return std::all_of(integrity.begin(), integrity.end(), [](auto& c) { return c.ok; });
  }
};

// "family{a=\"x\",b=\"y\"}" -> family, labels.
std::pair<std::string, std::map<std::string, std::string>> splitKey(const std::string& key) {
  std::map<std::string, std::string> labels;
  const size_t brace = key.find('{');
  std::string family = key.substr(0, brace);
  for (size_t pos = brace + 1; brace != std::string::npos && pos < key.size();) {
    const size_t eq = key.find("=\"", pos);
    if (eq == std::string::npos) break;
    const size_t end = key.find('"', eq + 2);
    if (end == std::string::npos) break;
    labels[key.substr(pos, eq - pos)] = key.substr(eq + 2, end - eq - 2);
    pos = end + 2;  // past `",`
  }
  return {family, labels};
}

// Per run, the last snapshot in the period less the last one before it; summed over runs.
std::map<std::string, double> countersIn(const std::vector<Journal::Entry>& entries,
                                         int64_t since, int64_t until, Report& report) {
  std::map<std::string, const Journal::Entry*> before, last;
  std::set<std::string> runs;
  for (const Journal::Entry& e : entries) {
    if (e.kind == "config") {
      if (e.at_ns >= since && e.at_ns <= until) {
        report.config_changes.push_back({e.at_ns, e.path, e.sha256, e.reason});
      }
      continue;
    }
    if (e.kind != "counters") continue;
    if (e.at_ns < since) {
      before[e.run] = &e;
    } else if (e.at_ns <= until) {
      last[e.run] = &e;
      runs.insert(e.run);
      ++report.journal_snapshots;
    }
  }
  report.journal_runs = runs.size();
  std::map<std::string, double> out;
  for (auto& [run, end] : last) {
    const Journal::Entry* base = before.count(run) ? before[run] : nullptr;
    for (auto& [key, value] : end->counters) {
      double from = 0;
      if (base) {
        auto it = base->counters.find(key);
        if (it != base->counters.end()) from = it->second;
      }
      out[key] += std::max(0.0, value - from);
    }
  }
  return out;
}

void addJournal(const std::string& data_dir, Report& report) {
  const auto entries =
      Journal::read(data_dir + "/journal", &report.journal_bad_lines);
  for (auto& [key, value] : countersIn(entries, report.since_ns, report.until_ns, report)) {
    auto [family, labels] = splitKey(key);
    const auto n = static_cast<uint64_t>(value);
    const std::string& id = labels["component_id"];
    if (family == "logship_scrub_pii_matches_total") {
      report.pii[labels["rule"]] += n;
    } else if (family == "logship_detect_alerts_total") {
      auto& a = report.alerts[labels["rule"]];
      (labels["type"] == "end" ? a.second : a.first) += n;
    } else if (family == "logship_component_received_events_total" &&
               labels["component_kind"] == "output") {
      report.outputs[id].received += n;
    } else if (family == "logship_component_sent_events_total" &&
               labels["component_kind"] == "output") {
      report.outputs[id].sent += n;
    } else if (family == "logship_component_discarded_events_total") {
      report.discarded[id][labels["reason"]] += n;
      if (labels["component_kind"] == "output") report.outputs[id].discarded += n;
    } else if (family == "logship_output_rejected_events_total") {
      report.outputs[id].rejected += n;
    }
  }
}

void addArchive(const std::string& id, const ArchiveOutputConfig& config,
                const std::vector<TierSpec>& tiers, Report& report) {
  std::string key;
  std::string error;
  if (!config.key_file.empty() && !readSecretFile(config.key_file, SecretForm::kBytes, key, error)) {
    report.integrity.push_back({id, config.path, false, 0, {error}});
    return;
  }
  auto store = archive::directoryStore(config.path);
  for (const std::string& name : store->tiers()) {
    TierFigures& t = report.tiers[name];
    for (const TierSpec& spec : tiers) {
      if (spec.name == name) {
        t.retention_ns = spec.retention.count();
        t.legal_hold = spec.legal_hold;
      }
    }
    std::map<std::string, const archive::Record*> sealed;
    const std::vector<archive::Record> records = archive::parseManifest(
        store->read(name + "/" + archive::kManifestName).value_or(""), nullptr);
    for (const archive::Record& r : records) {
      if (r.kind == archive::Record::Kind::kSegment) {
        sealed[r.file] = &r;
        if (r.at_ns >= report.since_ns && r.at_ns <= report.until_ns) {
          report.outputs[id].archived = report.outputs[id].archived.value_or(0) + r.events;
        }
        if (r.first_ns > report.until_ns || r.last_ns < report.since_ns) continue;
        ++t.segments;
        t.events += r.events;
        t.bytes += r.bytes;
        t.raw_bytes += r.raw_bytes;
        t.oldest_ns = t.oldest_ns == 0 ? r.first_ns : std::min(t.oldest_ns, r.first_ns);
        t.newest_ns = std::max(t.newest_ns, r.last_ns);
        auto& day = t.by_day[timestamp::utcDate(r.first_ns)];
        day.first += r.events;
        day.second += r.bytes;
      } else if (r.at_ns >= report.since_ns && r.at_ns <= report.until_ns) {
        ++t.deleted_segments;
        if (auto it = sealed.find(r.file); it != sealed.end()) {
          t.deleted_events += it->second->events;
          t.deleted_bytes += it->second->bytes;
        }
      }
    }
  }
  if (store->tiers().empty()) {
    // Nothing archived yet (a new host) is no evidence of tampering; events delivered to an
    // archive that holds none are.
    const uint64_t delivered = report.outputs.count(id) ? report.outputs[id].sent : 0;
    IntegrityCheck empty{id, config.path, delivered == 0, 0, {}};
    if (delivered > 0) {
      empty.problems.push_back("no archive here, though the journal says " +
                               std::to_string(delivered) + " events were delivered to it");
    }
    report.integrity.push_back(std::move(empty));
  } else {
    archive::VerifyReport local = archive::verifyArchive(*store, key, config.path);
    report.integrity.push_back(
        {id, config.path, local.problems.empty(), local.segments, local.problems});
  }
  if (!config.upload.defined()) return;
  static const std::vector<std::string_view> kNoReserved;
  Diagnostics diag;
  ArchiveUploadConfig upload = ArchiveUploadConfig::options().parse(config.upload, diag, kNoReserved);
  S3Settings settings;
  IntegrityCheck remote{id, "s3://" + upload.bucket + "/" + upload.key_prefix, false, 0, {}};
  if (!parseS3Settings(upload, config.upload, diag, &settings)) {
    remote.problems = diag.errors();
  } else {
    S3ArchiveStore bucket(std::move(settings), upload.key_prefix);
    if (!bucket.open(&error)) {
      remote.problems.push_back(error);
    } else {
      archive::VerifyReport r = archive::verifyArchive(bucket, key, remote.where);
      remote.ok = r.problems.empty();
      remote.segments = r.segments;
      remote.problems = r.problems;
    }
  }
  report.integrity.push_back(std::move(remote));
}

std::string durationText(int64_t ns) {
  if (ns <= 0) return "forever";
  const double days = static_cast<double>(ns) / (86400.0 * kSecond);
  char text[32];
  if (days >= 365) {
    std::snprintf(text, sizeof text, "%.3gy", days / 365.25);
  } else if (days >= 1 && ns % (86400 * kSecond) == 0) {
    std::snprintf(text, sizeof text, "%.0fd", days);
  } else {
    return formatDuration(Duration(ns));
  }
  return text;
}

void renderJson(const Report& r, std::ostream& out) {
  std::string s = "{\"schema\":\"logship.report/1\",\"generated_at\":\"" +
                  timeText(r.generated_ns) + "\",\"host\":";
  json::appendString(s, r.host);
  s += ",\"period\":{\"since\":\"" + timeText(r.since_ns) + "\",\"until\":\"" +
       timeText(r.until_ns) + "\"},\"tiers\":{";
  bool first = true;
  for (auto& [name, t] : r.tiers) {
    if (!first) s += ',';
    first = false;
    json::appendString(s, name);
    s += ":{\"events\":" + std::to_string(t.events) + ",\"bytes\":" + std::to_string(t.bytes) +
         ",\"raw_bytes\":" + std::to_string(t.raw_bytes) +
         ",\"segments\":" + std::to_string(t.segments) + ",\"oldest_event\":\"" +
         timeText(t.oldest_ns) + "\",\"newest_event\":\"" + timeText(t.newest_ns) +
         "\",\"retention_seconds\":" + std::to_string(t.retention_ns / kSecond) +
         ",\"legal_hold\":" + (t.legal_hold ? "true" : "false") +
         ",\"deleted\":{\"segments\":" + std::to_string(t.deleted_segments) +
         ",\"events\":" + std::to_string(t.deleted_events) +
         ",\"bytes\":" + std::to_string(t.deleted_bytes) + "},\"by_day\":{";
    bool first_day = true;
    for (auto& [day, v] : t.by_day) {
      if (!first_day) s += ',';
      first_day = false;
      s += "\"" + day + "\":{\"events\":" + std::to_string(v.first) +
           ",\"bytes\":" + std::to_string(v.second) + "}";
    }
    s += "}}";
  }
  s += "},\"integrity\":{\"ok\":";
  s += r.intact() ? "true" : "false";
  s += ",\"checks\":[";
  for (size_t i = 0; i < r.integrity.size(); ++i) {
    const IntegrityCheck& c = r.integrity[i];
    if (i) s += ',';
    s += "{\"output\":";
    json::appendString(s, c.output);
    s += ",\"where\":";
    json::appendString(s, c.where);
    s += ",\"ok\":" + std::string(c.ok ? "true" : "false") +
         ",\"segments\":" + std::to_string(c.segments) + ",\"problems\":[";
    for (size_t j = 0; j < c.problems.size(); ++j) {
      if (j) s += ',';
      json::appendString(s, c.problems[j]);
    }
    s += "]}";
  }
  s += "]},\"pii\":{\"matches\":{";
  first = true;
  for (auto& [rule, n] : r.pii) {
    if (!first) s += ',';
    first = false;
    json::appendString(s, rule);
    s += ':' + std::to_string(n);
  }
  s += "}},\"alerts\":{";
  first = true;
  for (auto& [rule, n] : r.alerts) {
    if (!first) s += ',';
    first = false;
    json::appendString(s, rule);
    s += ":{\"fired\":" + std::to_string(n.first) + ",\"resolved\":" + std::to_string(n.second) +
         "}";
  }
  s += "},\"outputs\":{";
  first = true;
  for (auto& [id, o] : r.outputs) {
    if (!first) s += ',';
    first = false;
    json::appendString(s, id);
    s += ":{\"received\":" + std::to_string(o.received) + ",\"delivered\":" +
         std::to_string(o.sent) + ",\"dropped\":" + std::to_string(o.discarded) +
         ",\"dead_lettered\":" + std::to_string(o.rejected);
    if (o.archived) s += ",\"archived\":" + std::to_string(*o.archived);
    s += "}";
  }
  s += "},\"dropped\":{";
  first = true;
  for (auto& [id, reasons] : r.discarded) {
    if (!first) s += ',';
    first = false;
    json::appendString(s, id);
    s += ":{";
    bool first_reason = true;
    for (auto& [reason, n] : reasons) {
      if (!first_reason) s += ',';
      first_reason = false;
      json::appendString(s, reason);
      s += ':' + std::to_string(n);
    }
    s += "}";
  }
  s += "},\"configuration\":[";
  for (size_t i = 0; i < r.config_changes.size(); ++i) {
    const ConfigChange& c = r.config_changes[i];
    if (i) s += ',';
    s += "{\"at\":\"" + timeText(c.at_ns) + "\",\"reason\":";
    json::appendString(s, c.reason);
    s += ",\"path\":";
    json::appendString(s, c.path);
    s += ",\"sha256\":\"" + c.sha256 + "\"}";
  }
  s += "],\"journal\":{\"snapshots\":" + std::to_string(r.journal_snapshots) +
       ",\"runs\":" + std::to_string(r.journal_runs) +
       ",\"unreadable_lines\":" + std::to_string(r.journal_bad_lines) + "}}\n";
  out << s;
}

void renderMarkdown(const Report& r, std::ostream& out) {
  out << "# logship compliance report: " << r.host << "\n\n"
      << "Period " << timeText(r.since_ns) << " to " << timeText(r.until_ns) << ", generated "
      << timeText(r.generated_ns) << ".\n\n## Integrity: "
      << (r.intact() ? "intact" : "**TAMPERED OR INCOMPLETE**") << "\n\n"
      << "| archive | where | segments | result |\n|---|---|---|---|\n";
  for (const IntegrityCheck& c : r.integrity) {
    out << "| " << c.output << " | " << c.where << " | " << c.segments << " | "
        << (c.ok ? "ok" : std::to_string(c.problems.size()) + " problems") << " |\n";
  }
  for (const IntegrityCheck& c : r.integrity) {
    for (const std::string& p : c.problems) out << "- " << c.where << ": " << p << "\n";
  }
  out << "\n## Archived per tier\n\n| tier | events | bytes | oldest event | newest event | "
         "retention | legal hold | deleted segments (events) |\n|---|---|---|---|---|---|---|---|\n";
  for (auto& [name, t] : r.tiers) {
    out << "| " << name << " | " << t.events << " | " << t.bytes << " | " << timeText(t.oldest_ns)
        << " | " << timeText(t.newest_ns) << " | " << durationText(t.retention_ns) << " | "
        << (t.legal_hold ? "yes" : "no") << " | " << t.deleted_segments << " ("
        << t.deleted_events << ") |\n";
  }
  out << "\n## Outputs\n\n| output | received | delivered | dropped | dead-lettered | in the "
         "archive's manifests |\n|---|---|---|---|---|---|\n";
  for (auto& [id, o] : r.outputs) {
    out << "| " << id << " | " << o.received << " | " << o.sent << " | " << o.discarded << " | "
        << o.rejected << " | " << (o.archived ? std::to_string(*o.archived) : "-") << " |\n";
  }
  out << "\n## Personal data scrubbed\n\n| rule | matches |\n|---|---|\n";
  for (auto& [rule, n] : r.pii) out << "| " << rule << " | " << n << " |\n";
  out << "\n## Alerts\n\n| rule | fired | resolved |\n|---|---|---|\n";
  for (auto& [rule, n] : r.alerts) {
    out << "| " << rule << " | " << n.first << " | " << n.second << " |\n";
  }
  out << "\n## Configuration\n\n| at | event | file | SHA-256 |\n|---|---|---|---|\n";
  for (const ConfigChange& c : r.config_changes) {
    out << "| " << timeText(c.at_ns) << " | " << c.reason << " | " << c.path << " | `" << c.sha256
        << "` |\n";
  }
  out << "\nFrom " << r.journal_snapshots << " journal snapshots of " << r.journal_runs
      << " agent runs.\n";
}

std::string html(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Bars of archived bytes per UTC day, one colour per tier, stacked: an inline SVG.
std::string volumeChart(const Report& r) {
  static const char* kColours[] = {"#3b6ea5", "#d98b2b", "#4f9a5a", "#a0486e", "#6b6b6b"};
  std::map<std::string, std::vector<std::pair<std::string, uint64_t>>> days;
  uint64_t top = 1;
  for (auto& [tier, t] : r.tiers) {
    for (auto& [day, v] : t.by_day) days[day].emplace_back(tier, v.second);
  }
  for (auto& [day, parts] : days) {
    uint64_t sum = 0;
    for (auto& p : parts) sum += p.second;
    top = std::max(top, sum);
  }
  const int width = 720, height = 220, base = 190;
  const int bar = days.empty() ? 0 : std::max(4, std::min(60, (width - 80) / int(days.size()) - 6));
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' role='img' aria-label='Archived bytes per tier and day'>"
      << "<line x1='60' y1='" << base << "' x2='" << width << "' y2='" << base
      << "' stroke='#999'/><text x='4' y='16' font-size='11'>" << top << " B</text>";
  int x = 66;
  for (auto& [day, parts] : days) {
    int y = base;
    for (auto& [tier, bytes] : parts) {
      size_t colour = static_cast<size_t>(std::distance(r.tiers.begin(), r.tiers.find(tier))) % 5;
      const int h = static_cast<int>(static_cast<double>(bytes) / double(top) * (base - 24));
      y -= h;
      svg << "<rect x='" << x << "' y='" << y << "' width='" << bar << "' height='" << h
          << "' fill='" << kColours[colour] << "'><title>" << html(tier) << " " << day << ": "
          << bytes << " bytes</title></rect>";
    }
    svg << "<text x='" << x << "' y='" << base + 14 << "' font-size='10'>" << day.substr(5)
        << "</text>";
    x += bar + 6;
  }
  int lx = 66;
  for (auto& [tier, t] : r.tiers) {
    size_t colour = static_cast<size_t>(std::distance(r.tiers.begin(), r.tiers.find(tier))) % 5;
    svg << "<rect x='" << lx << "' y='" << height - 12 << "' width='10' height='10' fill='"
        << kColours[colour] << "'/><text x='" << lx + 14 << "' y='" << height - 3
        << "' font-size='11'>" << html(tier) << "</text>";
    lx += 90;
  }
  svg << "</svg>";
  return svg.str();
}

void renderHtml(const Report& r, std::ostream& out) {
  out << "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>logship compliance "
         "report: "
      << html(r.host)
      << "</title><style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;"
         "padding:4px 8px;text-align:left}th{background:#f2f2f2}.ok{color:#1d7a35;font-weight:"
         "bold}.bad{color:#b00020;font-weight:bold}code{font-size:12px}</style></head><body>"
      << "<h1>Compliance report: " << html(r.host) << "</h1><p>Period "
      << timeText(r.since_ns) << " to " << timeText(r.until_ns) << ", generated "
      << timeText(r.generated_ns) << ".</p><h2>Integrity: "
      << (r.intact() ? "<span class='ok'>intact</span>"
                     : "<span class='bad'>TAMPERED OR INCOMPLETE</span>")
      << "</h2><table><tr><th>archive</th><th>where</th><th>segments</th><th>result</th></tr>";
  for (const IntegrityCheck& c : r.integrity) {
    out << "<tr><td>" << html(c.output) << "</td><td>" << html(c.where) << "</td><td>"
        << c.segments << "</td><td class='" << (c.ok ? "ok'>ok" : "bad'>problems") << "</td></tr>";
  }
  out << "</table><ul>";
  for (const IntegrityCheck& c : r.integrity) {
    for (const std::string& p : c.problems) out << "<li>" << html(c.where + ": " + p) << "</li>";
  }
  out << "</ul><h2>Archived per tier</h2>" << volumeChart(r)
      << "<table><tr><th>tier</th><th>events</th><th>bytes</th><th>oldest event</th><th>newest "
         "event</th><th>retention</th><th>legal hold</th><th>deleted segments (events)</th></tr>";
  for (auto& [name, t] : r.tiers) {
    out << "<tr><td>" << html(name) << "</td><td>" << t.events << "</td><td>" << t.bytes
        << "</td><td>" << timeText(t.oldest_ns) << "</td><td>" << timeText(t.newest_ns)
        << "</td><td>" << durationText(t.retention_ns) << "</td><td>"
        << (t.legal_hold ? "yes" : "no") << "</td><td>" << t.deleted_segments << " ("
        << t.deleted_events << ")</td></tr>";
  }
  out << "</table><h2>Outputs</h2><table><tr><th>output</th><th>received</th><th>delivered</th>"
         "<th>dropped</th><th>dead-lettered</th><th>in the archive's manifests</th></tr>";
  for (auto& [id, o] : r.outputs) {
    out << "<tr><td>" << html(id) << "</td><td>" << o.received << "</td><td>" << o.sent
        << "</td><td>" << o.discarded << "</td><td>" << o.rejected << "</td><td>"
        << (o.archived ? std::to_string(*o.archived) : "-") << "</td></tr>";
  }
  out << "</table><h2>Personal data scrubbed</h2><table><tr><th>rule</th><th>matches</th></tr>";
  for (auto& [rule, n] : r.pii) out << "<tr><td>" << html(rule) << "</td><td>" << n << "</td></tr>";
  out << "</table><h2>Alerts</h2><table><tr><th>rule</th><th>fired</th><th>resolved</th></tr>";
  for (auto& [rule, n] : r.alerts) {
    out << "<tr><td>" << html(rule) << "</td><td>" << n.first << "</td><td>" << n.second
        << "</td></tr>";
  }
  out << "</table><h2>Configuration</h2><table><tr><th>at</th><th>event</th><th>file</th>"
         "<th>SHA-256</th></tr>";
  for (const ConfigChange& c : r.config_changes) {
    out << "<tr><td>" << timeText(c.at_ns) << "</td><td>" << html(c.reason) << "</td><td>"
        << html(c.path) << "</td><td><code>" << c.sha256 << "</code></td></tr>";
  }
  out << "</table><p>From " << r.journal_snapshots << " journal snapshots of " << r.journal_runs
      << " agent runs.</p></body></html>\n";
}

}  // namespace

int reportCommand(const CommonOptions& opts) {
  Report report;
  report.generated_ns = timestamp::nowNs();
  report.until_ns = report.generated_ns;
  report.since_ns = report.until_ns - 30LL * 86400 * kSecond;
  std::string format = "json";
  const std::vector<std::string>& a = opts.args;
  for (size_t i = 0; i + 1 < a.size(); i += 2) {
    if (a[i] == "since" || a[i] == "until") {
      auto ts = timestamp::parseRfc3339(a[i + 1]);
      if (!ts) {
        std::cerr << "logship report: --" << a[i] << " wants an RFC 3339 time like "
                  << "2026-11-01T00:00:00Z\n";
        return 2;
      }
      (a[i] == "since" ? report.since_ns : report.until_ns) = *ts;
    } else if (a[i] == "format" &&
               (a[i + 1] == "json" || a[i + 1] == "html" || a[i + 1] == "markdown")) {
      format = a[i + 1];
    } else {
      std::cerr << "logship report: unknown option --" << a[i] << " " << a[i + 1] << "\n";
      return 2;
    }
  }
  if (a.size() % 2 != 0) {
    std::cerr << "logship report: --" << a.back() << " needs a value\n";
    return 2;
  }
  Diagnostics diag;
  PipelineConfig config = loadConfig(opts, diag);
  if (!diag.ok()) {
    printDiagnostics(diag);
    return 2;
  }
  report.host = config.global.host_name;
  // The journal first: an archive with nothing in it is only a problem if events went to it.
  addJournal(config.global.data_dir, report);
  for (const ComponentConfig& c : config.components) {
    if (c.kind != ComponentKind::kOutput || c.type != "archive") continue;
    ArchiveOutputConfig archive =
        ArchiveOutputConfig::options().parse(c.node, diag, reservedKeys(ComponentKind::kOutput));
    addArchive(c.id, archive, config.global.tiers, report);
  }
  if (format == "html") {
    renderHtml(report, std::cout);
  } else if (format == "markdown") {
    renderMarkdown(report, std::cout);
  } else {
    renderJson(report, std::cout);
  }
  return report.intact() ? 0 : 1;
}

}  // namespace logship
