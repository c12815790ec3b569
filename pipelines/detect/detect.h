#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "pipelines/common/clock.h"
#include "pipelines/common/condition.h"
#include "pipelines/common/event_fields.h"
#include "pipelines/common/string_map.h"
#include "pipelines/detect/detect_config.h"

namespace prometheus {
class Counter;
}

namespace logship {

struct DetectTimerState;

// A detection rule over a sliding window, per group (`group_by` fields):
// - threshold mode fires when `threshold` matching events arrived within `window`, at most once
//   per `cooldown`, and resolves once the group stayed below the threshold for a whole window;
// - absence mode fires when a group (or, without group_by, the whole input) saw no matching event
//   for `window`, repeats every `cooldown` while it lasts, and resolves when events come back.
// Alerts are new batches (their own buffer and arena, no ack token, Event::kAlert) with
// `event.kind: alert`, `event.type: start | end`, `rule.name`, the group fields, `event.count`,
// `event.start`/`event.end`, up to 3 sample messages and the rule's severity; the input events
// are consumed. Windows run on the injected clock (arrival time); a timer on the component's
// worker checks for resolutions and absences between batches.
class Detect final : public Transform {
 public:
  Detect(DetectConfig config, BuildContext& ctx, const Clock& clock = systemClock());
  ~Detect() override;
  void start(ComponentContext& context) override;
  void process(Batch& batch, Emitter& out) override;

  // Emits the resolutions and absences due at the clock's current time. The timer calls it every
  // second; tests call it after moving the clock.
  void poll(Emitter& out);

 private:
  struct Hit {
    int64_t arrival_ns;
    int64_t event_ns;
  };
  struct Group {
    std::vector<std::string> values;  // of group_by, in order
    std::deque<Hit> hits;             // matching events within the window, oldest first
    std::string samples[3];           // ring of the latest messages
    uint64_t sample_count = 0;
    int64_t last_fired_ns = 0;
    bool fired_ever = false;
    bool firing = false;
    std::optional<int64_t> below_since_ns;  // threshold mode: when the count fell below
    int64_t last_seen_ns = 0;               // absence mode
    int64_t last_event_ns = 0;
    int64_t episode_start_ns = 0;  // event time of the first hit of the firing episode
  };
  struct Alert {
    bool resolved;
    std::vector<std::string> values;
    uint64_t count;
    int64_t start_ns;
    int64_t end_ns;
    std::vector<std::string> samples;
  };

  void record(Group& group, const Event& event, int64_t now, std::vector<Alert>& alerts);
  void trim(Group& group, int64_t now);
  void check(Group& group, int64_t now, std::vector<Alert>& alerts);
  Alert makeAlert(const Group& group, bool resolved) const;
  // nullptr when the event lacks a group_by field (*missing) or the group limit is reached.
  Group* groupFor(const Batch& batch, const Event& event, int64_t now, bool* evicted,
                  bool* missing);
  void evict(int64_t now);
  void emitAlerts(const std::vector<Alert>& alerts, int64_t now, Emitter& out);
  Batch buildBatch(const std::vector<Alert>& alerts, int64_t now) const;

  std::string name_;
  std::string summary_;
  std::optional<Condition> when_;
  std::vector<FieldRef> group_by_;
  uint64_t threshold_;
  int64_t window_ns_;
  int64_t cooldown_ns_;
  bool absence_;
  size_t max_groups_;
  size_t samples_;
  bool resolve_;
  Severity severity_;
  size_t max_hits_;
  const Clock& clock_;

  std::mutex mutex_;  // taken once per batch or poll
  StringMap<Group> groups_;
  ComponentContext* context_ = nullptr;
  prometheus::Counter* matched_ = nullptr;
  prometheus::Counter* ignored_ = nullptr;
  prometheus::Counter* ungrouped_ = nullptr;
  prometheus::Counter* alerts_fired_ = nullptr;
  prometheus::Counter* alerts_resolved_ = nullptr;
  std::atomic<Emitter*> emitter_{nullptr};
  // What the timer reaches this object through; it holds only a weak reference.
  std::shared_ptr<DetectTimerState> timer_state_;
};

}  // namespace logship
