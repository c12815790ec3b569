#include "pipelines/detect/detect.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <functional>

#include "agent/support/timestamp.h"

namespace logship {

namespace {

constexpr auto kPollInterval = std::chrono::seconds(1);
// A group's window keeps at most this many hits (beyond the threshold): `event.count` then reads
// "at least this many", and a flood from one source cannot grow memory without bound.
constexpr size_t kMaxHitsPerGroup = 4096;
constexpr char kGroupKeySeparator = '\x1f';

std::string windowText(int64_t ns) {
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  return formatDuration(Duration(ns));
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
    : name_(config.name.empty() ? ctx.id : config.name),
      summary_(config.summary.empty() ? name_ : config.summary),
      threshold_(static_cast<uint64_t>(config.threshold < 1 ? 1 : config.threshold)),
      window_ns_(config.window.count() > 0 ? config.window.count() : 1),
      cooldown_ns_(config.cooldown.count() > 0 ? config.cooldown.count() : window_ns_),
      absence_(config.mode == "absence"),
      max_groups_(static_cast<size_t>(config.max_groups < 1 ? 1 : config.max_groups)),
      samples_(static_cast<size_t>(config.samples < 0   ? 0
                                   : config.samples > 3 ? 3
                                                        : config.samples)),
      resolve_(config.resolve),
      severity_(severityFromName(config.severity)),
      max_hits_(std::max<size_t>(threshold_, kMaxHitsPerGroup)),
      clock_(clock),
      timer_state_(std::make_shared<DetectTimerState>()) {
  TierNames tiers = tierNames(ctx.global);
  if (config.when.defined()) when_ = Condition::compile(config.when, tiers, ctx.diag);
  std::vector<ConfigNode> nodes = ctx.node["group_by"].items();
  for (size_t i = 0; i < config.group_by.size(); ++i) {
    ConfigNode where = i < nodes.size() ? nodes[i] : ctx.node["group_by"];
    if (checkFieldName(config.group_by[i], where, ctx.diag)) {
      group_by_.emplace_back(config.group_by[i], tiers);
    }
  }
  if (absence_ && group_by_.empty()) {
    // One group for the whole input, armed now: silence from the start counts too.
    Group& g = groups_[""];
    g.last_seen_ns = clock_.nowNs();
  }
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
  auto& alerts = prometheus::BuildCounter()
                     .Name("logship_detect_alerts_total")
                     .Help("Alerts a detect rule emitted; type is start (fired) or end (resolved).")
                     .Register(context.metricsRegistry());
  alerts_fired_ = &alerts.Add({{"component_id", id}, {"rule", name_}, {"type", "start"}});
  alerts_resolved_ = &alerts.Add({{"component_id", id}, {"rule", name_}, {"type", "end"}});
  {
    std::lock_guard lock(timer_state_->mutex);
    timer_state_->tick = [this] {
      if (Emitter* out = emitter_.load()) poll(*out);
    };
  }
  armTimer(std::make_shared<boost::asio::steady_timer>(context.io()), timer_state_);
}

void Detect::trim(Group& g, int64_t now) {
  if (!absence_ && g.firing && !g.below_since_ns) {
    // The count is below the threshold from the moment the threshold-th newest hit leaves the
    // window; remember that moment before the hit is dropped.
    if (g.hits.size() >= threshold_) {
      int64_t drop = g.hits[g.hits.size() - threshold_].arrival_ns + window_ns_;
      if (drop <= now) g.below_since_ns = drop;
    } else {
      g.below_since_ns = now;
    }
  }
  while (!g.hits.empty() && g.hits.front().arrival_ns <= now - window_ns_) g.hits.pop_front();
}

Detect::Alert Detect::makeAlert(const Group& g, bool resolved) const {
  Alert a;
  a.resolved = resolved;
  a.values = g.values;
  a.count = g.hits.size();
  if (resolved) {
    a.start_ns = g.episode_start_ns;
    a.end_ns = clock_.nowNs();
  } else if (absence_) {
    a.start_ns = g.last_event_ns;
    a.end_ns = clock_.nowNs();
  } else {
    a.start_ns = g.hits.empty() ? g.last_event_ns : g.hits.front().event_ns;
    a.end_ns = g.hits.empty() ? g.last_event_ns : g.hits.back().event_ns;
  }
  if (!resolved) {
    uint64_t n = std::min<uint64_t>(g.sample_count, samples_);
    for (uint64_t i = g.sample_count - n; i < g.sample_count; ++i) {
      a.samples.push_back(g.samples[i % 3]);
    }
  }
  return a;
}

void Detect::check(Group& g, int64_t now, std::vector<Alert>& alerts) {
  if (absence_) {
    bool silent = now - g.last_seen_ns >= window_ns_;
    if (silent && (!g.firing || now - g.last_fired_ns >= cooldown_ns_)) {
      if (!g.firing) g.episode_start_ns = g.last_event_ns;
      g.firing = true;
      g.fired_ever = true;
      g.last_fired_ns = now;
      alerts.push_back(makeAlert(g, false));
    }
    return;
  }
  trim(g, now);
  if (g.firing && g.below_since_ns && now - *g.below_since_ns >= window_ns_) {
    g.firing = false;
    g.below_since_ns.reset();
    if (resolve_) alerts.push_back(makeAlert(g, true));
  }
}

void Detect::record(Group& g, const Event& e, int64_t now, std::vector<Alert>& alerts) {
  int64_t event_ns = e.timestamp_ns ? e.timestamp_ns : now;
  if (samples_ > 0) g.samples[g.sample_count++ % 3].assign(e.message);
  if (absence_) {
    g.last_seen_ns = now;
    g.last_event_ns = event_ns;
    if (g.firing) {
      g.firing = false;
      g.episode_start_ns = event_ns;
      if (resolve_) alerts.push_back(makeAlert(g, true));
    }
    return;
  }
  check(g, now, alerts);  // an episode that ended before this event resolves first
  g.last_event_ns = event_ns;
  g.hits.push_back(Hit{now, event_ns});
  if (g.hits.size() > max_hits_) g.hits.pop_front();
  if (g.hits.size() < threshold_) return;
  g.below_since_ns.reset();
  if (g.fired_ever && now - g.last_fired_ns < cooldown_ns_) return;
  if (!g.firing) g.episode_start_ns = g.hits.front().event_ns;
  g.firing = true;
  g.fired_ever = true;
  g.last_fired_ns = now;
  alerts.push_back(makeAlert(g, false));
}

void Detect::evict(int64_t now) {
  for (auto it = groups_.begin(); it != groups_.end();) {
    Group& g = it->second;
    if (!absence_) trim(g, now);
    bool idle = !g.firing && (absence_ ? false : g.hits.empty());
    // A group still inside its cooldown must not forget it fired, or it would fire again at once.
    if (idle && g.fired_ever && now - g.last_fired_ns < cooldown_ns_) idle = false;
    it = idle ? groups_.erase(it) : std::next(it);
  }
}

Detect::Group* Detect::groupFor(const Batch& batch, const Event& event, int64_t now, bool* evicted,
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
  if (it != groups_.end()) return &it->second;
  if (groups_.size() >= max_groups_ && !*evicted) {
    evict(now);
    *evicted = true;
  }
  if (groups_.size() >= max_groups_) return nullptr;
  Group& g = groups_[key];
  for (const FieldRef& f : group_by_) {
    g.values.emplace_back(valueText(*f.read(batch, event), buffer));
  }
  return &g;
}

void Detect::process(Batch& batch, Emitter& out) {
  emitter_.store(&out);
  std::vector<Alert> alerts;
  uint64_t matched = 0;
  uint64_t ignored = 0;
  uint64_t ungrouped = 0;
  uint64_t over_limit = 0;
  int64_t now = 0;
  {
    std::lock_guard lock(mutex_);
    now = clock_.nowNs();
    bool evicted = false;
    for (const Event& e : batch.events()) {
      if (when_ && !when_->matches(batch, e)) {
        ++ignored;
        continue;
      }
      bool missing = false;
      Group* g = groupFor(batch, e, now, &evicted, &missing);
      if (g == nullptr) {
        ++(missing ? ungrouped : over_limit);
        continue;
      }
      ++matched;
      record(*g, e, now, alerts);
    }
  }
  if (matched_ != nullptr) {
    if (matched) matched_->Increment(static_cast<double>(matched));
    if (ignored) ignored_->Increment(static_cast<double>(ignored));
    if (ungrouped) ungrouped_->Increment(static_cast<double>(ungrouped));
  }
  if (over_limit && context_ != nullptr) context_->metrics().discarded("group_limit", over_limit);
  // The input batch is not emitted: its events are consumed, its token resolves as such.
  emitAlerts(alerts, now, out);
}

void Detect::poll(Emitter& out) {
  std::vector<Alert> alerts;
  int64_t now = 0;
  {
    std::lock_guard lock(mutex_);
    now = clock_.nowNs();
    for (auto it = groups_.begin(); it != groups_.end();) {
      check(it->second, now, alerts);
      Group& g = it->second;
      bool idle = !absence_ && !g.firing && g.hits.empty() &&
                  !(g.fired_ever && now - g.last_fired_ns < cooldown_ns_);
      it = idle ? groups_.erase(it) : std::next(it);
    }
  }
  emitAlerts(alerts, now, out);
}

void Detect::emitAlerts(const std::vector<Alert>& alerts, int64_t now, Emitter& out) {
  if (alerts.empty()) return;
  if (alerts_fired_ != nullptr) {
    for (const Alert& a : alerts) (a.resolved ? alerts_resolved_ : alerts_fired_)->Increment();
  }
  out.emit(buildBatch(alerts, now));
}

Batch Detect::buildBatch(const std::vector<Alert>& alerts, int64_t now) const {
  std::vector<std::string> messages;
  std::string raw_text;
  for (const Alert& a : alerts) {
    std::string group;
    for (size_t i = 0; i < a.values.size(); ++i) {
      group += (i ? ", " : "") + group_by_[i].name() + "=" + a.values[i];
    }
    std::string m = summary_;
    std::string window = windowText(window_ns_);
    if (absence_) {
      if (a.resolved) {
        m += " resolved: events" + (group.empty() ? "" : " from " + group) + " again";
      } else {
        m += ": no events" + (group.empty() ? "" : " from " + group) + " in " + window;
      }
    } else if (a.resolved) {
      m += " resolved: " + (group.empty() ? "" : group + " ") + "below " +
           std::to_string(threshold_) + " events in " + window;
    } else {
      m += ": " + std::to_string(a.count) + " events" + (group.empty() ? "" : " from " + group) +
           " in " + window;
    }
    raw_text += m;
    raw_text.push_back('\n');
    messages.push_back(std::move(m));
  }
  auto raw = std::make_unique_for_overwrite<char[]>(raw_text.size());
  std::memcpy(raw.get(), raw_text.data(), raw_text.size());
  Batch batch(std::move(raw), raw_text.size(), AckToken());
  Arena& arena = batch.arena();
  size_t offset = 0;
  for (size_t k = 0; k < alerts.size(); ++k) {
    const Alert& a = alerts[k];
    Event& e = batch.events().emplace_back();
    e.message = batch.raw().substr(offset, messages[k].size());
    e.offset = offset;
    offset += messages[k].size() + 1;
    e.timestamp_ns = now;
    e.severity = severity_;
    e.flags = Event::kAlert;
    // One id per rule and group: the webhook pairs a resolution with the alert it ends.
    std::string key = name_;
    for (const std::string& v : a.values) key += kGroupKeySeparator + v;
    uint64_t hash = stableHash(key);
    static constexpr char kHex[] = "0123456789abcdef";
    char id[22] = {'a', 'l', 'e', 'r', 't', '-'};
    for (int i = 0; i < 16; ++i) id[6 + i] = kHex[(hash >> (60 - 4 * i)) & 0x0f];
    e.correlation_id = arena.copy(std::string_view(id, sizeof(id)));
    auto str = [&](std::string_view key, std::string_view value) {
      batch.addField(e, arena.copy(key), FieldValue::string(arena.copy(value)));
    };
    str("event.kind", "alert");
    str("event.type", a.resolved ? "end" : "start");
    str("rule.name", name_);
    str("alert.mode", absence_ ? "absence" : "threshold");
    for (size_t i = 0; i < a.values.size(); ++i) str(group_by_[i].name(), a.values[i]);
    batch.addField(e, "event.count", FieldValue::integer(static_cast<int64_t>(a.count)));
    if (!absence_) {
      batch.addField(e, "alert.threshold", FieldValue::integer(static_cast<int64_t>(threshold_)));
    }
    str("alert.window", windowText(window_ns_));
    char when[40];
    if (a.start_ns > 0) {
      str("event.start", std::string_view(when, timestamp::formatRfc3339(a.start_ns, when)));
    }
    if (a.end_ns > 0) {
      str("event.end", std::string_view(when, timestamp::formatRfc3339(a.end_ns, when)));
    }
    static constexpr std::string_view kSampleKeys[] = {"alert.sample.1", "alert.sample.2",
                                                       "alert.sample.3"};
    for (size_t i = 0; i < a.samples.size() && i < 3; ++i) str(kSampleKeys[i], a.samples[i]);
  }
  return batch;
}

}  // namespace logship
