// What a detect rule's alerts say: their message and fields (alert.*, event.*, labels and
// annotations, samples), the events that go on to Alertmanager, the webhook and the archive.
#include "pipelines/detect/detect.h"

#include <prometheus/counter.h>

#include "agent/support/timestamp.h"
#include "agent/support/units.h"

namespace logship {

namespace {

std::string windowText(int64_t ns) {
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  return formatDuration(Duration(ns));
}

std::string numberText(double v) {
  char buffer[32];
  return std::string(valueText(FieldValue::real(v), buffer));
}

const char* modeName(Detect::Mode mode) {
  switch (mode) {
    case Detect::Mode::kThreshold:
      return "threshold";
    case Detect::Mode::kSequence:
      return "sequence";
    case Detect::Mode::kAbsence:
      return "absence";
    case Detect::Mode::kRateBelow:
      return "rate_below";
    case Detect::Mode::kStall:
      return "stall";
    case Detect::Mode::kChange:
      return "change";
    case Detect::Mode::kNewValue:
      return "new_value";
  }
  return "?";
}

}  // namespace

void Detect::emitAlerts(const std::vector<Alert>& alerts, Emitter& out) {
  if (alerts.empty()) return;
  if (alerts_fired_ != nullptr) {
    for (const Alert& a : alerts) (a.resolved ? alerts_resolved_ : alerts_fired_)->Increment();
  }
  out.emit(buildBatch(alerts));
}

std::string Detect::alertMessage(const Alert& a) const {
  std::string group;
  for (size_t i = 0; i < a.values.size(); ++i) {
    group += (i ? ", " : "") + group_by_[i].name() + "=" + a.values[i];
  }
  const std::string from = group.empty() ? "" : " from " + group;
  const std::string window = windowText(window_);
  std::string m = summary_;
  if (a.resolved) {
    switch (mode_) {
      case Mode::kAbsence:
        return m + " resolved: events" + from + " again";
      case Mode::kStall:
        return m + " resolved: " + (field_ ? field_->name() : "value") + from + " moving again";
      case Mode::kThreshold:
        return m + " resolved: " + (group.empty() ? "" : group + " ") + "below " +
               numberText(threshold_) + (distinct_ ? " distinct values" : sum_ ? " in sum" : " events") +
               " in " + window;
      case Mode::kRateBelow:
        return m + " resolved: " + numberText(a.count) + " events" + from + " in " + window;
      case Mode::kChange:
        return m + " resolved: " + field_->name() + from + " back at " + numberText(a.count);
      default:
        return m + " resolved" + (group.empty() ? "" : ": " + group);
    }
  }
  switch (mode_) {
    case Mode::kThreshold: {
      const std::string what = distinct_ ? " distinct " + field_->name() + " values"
                               : sum_    ? " " + field_->name() + " in sum"
                                         : " events";
      return m + ": " + numberText(a.count) + what + from + " in " + window;
    }
    case Mode::kSequence:
      return m + ": sequence of " + std::to_string(steps_.size()) + " steps" + from + " within " +
             window;
    case Mode::kAbsence:
      return m + ": no events" + from + " in " + window;
    case Mode::kRateBelow:
      return m + ": " + numberText(a.count) + " events" + from + " in " + window + ", fewer than " +
             numberText(threshold_);
    case Mode::kStall:
      return m + ": " + field_->name() + from + " stuck at " + numberText(a.count) + " for " +
             window;
    case Mode::kChange:
      return m + ": " + field_->name() + from + " " + numberText(a.count) +
             (drop_percent_ > 0 ? ", fell " : ", rose ") +
             numberText(drop_percent_ > 0 ? drop_percent_ : rise_percent_) + "% or more within " +
             window;
    case Mode::kNewValue:
      return m + ": new " + field_->name() + (a.extra.empty() ? "" : " " + a.extra[0].second) +
             (group.empty() ? "" : " for " + group);
  }
  return m;
}

Batch Detect::buildBatch(const std::vector<Alert>& alerts) const {
  std::vector<std::string> messages;
  std::string raw_text;
  for (const Alert& a : alerts) {
    messages.push_back(alertMessage(a));
    raw_text += messages.back();
    raw_text.push_back('\n');
  }
  auto raw = std::make_unique_for_overwrite<char[]>(raw_text.size());
  std::memcpy(raw.get(), raw_text.data(), raw_text.size());
  Batch batch(std::move(raw), raw_text.size(), AckToken());
  Arena& arena = batch.arena();
  size_t offset = 0;
  std::string rendered;
  for (size_t k = 0; k < alerts.size(); ++k) {
    const Alert& a = alerts[k];
    Event& e = batch.events().emplace_back();
    e.message = batch.raw().substr(offset, messages[k].size());
    e.offset = offset;
    offset += messages[k].size() + 1;
    e.timestamp_ns = a.end != kNone ? a.end : clock_.nowNs();
    e.severity = severity_;
    e.flags = Event::kAlert;
    // One id per rule and group: the webhook pairs a resolution with the alert it ends.
    std::string key = name_;
    for (const std::string& v : a.values) key += kGroupKeySeparator + v;
    const uint64_t hash = stableHash(key);
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
    str("alert.mode", modeName(mode_));
    for (size_t i = 0; i < a.values.size(); ++i) str(group_by_[i].name(), a.values[i]);
    if (a.count == std::floor(a.count) && std::abs(a.count) < 9e15) {
      batch.addField(e, "event.count", FieldValue::integer(static_cast<int64_t>(a.count)));
    } else {
      batch.addField(e, "event.count", FieldValue::real(a.count));
    }
    if (mode_ == Mode::kThreshold || mode_ == Mode::kRateBelow) {
      batch.addField(e, "alert.threshold", FieldValue::real(threshold_));
    }
    str("alert.window", windowText(window_));
    char when[40];
    if (a.start != kNone) {
      str("event.start", std::string_view(when, timestamp::formatRfc3339(a.start, when)));
    }
    if (a.end != kNone) {
      str("event.end", std::string_view(when, timestamp::formatRfc3339(a.end, when)));
    }
    for (const auto& [field, value] : a.extra) str(field, value);
    for (size_t i = 0; i < a.samples.size(); ++i) {
      str("alert.sample." + std::to_string(i + 1), a.samples[i]);
    }
    // Labels and annotations are rendered from the alert itself (its group fields, count...).
    for (const auto& [name, tmpl] : labels_) {
      rendered.clear();
      tmpl.render(batch, e, rendered);
      str("alert.labels." + name, rendered);
    }
    for (const auto& [name, tmpl] : annotations_) {
      rendered.clear();
      tmpl.render(batch, e, rendered);
      str("alert.annotations." + name, rendered);
    }
  }
  return batch;
}

}  // namespace logship
