#include "pipelines/detect/detect.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cmath>
#include <cstring>
#include <functional>

#include "agent/core/log.h"
#include "agent/support/files.h"
#include "agent/support/timestamp.h"

namespace logship {

namespace {

constexpr auto kPollInterval = std::chrono::seconds(1);

Detect::Mode modeOf(const std::string& name) {
  using Mode = Detect::Mode;
  if (name == "sequence") return Mode::kSequence;
  if (name == "absence") return Mode::kAbsence;
  if (name == "rate_below") return Mode::kRateBelow;
  if (name == "stall") return Mode::kStall;
  if (name == "change") return Mode::kChange;
  if (name == "new_value") return Mode::kNewValue;
  return Mode::kThreshold;
}

// What the saved state must match to be loaded: the options that shape it (what a group is, what
// a hit holds). A changed threshold, window or severity goes on from the saved windows.
std::string fingerprintOf(const ConfigNode& node) {
  YAML::Emitter out;
  out << YAML::BeginSeq;
  for (const char* key : {"mode", "group_by", "distinct", "sum", "field", "steps"}) {
    out << (node[key].defined() ? node[key].yaml() : YAML::Node());
  }
  out << YAML::EndSeq;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(stableHash(out.c_str())));
  return hex;
}

}  // namespace

struct DetectTimerState {
  std::mutex mutex;
  std::function<void()> tick;  // cleared when the Detect goes away
};

namespace {

void armTimer(std::shared_ptr<boost::asio::steady_timer> timer,
              std::weak_ptr<DetectTimerState> weak) {
  timer->expires_after(kPollInterval);
  timer->async_wait([timer, weak](const boost::system::error_code& ec) {
    if (ec) return;
    auto state = weak.lock();
    if (!state) return;
    {
      std::lock_guard lock(state->mutex);
      if (!state->tick) return;
      state->tick();
    }
    armTimer(timer, weak);
  });
}

}  // namespace

Detect::Detect(DetectConfig config, BuildContext& ctx, const Clock& clock)
    : id_(ctx.id),
      name_(config.name.empty() ? ctx.id : config.name),
      summary_(config.summary.empty() ? name_ : config.summary),
      fingerprint_(fingerprintOf(ctx.node)),
      mode_(modeOf(config.mode)),
      distinct_(!config.distinct.empty()),
      sum_(!config.sum.empty()),
      threshold_(static_cast<double>(std::max<int64_t>(config.threshold, 1))),
      drop_percent_(config.drop_percent),
      rise_percent_(config.rise_percent),
      window_(std::max<int64_t>(config.window.count(), 1)),
      cooldown_(config.cooldown.count() > 0 ? config.cooldown.count() : window_),
      ttl_(std::max<int64_t>(config.ttl.count(), 1)),
      lateness_(std::max<int64_t>(config.allowed_lateness.count(), 0)),
      arrival_time_(config.time == "arrival"),
      max_groups_(static_cast<size_t>(std::max<int64_t>(config.max_groups, 1))),
      samples_(static_cast<size_t>(std::clamp<int64_t>(config.samples, 0, 10))),
      resolve_(config.resolve),
      severity_(severityFromName(config.severity)),
      data_dir_(ctx.global.data_dir),
      clock_(clock),
      timer_state_(std::make_shared<DetectTimerState>()) {
  TierNames tiers = tierNames(ctx.global);
  if (config.when.defined()) when_ =
      Condition::compile(config.when, tiers, ctx.diag, &ctx.global.lists);
  std::vector<ConfigNode> nodes = ctx.node["group_by"].items();
  for (size_t i = 0; i < config.group_by.size(); ++i) {
    ConfigNode where = i < nodes.size() ? nodes[i] : ctx.node["group_by"];
    if (checkFieldName(config.group_by[i], where, ctx.diag)) {
      group_by_.emplace_back(config.group_by[i], tiers);
    }
  }
  const std::string& watched = distinct_ ? config.distinct : sum_ ? config.sum : config.field;
  if (!watched.empty()) {
    const char* key = distinct_ ? "distinct" : sum_ ? "sum" : "field";
    if (checkFieldName(watched, ctx.node[key], ctx.diag)) field_.emplace(watched, tiers);
  }
  if (mode_ == Mode::kSequence && config.steps.defined()) {
    if (!config.steps.isSequence() || config.steps.items().size() < 2) {
      ctx.diag.error(config.steps.location(), "steps takes a list of at least two {when, count}");
    } else {
      for (const ConfigNode& item : config.steps.items()) {
        Step step;
        if (!item.isMap() || !item["when"].defined()) {
          ctx.diag.error(item.location(), "a step is {when: CONDITION, count: N}");
          continue;
        }
        for (auto& [k, v] : item.entries()) {
          const std::string key = k.yaml().Scalar();
          if (key == "when") {
            step.when = Condition::compile(v, tiers, ctx.diag, &ctx.global.lists);
          } else if (key == "count") {
            int64_t count = 0;
            if (readValue(v, count, ctx.diag)) {
              if (count < 1) ctx.diag.error(v.location(), "count must be at least 1");
              step.count = static_cast<uint32_t>(std::max<int64_t>(count, 1));
            }
          } else {
            ctx.diag.error(k.location(), "unknown option '" + key + "' (known: when, count)");
          }
        }
        steps_.push_back(std::move(step));
      }
    }
  }
  auto templates = [&](const std::map<std::string, std::string>& in, const char* option,
                       std::vector<std::pair<std::string, FieldTemplate>>& out) {
    for (const auto& [name, text] : in) {
      ConfigNode where = ctx.node[option][name];
      if (auto t = FieldTemplate::parse(text, where, tiers, ctx.diag,
                                        FieldTemplate::Bare::kLiteral)) {
        out.emplace_back(name, std::move(*t));
      }
    }
  };
  templates(config.labels, "labels", labels_);
  templates(config.annotations, "annotations", annotations_);
  sources_.push_back(SourceClock{});  // index 0: time from the clock alone (no event yet)
  armWholeInput();
}

void Detect::armWholeInput() {
  if (mode_ != Mode::kAbsence || !group_by_.empty()) return;
  // One group for the whole input, armed from the start: silence from the start counts too.
  Group& g = groups_[""];
  g.last_event = clock_.nowNs();  // first_seen stays unset: no event yet
  g.lru = lru_.insert(lru_.begin(), &g);
  setDeadline(g, g.last_event + window_);
}

Detect::~Detect() {
  std::lock_guard lock(timer_state_->mutex);
  timer_state_->tick = nullptr;
}

void Detect::start(ComponentContext& context) {
  context_ = &context;
  auto& events = prometheus::BuildCounter()
                     .Name("logship_detect_events_total")
                     .Help("Events a detect rule read, by what became of them.")
                     .Register(context.metricsRegistry());
  std::string id(context.id());
  matched_ = &events.Add({{"component_id", id}, {"result", "matched"}});
  ignored_ = &events.Add({{"component_id", id}, {"result", "ignored"}});
  ungrouped_ = &events.Add({{"component_id", id}, {"result", "missing_group_field"}});
  late_ = &events.Add({{"component_id", id}, {"result", "late"}});
  duplicate_ = &events.Add({{"component_id", id}, {"result", "duplicate"}});
  evicted_ = &prometheus::BuildCounter()
                  .Name("logship_detect_groups_evicted_total")
                  .Help("Groups a detect rule forgot to stay within max_groups.")
                  .Register(context.metricsRegistry())
                  .Add({{"component_id", id}});
  auto& alerts = prometheus::BuildCounter()
                     .Name("logship_detect_alerts_total")
                     .Help("Alerts a detect rule emitted; type is start (fired) or end (resolved).")
                     .Register(context.metricsRegistry());
  alerts_fired_ = &alerts.Add({{"component_id", id}, {"rule", name_}, {"type", "start"}});
  alerts_resolved_ = &alerts.Add({{"component_id", id}, {"rule", name_}, {"type", "end"}});
  if (auto text = readWholeFile(statePath())) {
    std::lock_guard lock(mutex_);
    std::string problem;
    bool restored = false;
    try {
      restored = restore(*text, &problem);
    } catch (const simdjson::simdjson_error& e) {
      problem = e.what();  // a value of the wrong type: the file was edited or torn
    }
    if (!restored) {
      // Start afresh rather than from a half-read state.
      groups_.clear();
      lru_.clear();
      counted_.clear();
      counted_before_.clear();
      sources_.resize(1);
      source_index_.clear();
      armWholeInput();
      logWarn("detect '" + id_ + "': saved state " + statePath() + " not loaded: " + problem);
    }
  }
  {
    std::lock_guard lock(timer_state_->mutex);
    timer_state_->tick = [this] {
      if (Emitter* out = emitter_.load()) poll(*out);
    };
  }
  armTimer(std::make_shared<boost::asio::steady_timer>(context.io()), timer_state_);
}

size_t Detect::groupCount() const {
  std::lock_guard lock(mutex_);
  return groups_.size();
}

uint32_t Detect::sourceIndex(std::string_view name, uint64_t stream) {
  std::pair<std::string, uint64_t> key{std::string(name), stream};
  if (auto it = source_index_.find(key); it != source_index_.end()) return it->second;
  uint32_t slot = static_cast<uint32_t>(sources_.size());
  if (sources_.size() > kMaxStreams) {
    // Files come and go: the clock of the stream silent longest, with nothing due, is reused.
    uint32_t idle = 0;
    for (uint32_t i = 1; i < sources_.size(); ++i) {
      if (sources_[i].due.empty() &&
          (idle == 0 || sources_[i].last_arrival < sources_[idle].last_arrival)) {
        idle = i;
      }
    }
    if (idle != 0) {
      source_index_.erase({sources_[idle].name, sources_[idle].stream});
      slot = idle;
    }
  }
  if (slot == sources_.size()) sources_.emplace_back();
  sources_[slot] = SourceClock{key.first, stream};
  source_index_.emplace(std::move(key), slot);
  return slot;
}

int64_t Detect::timeOf(uint32_t source, int64_t wall) const {
  if (arrival_time_) return wall;
  const SourceClock& s = sources_[source];
  const int64_t watermark = s.newest == kNone ? kNone : s.newest - lateness_;
  // Silent for allowed_lateness: nothing older is coming, and time goes on with the clock.
  if (s.last_arrival == kNone || wall - s.last_arrival > lateness_) {
    return std::max(watermark, wall - lateness_);
  }
  return watermark;
}

void Detect::touch(Group& g) {
  if (g.lru != lru_.begin()) lru_.splice(lru_.begin(), lru_, g.lru);
}

void Detect::evictOldest() {
  Group* oldest = lru_.back();
  lru_.pop_back();
  groups_.erase(oldest->key);
  if (evicted_ != nullptr) evicted_->Increment();
}

void Detect::setDeadline(Group& g, int64_t at) {
  g.deadline = at;
  if (at != kNever) sources_[g.source].due.emplace(at, g.key);
}

Detect::Group* Detect::groupFor(const Batch& batch, const Event& event, uint32_t source,
                                bool* missing) {
  thread_local std::string key;
  key.clear();
  char buffer[32];
  for (const FieldRef& f : group_by_) {
    auto value = f.read(batch, event);
    if (!value) {
      *missing = true;
      return nullptr;
    }
    key += valueText(*value, buffer);
    key.push_back(kGroupKeySeparator);
  }
  auto it = groups_.find(std::string_view(key));
  if (it != groups_.end()) {
    touch(it->second);
    return &it->second;
  }
  if (groups_.size() >= max_groups_) evictOldest();
  auto [inserted, ok] = groups_.emplace(key, Group{});
  Group& g = inserted->second;
  g.key = key;
  g.source = source;
  for (const FieldRef& f : group_by_) g.values.emplace_back(valueText(*f.read(batch, event), buffer));
  if (mode_ == Mode::kSequence) g.steps.resize(steps_.size());
  g.lru = lru_.insert(lru_.begin(), &g);
  return &g;
}

void Detect::process(Batch& batch, Emitter& out) {
  emitter_.store(&out);
  std::vector<Alert> alerts;
  uint64_t matched = 0, ignored = 0, ungrouped = 0, late = 0, duplicate = 0;
  {
    std::lock_guard lock(mutex_);
    const int64_t wall = clock_.nowNs();
    // Each stream (a file, a partition) has its own time: an older file read after a newer
    // one is not late.
    const uint32_t source = sourceIndex(batch.sourceName(), batch.stream());
    SourceClock& clock = sources_[source];
    const std::pair<std::string, uint64_t> stream{clock.name, batch.stream()};
    const auto before = batch.stream() != 0 ? counted_before_.find(stream) : counted_before_.end();
    uint64_t counted_to = 0;
    for (const Event& e : batch.events()) {
      // An event from the future (a skewed clock, a wrong year) counts as now: it must not
      // carry the watermark past every event to come.
      const int64_t t = arrival_time_ || e.timestamp_ns == 0 ? wall : std::min(e.timestamp_ns, wall);
      if (!arrival_time_ && clock.newest != kNone && t < clock.newest - lateness_) {
        ++late;
        continue;
      }
      if (before != counted_before_.end() && e.offset < before->second) {
        ++duplicate;  // counted before a restart, read again
        continue;
      }
      counted_to = std::max<uint64_t>(counted_to, e.offset + 1);
      if (clock.newest == kNone || t > clock.newest) {
        clock.newest = t;
        // What fell due before this event's time minus the lateness happens first, as it
        // would have had the lines come at their own pace: a backfill alerts as live.
        if (!arrival_time_) advance(source, t - lateness_, alerts);
      }
      if (when_ && !when_->matches(batch, e)) {
        ++ignored;
        continue;
      }
      bool missing = false;
      Group* g = groupFor(batch, e, source, &missing);
      if (g == nullptr) {
        ++ungrouped;
        continue;
      }
      ++matched;
      if (g->source != source) {
        g->source = source;
        setDeadline(*g, g->deadline);
      }
      record(*g, batch, e, t, alerts);
    }
    if (!batch.events().empty()) clock.last_arrival = wall;
    if (batch.stream() != 0 && counted_to > 0) {
      Counted& c = counted_[stream];
      c.to = std::max(c.to, counted_to);
      c.used = ++use_clock_;
      if (counted_.size() > kMaxStreams) {
        auto oldest = std::min_element(counted_.begin(), counted_.end(), [](auto& a, auto& b) {
          return a.second.used < b.second.used;
        });
        counted_before_.erase(oldest->first);
        counted_.erase(oldest);
      }
    }
    advance(source, timeOf(source, wall), alerts);
    dirty_ = dirty_ || matched > 0 || late > 0 || !alerts.empty();
  }
  if (matched_ != nullptr) {
    if (matched) matched_->Increment(static_cast<double>(matched));
    if (ignored) ignored_->Increment(static_cast<double>(ignored));
    if (ungrouped) ungrouped_->Increment(static_cast<double>(ungrouped));
    if (late) late_->Increment(static_cast<double>(late));
    if (duplicate) duplicate_->Increment(static_cast<double>(duplicate));
  }
  // The input batch is not emitted: its events are consumed, its token resolves as such.
  emitAlerts(alerts, out);
}

void Detect::poll(Emitter& out) {
  std::vector<Alert> alerts;
  std::string state;
  {
    std::lock_guard lock(mutex_);
    const int64_t wall = clock_.nowNs();
    for (uint32_t s = 0; s < sources_.size(); ++s) advance(s, timeOf(s, wall), alerts);
    dirty_ = dirty_ || !alerts.empty();
    if (dirty_ && context_ != nullptr) {
      state = serialize();
      dirty_ = false;
    }
  }
  emitAlerts(alerts, out);
  if (!state.empty()) {
    std::string error;
    if (!writeFileAtomically(statePath(), state, &error)) {
      logWarn("detect '" + id_ + "': cannot save its state: " + error);
    }
  }
}

void Detect::saveState() {
  std::string state;
  {
    std::lock_guard lock(mutex_);
    state = serialize();
    dirty_ = false;
  }
  std::string error;
  if (!writeFileAtomically(statePath(), state, &error)) {
    logWarn("detect '" + id_ + "': cannot save its state: " + error);
  }
}

std::string Detect::statePath() const { return data_dir_ + "/detect/" + id_ + ".json"; }

void Detect::advance(uint32_t source, int64_t until, std::vector<Alert>& alerts) {
  if (until == kNone) return;
  auto& due = sources_[source].due;
  while (!due.empty() && due.top().first <= until) {
    auto [at, key] = due.top();
    due.pop();
    auto it = groups_.find(key);
    if (it == groups_.end()) continue;
    Group& g = it->second;
    if (g.deadline != at || g.source != source) continue;  // moved on since
    g.deadline = kNever;
    onDeadline(g, at, alerts);
  }
}

bool Detect::cooledDown(const Group& g, int64_t t) const {
  return g.last_fired == kNone || t - g.last_fired >= cooldown_;
}

void Detect::fire(Group& g, int64_t start, int64_t end, double count,
                  std::vector<Alert>& alerts,
                  std::vector<std::pair<std::string, std::string>> extra) {
  if (!g.firing) g.episode_start = start;
  g.firing = true;
  g.last_fired = end;
  Alert a;
  a.values = g.values;
  a.count = count;
  a.start = start;
  a.end = end;
  a.samples.assign(g.samples.begin(), g.samples.end());
  a.extra = std::move(extra);
  alerts.push_back(std::move(a));
}

void Detect::resolve(Group& g, int64_t end, std::vector<Alert>& alerts) {
  const bool was = g.firing;
  g.firing = false;
  g.below_since = kNone;
  if (!was || !resolve_) return;
  Alert a;
  a.resolved = true;
  a.values = g.values;
  a.count = measure(g);
  a.start = g.episode_start;
  a.end = end;
  alerts.push_back(std::move(a));
}

}  // namespace logship
