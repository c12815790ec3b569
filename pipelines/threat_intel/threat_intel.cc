#include "pipelines/threat_intel/threat_intel.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <array>
#include <charconv>

#include "agent/core/log.h"

namespace logship {
namespace {

using indicators::IndicatorKind;
using indicators::Indicators;
using indicators::ListSpec;

// The `lists:` entries: {name, path, format: plain | csv, column}, or {name} alone for a list of
// the top-level `lists`; `paths` gets where each path was written.
std::vector<ListSpec> readLists(const ConfigNode& node, const GlobalConfig& global,
                                Diagnostics& diag, std::vector<Location>& paths) {
  std::vector<ListSpec> lists;
  if (!node.isSequence() || node.items().empty()) {
    diag.error(node.location(), "lists needs at least one {name, path}");
    return lists;
  }
  for (const ConfigNode& item : node.items()) {
    if (!item.isMap()) {
      diag.error(item.location(), "a list is {name, path, format, column}");
      continue;
    }
    ListSpec spec;
    std::string format = "plain";
    std::string column;
    for (auto& [key_node, value] : item.entries()) {
      const std::string key = key_node.yaml().Scalar();
      if (key == "name") {
        readValue(value, spec.name, diag);
      } else if (key == "path") {
        readValue(value, spec.path, diag);
      } else if (key == "format") {
        readValue(value, format, diag);
        if (format != "plain" && format != "csv") {
          diag.error(value.location(), "'" + format + "' is not one of: plain, csv");
        }
      } else if (key == "column") {
        readValue(value, column, diag);
      } else {
        diag.error(key_node.location(),
                   "unknown option '" + key + "' (known: name, path, format, column)");
      }
    }
    if (spec.name.empty()) diag.error(item.location(), "a list needs a name");
    Location path_location = item["path"].defined() ? item["path"].location() : item.location();
    if (spec.path.empty() && !spec.name.empty()) {
      const SharedListSpec* shared = nullptr;
      for (const SharedListSpec& l : global.lists) {
        if (l.name == spec.name) shared = &l;
      }
      if (shared == nullptr || item["format"].defined() || item["column"].defined()) {
        diag.error(item.location(), "a list needs a path (or only the name of a top-level list)");
      } else {
        spec.path = shared->path;
        format = shared->format;
        column = shared->column;
        path_location = shared->where;
      }
    }
    for (const ListSpec& other : lists) {
      if (!spec.name.empty() && other.name == spec.name) {
        diag.error(item["name"].location(), "two lists are called '" + spec.name + "'");
      }
    }
    spec.csv = format == "csv";
    if (!column.empty() && !spec.csv) {
      diag.error(item["column"].location(), "column is for format: csv");
    } else if (spec.csv && !column.empty()) {
      size_t n = 0;
      auto [end, ec] = std::from_chars(column.data(), column.data() + column.size(), n);
      if (ec == std::errc() && end == column.data() + column.size()) {
        if (n == 0) diag.error(item["column"].location(), "columns count from 1");
        spec.column_index = n == 0 ? 0 : n - 1;
      } else {
        spec.column_name = column;
      }
    }
    lists.push_back(std::move(spec));
    paths.push_back(path_location);
  }
  if (lists.size() > Indicators::kMaxLists) {
    diag.error(node.location(), "at most 64 lists");
  }
  return lists;
}

std::string_view typeName(IndicatorKind kind) {
  switch (kind) {
    case IndicatorKind::kIpv4:
      return "ipv4-addr";
    case IndicatorKind::kIpv6:
      return "ipv6-addr";
    case IndicatorKind::kDomain:
      return "domain-name";
    case IndicatorKind::kHash:
      return "file";
    case IndicatorKind::kNone:
      break;
  }
  return "";
}

constexpr size_t kReportedBadLines = 10;

}  // namespace

ThreatIntel::ThreatIntel(ThreatIntelConfig config, BuildContext& ctx)
    : field_(config.field, tierNames(ctx.global)),
      reload_interval_(
          std::chrono::duration_cast<std::chrono::milliseconds>(config.reload_interval)) {
  std::vector<Location> where;
  lists_ = readLists(config.lists, ctx.global, ctx.diag, where);
  if (!ctx.diag.ok()) return;
  std::vector<std::string> paths;
  for (const ListSpec& l : lists_) paths.push_back(l.path);
  watch_ = std::make_unique<FileWatch>(paths, reload_interval_, [this] { return reload(); });
  std::vector<FileStamp> stamps = watch_->stamps();

  // Read here so that `validate` reports an unreadable list or a bad line, with its file:line.
  std::vector<indicators::BadLine> bad;
  std::string error;
  size_t failed = 0;
  indicators_ = Indicators::load(lists_, bad, error, failed);
  if (!indicators_) {
    ctx.diag.error(where[failed], error);
    return;
  }
  for (size_t i = 0; i < bad.size() && i < kReportedBadLines; ++i) {
    ctx.diag.error(where[bad[i].list], bad[i].where + ": " + bad[i].why);
  }
  if (bad.size() > kReportedBadLines) {
    ctx.diag.error(config.lists.location(), "and " +
                                                std::to_string(bad.size() - kReportedBadLines) +
                                                " more lines holding no indicator");
  }
  watch_->markLoaded(std::move(stamps));
}

ThreatIntel::~ThreatIntel() { watch_.reset(); }  // joins the watch thread first

void ThreatIntel::start(ComponentContext& context) {
  const std::string id(context.id());
  auto& matches = prometheus::BuildCounter()
                      .Name("logship_threat_intel_matches_total")
                      .Help("Events whose field held an indicator of a threat_intel list, by list.")
                      .Register(context.metricsRegistry());
  auto& bad = prometheus::BuildCounter()
                  .Name("logship_threat_intel_bad_lines_total")
                  .Help("Lines of a reloaded threat_intel list that held no indicator (skipped).")
                  .Register(context.metricsRegistry());
  for (const ListSpec& l : lists_) {
    matches_.push_back(&matches.Add({{"component_id", id}, {"list", l.name}}));
    bad_lines_.push_back(&bad.Add({{"component_id", id}, {"list", l.name}}));
  }
  auto& reloads = prometheus::BuildCounter()
                      .Name("logship_threat_intel_reloads_total")
                      .Help("Reloads of changed threat_intel lists, by result.")
                      .Register(context.metricsRegistry());
  reloads_ok_ = &reloads.Add({{"component_id", id}, {"result", "ok"}});
  reloads_failed_ = &reloads.Add({{"component_id", id}, {"result", "failed"}});
  if (watch_) watch_->start();
}

bool ThreatIntel::reloadIfChanged() { return watch_ && watch_->poll(); }

bool ThreatIntel::reload() {
  std::vector<FileStamp> stamps = watch_->stamps();
  std::vector<indicators::BadLine> bad;
  std::string error;
  size_t failed = 0;
  std::shared_ptr<const Indicators> fresh = Indicators::load(lists_, bad, error, failed);
  // Marked loaded either way: a broken file is read again when it changes, not at every poll.
  watch_->markLoaded(std::move(stamps));
  if (!fresh) {
    if (reloads_failed_) reloads_failed_->Increment();
    logError("threat_intel: keeping the lists loaded before: " + error);
    return false;
  }
  // After the first load a bad line is skipped, counted and reported, never fatal: one broken
  // line of a feed must not switch off the rest of it.
  for (size_t i = 0; i < bad.size(); ++i) {
    if (!bad_lines_.empty()) bad_lines_[bad[i].list]->Increment();
    if (i < kReportedBadLines) logWarn("threat_intel: " + bad[i].where + ": " + bad[i].why);
  }
  {
    std::lock_guard lock(indicators_mutex_);
    indicators_.swap(fresh);
  }
  if (reloads_ok_) reloads_ok_->Increment();
  std::string sizes;
  for (size_t l = 0; l < lists_.size(); ++l) {
    sizes += (l ? ", " : "") + lists_[l].name + " " + std::to_string(indicators_->entries(l));
  }
  logInfo("threat_intel: reloaded lists (" + sizes + " entries)");
  return true;
}

std::shared_ptr<const Indicators> ThreatIntel::current() const {
  std::lock_guard lock(indicators_mutex_);
  return indicators_;
}

void ThreatIntel::process(Batch& batch, Emitter& out) {
  const std::shared_ptr<const Indicators> loaded = current();
  if (!loaded) {
    out.emit(std::move(batch));
    return;
  }
  std::array<uint64_t, Indicators::kMaxLists> matched{};
  bool any = false;
  thread_local std::string names;
  for (Event& event : batch.events()) {
    const std::optional<FieldValue> value = field_.read(batch, event);
    if (!value || value->kind != FieldValue::Kind::kString) continue;
    IndicatorKind kind;
    uint64_t lists = loaded->match(value->string_value, kind);
    if (lists == 0) continue;
    any = true;
    // ECS keeps one keyword per field here: several feeds are named in list order, comma-separated.
    names.clear();
    while (lists != 0) {
      const int l = __builtin_ctzll(lists);
      lists &= lists - 1;
      ++matched[l];
      if (!names.empty()) names.push_back(',');
      names += lists_[l].name;
    }
    Arena& arena = batch.arena();
    const std::string_view indicator = arena.copy(value->string_value);
    batch.setField(event, "threat.indicator.type", FieldValue::string(typeName(kind)));
    switch (kind) {
      case IndicatorKind::kIpv4:
      case IndicatorKind::kIpv6:
        batch.setField(event, "threat.indicator.ip", FieldValue::string(indicator));
        break;
      case IndicatorKind::kDomain:
        batch.setField(event, "threat.indicator.url.domain", FieldValue::string(indicator));
        break;
      case IndicatorKind::kHash: {
        static const std::string_view kHashKeys[] = {
            "threat.indicator.file.hash.md5", "threat.indicator.file.hash.sha1",
            "threat.indicator.file.hash.sha256", "threat.indicator.file.hash.sha512"};
        const std::string_view name = indicators::hashName(indicator.size());
        const size_t i = name == "md5" ? 0 : name == "sha1" ? 1 : name == "sha256" ? 2 : 3;
        batch.setField(event, kHashKeys[i], FieldValue::string(indicator));
        break;
      }
      case IndicatorKind::kNone:
        break;
    }
    batch.setField(event, "threat.feed.name", FieldValue::string(arena.copy(names)));
  }
  if (any && !matches_.empty()) {
    for (size_t l = 0; l < lists_.size(); ++l) {
      if (matched[l] != 0) matches_[l]->Increment(static_cast<double>(matched[l]));
    }
  }
  out.emit(std::move(batch));
}

}  // namespace logship
