#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "pipelines/common/clock.h"
#include "pipelines/common/condition.h"
#include "pipelines/common/event_fields.h"
#include "pipelines/common/field_template.h"
#include "pipelines/common/string_map.h"
#include "pipelines/detect/detect_config.h"

namespace prometheus {
class Counter;
}

namespace logship {

struct DetectTimerState;

// A detection rule, evaluated per group (`group_by` fields) in one of these modes:
//   threshold   at least `threshold` matching events within `window` (or `distinct` values of a
//               field, or the `sum` of one); resolves after a whole window below it
//   sequence    `steps` matched in order within `window` (failures, then a success)
//   absence     no matching event for `window`; resolves when events come back
//   rate_below  fewer than `threshold` matching events within `window`; resolves at the rate
//   stall       `field` did not increase for `window`; resolves when it increases
//   change      `field` fell by drop_percent (rose by rise_percent) against the window before
//   new_value   a value of `field` not seen for the group within `ttl`
// An alert repeats at most once per `cooldown` (default: window).
//
// Time is event time by default: windows follow @timestamp, and each source stream (a file, a
// partition) has a watermark, its newest event time minus allowed_lateness. An event older than its source's watermark is late:
// counted and not evaluated. What happens when time passes (a resolution, an absence, a stall,
// a rate falling) is due at an event time and fires once the source's time reaches it: its
// watermark while it sends events, and once it has been silent for allowed_lateness, the clock
// minus allowed_lateness. So a backfilled file read in one go alerts as the same lines would
// have live, with the same event.start and event.end. `time: arrival` uses the time lines were
// read instead.
//
// Alerts are new batches (their own buffer and arena, no ack token, Event::kAlert) with
// `event.kind: alert`, `event.type: start | end`, `rule.name`, the group fields, `event.count`,
// `event.start`/`event.end` (event time), sample messages, `alert.labels.*` and
// `alert.annotations.*` rendered from the alert's fields, and the rule's severity; the input
// events are consumed. Groups are bounded by max_groups (the least recently seen is evicted). The
// state (windows, watermarks, the last offset counted per source stream) is saved in
// `<data_dir>/detect/<id>.json` every second and at shutdown, and loaded at start: after a
// restart the windows go on, and an event read again (same source, stream and offset) is not
// counted twice.
class Detect final : public Transform {
 public:
  // Between the values of a group key: a byte no log field holds.
  static constexpr char kGroupKeySeparator = '\x1f';
  Detect(DetectConfig config, BuildContext& ctx, const Clock& clock = systemClock());
  ~Detect() override;
  void start(ComponentContext& context) override;
  void process(Batch& batch, Emitter& out) override;
  void saveState() override;

  // Emits what is due at the clock's current time for sources gone quiet, and saves the state
  // when it changed. The timer calls it every second; tests call it after moving the clock.
  void poll(Emitter& out);

  size_t groupCount() const;

  enum class Mode : uint8_t { kThreshold, kSequence, kAbsence, kRateBelow, kStall, kChange, kNewValue };

 private:
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min();

  struct Hit {
    int64_t t;
    double amount;
    std::string value;  // distinct mode
  };
  struct Step {
    std::optional<Condition> when;
    uint32_t count = 1;
  };
  struct Group {
    std::string key;
    std::vector<std::string> values;  // of group_by, in order
    uint32_t source = 0;              // whose time drives its deadlines
    std::deque<Hit> hits;             // within the window, oldest first
    std::unordered_map<std::string, uint32_t> distinct;  // distinct mode: value -> hits
    double sum = 0;
    std::vector<std::deque<int64_t>> steps;  // sequence: each step's matches
    size_t step = 0;
    bool has_value = false;
    double value = 0;
    int64_t changed_at = kNone;                     // stall: when the value last rose
    std::deque<std::pair<int64_t, double>> recent;  // change: values within the window
    std::unordered_map<std::string, int64_t> seen;  // new_value: value -> last seen
    std::deque<std::string> samples;                // the latest matching messages
    int64_t first_seen = kNone;
    int64_t last_event = kNone;
    int64_t last_fired = kNone;
    int64_t episode_start = kNone;
    int64_t below_since = kNone;  // threshold: when it fell below, while firing
    bool firing = false;
    int64_t deadline = kNever;
    std::list<Group*>::iterator lru;
  };
  // The time of one stream of a source (its batches' stream(): a file, a partition).
  struct SourceClock {
    std::string name;
    uint64_t stream = 0;
    int64_t newest = kNone;  // newest event time seen
    int64_t last_arrival = kNone;  // clock time of its last event
    // Deadlines of its groups, earliest first; an entry whose group moved on is skipped.
    std::priority_queue<std::pair<int64_t, std::string>, std::vector<std::pair<int64_t, std::string>>,
                        std::greater<>>
        due;
  };
  struct Alert {
    bool resolved = false;
    std::vector<std::string> values;
    double count = 0;
    int64_t start = kNone;
    int64_t end = kNone;
    std::vector<std::string> samples;
    std::vector<std::pair<std::string, std::string>> extra;  // fields of the mode
  };

  // The state lock is held by these.
  uint32_t sourceIndex(std::string_view name, uint64_t stream);
  int64_t timeOf(uint32_t source, int64_t wall) const;
  Group* groupFor(const Batch& batch, const Event& event, uint32_t source, bool* missing);
  void armWholeInput();
  void touch(Group& g);
  void evictOldest();
  void setDeadline(Group& g, int64_t at);
  void advance(uint32_t source, int64_t until, std::vector<Alert>& alerts);
  void record(Group& g, const Batch& batch, const Event& event, int64_t t,
              std::vector<Alert>& alerts);
  void onDeadline(Group& g, int64_t at, std::vector<Alert>& alerts);
  // Drops hits older than keep_from. A window is [t - window, t] when an event arrives; at a
  // deadline (the moment its oldest hit reaches the edge) that hit is out.
  void trimHits(Group& g, int64_t keep_from);
  double measure(const Group& g) const;
  void fire(Group& g, int64_t start, int64_t end, double count, std::vector<Alert>& alerts,
            std::vector<std::pair<std::string, std::string>> extra = {});
  void resolve(Group& g, int64_t end, std::vector<Alert>& alerts);
  bool cooledDown(const Group& g, int64_t t) const;

  void emitAlerts(const std::vector<Alert>& alerts, Emitter& out);
  Batch buildBatch(const std::vector<Alert>& alerts) const;
  std::string alertMessage(const Alert& a) const;

  // detect_state.cc: the state as JSON, and back.
  std::string serialize() const;
  bool restore(std::string_view text, std::string* problem);
  std::string statePath() const;

  std::string id_;
  std::string name_;
  std::string summary_;
  std::string fingerprint_;  // of the rule's options: saved state of another rule is not loaded
  Mode mode_;
  std::optional<Condition> when_;
  std::vector<FieldRef> group_by_;
  std::vector<Step> steps_;
  std::optional<FieldRef> field_;     // stall, change, new_value; distinct and sum read theirs
  bool distinct_ = false;
  bool sum_ = false;
  double threshold_;
  double drop_percent_;
  double rise_percent_;
  int64_t window_;
  int64_t cooldown_;
  int64_t ttl_;
  int64_t lateness_;
  bool arrival_time_;
  size_t max_groups_;
  size_t samples_;
  bool resolve_;
  Severity severity_;
  std::vector<std::pair<std::string, FieldTemplate>> labels_;
  std::vector<std::pair<std::string, FieldTemplate>> annotations_;
  std::string data_dir_;
  const Clock& clock_;

  mutable std::mutex mutex_;  // taken once per batch or poll
  StringMap<Group> groups_;
  std::list<Group*> lru_;  // most recently seen first
  std::vector<SourceClock> sources_;  // [0]: the clock alone, for groups no event reached yet
  std::map<std::pair<std::string, uint64_t>, uint32_t> source_index_;
  // Per source and stream (batch stream ids): the offset after the last event counted, and the
  // one loaded from the saved state, below which events are ones counted before a restart.
  // Both hold at most kMaxStreams streams, the least recently counted forgotten first.
  struct Counted {
    uint64_t to = 0;
    uint64_t used = 0;  // use_clock_ when last counted
  };
  static constexpr size_t kMaxStreams = 4096;
  std::map<std::pair<std::string, uint64_t>, Counted> counted_;
  std::map<std::pair<std::string, uint64_t>, uint64_t> counted_before_;
  uint64_t use_clock_ = 0;
  bool dirty_ = false;
  int64_t last_save_ = kNone;

  ComponentContext* context_ = nullptr;
  prometheus::Counter* matched_ = nullptr;
  prometheus::Counter* ignored_ = nullptr;
  prometheus::Counter* ungrouped_ = nullptr;
  prometheus::Counter* late_ = nullptr;
  prometheus::Counter* duplicate_ = nullptr;
  prometheus::Counter* evicted_ = nullptr;
  prometheus::Counter* alerts_fired_ = nullptr;
  prometheus::Counter* alerts_resolved_ = nullptr;
  std::atomic<Emitter*> emitter_{nullptr};
  // What the timer reaches this object through; it holds only a weak reference.
  std::shared_ptr<DetectTimerState> timer_state_;
};

}  // namespace logship
