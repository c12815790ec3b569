// What each detect mode does with a matching event (record) and when its time comes
// (onDeadline): the rules of detect.h's comment, in event time.
#include <algorithm>

#include "pipelines/detect/detect.h"

namespace logship {

namespace {

// A group's window keeps at most this many hits beyond the threshold.
constexpr size_t kMaxHitsPerGroup = 4096;
// new_value: values remembered per group at most (the least recently seen goes first).
constexpr size_t kMaxSeenPerGroup = 4096;

// Appends `message` to the group's latest samples, keeping `n`.
void keepSample(std::deque<std::string>& samples, std::string_view message, size_t n) {
  if (n == 0) return;
  if (samples.size() == n) samples.pop_front();
  samples.emplace_back(message);
}

}  // namespace

void Detect::trimHits(Group& g, int64_t keep_from) {
  // A flood from one group keeps its newest hits only: `event.count` then reads "at least".
  const size_t cap = std::max<size_t>(static_cast<size_t>(threshold_), kMaxHitsPerGroup);
  while (!g.hits.empty() && (g.hits.front().t < keep_from || g.hits.size() > cap)) {
    Hit& h = g.hits.front();
    if (distinct_) {
      auto it = g.distinct.find(h.value);
      if (it != g.distinct.end() && --it->second == 0) g.distinct.erase(it);
    }
    g.sum -= h.amount;
    g.hits.pop_front();
  }
  if (g.hits.empty()) g.sum = 0;  // no drift from adding and taking floats
}

double Detect::measure(const Group& g) const {
  switch (mode_) {
    case Mode::kThreshold:
      return distinct_ ? static_cast<double>(g.distinct.size())
             : sum_    ? g.sum
                       : static_cast<double>(g.hits.size());
    case Mode::kRateBelow:
      return static_cast<double>(g.hits.size());
    case Mode::kStall:
    case Mode::kChange:
      return g.value;
    default:
      return 0;
  }
}

void Detect::record(Group& g, const Batch& batch, const Event& event, int64_t t,
                    std::vector<Alert>& alerts) {
  if (g.first_seen == kNone) {
    g.first_seen = t;
    g.last_event = t;  // an armed group's clock time gives way to the event time
  }
  g.last_event = std::max(g.last_event, t);
  char buffer[32];
  switch (mode_) {
    case Mode::kThreshold: {
      Hit hit{t, 1, {}};
      if (field_) {
        std::optional<FieldValue> v = field_->read(batch, event);
        if (!v) return;  // nothing to count or add
        if (distinct_) hit.value = valueText(*v, buffer);
        if (sum_) {
          std::optional<double> n = valueNumber(*v);
          if (!n) return;
          hit.amount = *n;
        }
      }
      keepSample(g.samples, event.message, samples_);
      // Hits in event order: a late-but-allowed event goes where it belongs.
      auto at = std::upper_bound(g.hits.begin(), g.hits.end(), t,
                                 [](int64_t x, const Hit& h) { return x < h.t; });
      if (distinct_) ++g.distinct[hit.value];
      g.sum += hit.amount;
      g.hits.insert(at, std::move(hit));
      const int64_t newest = g.hits.back().t;
      trimHits(g, newest - window_);
      if (measure(g) < threshold_) return;
      g.below_since = kNone;
      if (cooledDown(g, newest)) fire(g, g.hits.front().t, newest, measure(g), alerts);
      // While firing, the window's content changes when its oldest hit leaves.
      if (g.firing) setDeadline(g, g.hits.front().t + window_);
      return;
    }
    case Mode::kRateBelow: {
      keepSample(g.samples, event.message, samples_);
      auto at = std::upper_bound(g.hits.begin(), g.hits.end(), t,
                                 [](int64_t x, const Hit& h) { return x < h.t; });
      g.hits.insert(at, Hit{t, 1, {}});
      trimHits(g, g.hits.back().t - window_);
      if (g.firing && measure(g) >= threshold_) resolve(g, t, alerts);
      // When the rate can next fall below the threshold: once the threshold-th newest hit
      // leaves the window, and never before a whole window was watched.
      const size_t need = static_cast<size_t>(threshold_);
      const int64_t falls = g.hits.size() >= need ? g.hits[g.hits.size() - need].t + window_
                                                  : g.hits.back().t;
      setDeadline(g, std::max(falls, g.first_seen + window_));
      return;
    }
    case Mode::kAbsence:
      keepSample(g.samples, event.message, samples_);
      if (g.firing) resolve(g, t, alerts);
      setDeadline(g, g.last_event + window_);
      return;
    case Mode::kStall: {
      std::optional<FieldValue> v = field_->read(batch, event);
      std::optional<double> n = v ? valueNumber(*v) : std::nullopt;
      if (!n) return;
      keepSample(g.samples, event.message, samples_);
      if (!g.has_value || *n > g.value) {
        g.has_value = true;
        g.value = *n;
        g.changed_at = t;
        if (g.firing) resolve(g, t, alerts);
        setDeadline(g, g.changed_at + window_);
      }
      return;
    }
    case Mode::kChange: {
      std::optional<FieldValue> v = field_->read(batch, event);
      std::optional<double> n = v ? valueNumber(*v) : std::nullopt;
      if (!n) return;
      keepSample(g.samples, event.message, samples_);
      while (!g.recent.empty() && g.recent.front().first < t - window_) g.recent.pop_front();
      std::optional<double> reference;
      for (const auto& [when, value] : g.recent) {
        if (!reference) reference = value;
        reference = drop_percent_ > 0 ? std::max(*reference, value) : std::min(*reference, value);
      }
      g.recent.emplace_back(t, *n);
      if (g.recent.size() > kMaxHitsPerGroup) g.recent.pop_front();
      g.has_value = true;
      g.value = *n;
      const bool changed =
          reference && (drop_percent_ > 0 ? *n <= *reference * (1 - drop_percent_ / 100)
                                          : *n >= *reference * (1 + rise_percent_ / 100));
      if (changed && (!g.firing || cooledDown(g, t))) {
        char ref[32];
        fire(g, g.recent.front().first, t, *n, alerts,
             {{"alert.previous", std::string(valueText(FieldValue::real(*reference), ref))}});
      } else if (!changed && g.firing) {
        resolve(g, t, alerts);
      }
      return;
    }
    case Mode::kNewValue: {
      std::optional<FieldValue> v = field_->read(batch, event);
      if (!v) return;
      std::string value(valueText(*v, buffer));
      auto it = g.seen.find(value);
      const bool known = it != g.seen.end() && t - it->second < ttl_;
      if (it != g.seen.end()) {
        it->second = std::max(it->second, t);
      } else {
        if (g.seen.size() >= kMaxSeenPerGroup) {
          auto oldest = std::min_element(g.seen.begin(), g.seen.end(),
                                         [](auto& a, auto& b) { return a.second < b.second; });
          g.seen.erase(oldest);
        }
        g.seen.emplace(value, t);
      }
      if (known) return;
      g.samples.clear();
      keepSample(g.samples, event.message, samples_);
      fire(g, t, t, 1, alerts, {{field_->name(), value}});
      g.firing = false;  // one alert per new value: nothing to resolve
      return;
    }
    case Mode::kSequence: {
      // Steps done so far must all fall within the window ending now.
      for (auto& matches : g.steps) {
        while (!matches.empty() && matches.front() < t - window_) matches.pop_front();
      }
      size_t step = 0;
      while (step < steps_.size() && g.steps[step].size() >= steps_[step].count) ++step;
      g.step = std::min(step, steps_.size() - 1);
      // An event of an earlier step keeps that step fresh; one of the current step advances it.
      for (size_t k = 0; k <= g.step; ++k) {
        if (!steps_[k].when->matches(batch, event)) continue;
        keepSample(g.samples, event.message, samples_);
        g.steps[k].push_back(t);
        if (g.steps[k].size() > std::max<uint32_t>(steps_[k].count, 1)) g.steps[k].pop_front();
        if (k == g.step && g.steps[k].size() >= steps_[k].count) {
          if (k + 1 == steps_.size()) {
            int64_t start = t;
            for (auto& matches : g.steps) {
              if (!matches.empty()) start = std::min(start, matches.front());
            }
            if (cooledDown(g, t)) fire(g, start, t, static_cast<double>(steps_.size()), alerts);
            g.firing = false;  // a sequence happened: nothing to resolve
            for (auto& matches : g.steps) matches.clear();
            g.step = 0;
          } else {
            g.step = k + 1;
          }
        }
        break;
      }
      return;
    }
  }
}

void Detect::onDeadline(Group& g, int64_t at, std::vector<Alert>& alerts) {
  switch (mode_) {
    case Mode::kThreshold: {
      if (!g.firing) return;
      trimHits(g, at - window_ + 1);
      if (measure(g) >= threshold_) {
        g.below_since = kNone;
        setDeadline(g, g.hits.front().t + window_);
        return;
      }
      if (g.below_since == kNone) g.below_since = at;
      if (at - g.below_since >= window_) {
        resolve(g, at, alerts);
        return;
      }
      setDeadline(g, g.below_since + window_);
      return;
    }
    case Mode::kRateBelow: {
      trimHits(g, at - window_ + 1);
      if (at < g.first_seen + window_) {
        setDeadline(g, g.first_seen + window_);
        return;
      }
      if (measure(g) < threshold_ && (!g.firing || cooledDown(g, at))) {
        fire(g, at - window_, at, measure(g), alerts);
        setDeadline(g, at + cooldown_);
        return;
      }
      const size_t need = static_cast<size_t>(threshold_);
      if (g.hits.size() >= need) setDeadline(g, g.hits[g.hits.size() - need].t + window_);
      else if (g.firing) setDeadline(g, g.last_fired + cooldown_);
      return;
    }
    case Mode::kAbsence:
      if (at - g.last_event >= window_ && (!g.firing || cooledDown(g, at))) {
        fire(g, g.last_event, at, 0, alerts);
        setDeadline(g, at + cooldown_);
      }
      return;
    case Mode::kStall:
      if (at - g.changed_at >= window_ && (!g.firing || cooledDown(g, at))) {
        fire(g, g.changed_at, at, g.value, alerts);
        setDeadline(g, at + cooldown_);
      }
      return;
    default:
      return;
  }
}

}  // namespace logship
