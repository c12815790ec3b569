#include "pipelines/log_to_metric/log_to_metric.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <set>

#include "agent/core/log.h"

namespace logship {

namespace {

bool validName(std::string_view name, bool metric) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (metric && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return metric || !name.starts_with("__");
}

// Separates label values inside a series key; a control character no sane label holds.
constexpr char kSeriesKeySeparator = '\x1f';

}  // namespace

LogToMetric::LogToMetric(LogToMetricConfig config, BuildContext& ctx) : component_id_(ctx.id) {
  if (!config.metrics.isSequence() || config.metrics.items().empty()) {
    ctx.diag.error(config.metrics.location(), "metrics must be a non-empty list");
    return;
  }
  TierNames tiers = tierNames(ctx.global);
  for (const ConfigNode& item : config.metrics.items()) {
    readMetric(item, config.cardinality_limit, tiers, ctx.global.lists, ctx.diag);
  }
  std::set<std::string> names;
  for (size_t i = 0; i < metrics_.size(); ++i) {
    if (!names.insert(metrics_[i].name).second) {
      ctx.diag.error(config.metrics.items()[i].location(),
                     "metric '" + metrics_[i].name + "' is defined twice");
    }
  }
}

LogToMetric::~LogToMetric() = default;

void LogToMetric::readMetric(const ConfigNode& item, int64_t default_limit, const TierNames& tiers,
                             const std::vector<SharedListSpec>& lists, Diagnostics& diag) {
  if (!item.isMap()) {
    diag.error(item.location(), "a metric is a map {type, name, ...}");
    return;
  }
  Metric m;
  m.cardinality_limit = static_cast<size_t>(default_limit < 1 ? 1 : default_limit);
  std::string type;
  ConfigNode buckets_node;
  ConfigNode field_node;
  bool ok = true;
  for (auto& [key, value] : item.entries()) {
    std::string k = key.yaml().Scalar();
    if (k == "type") {
      ok = readValue(value, type, diag) && ok;
      if (!type.empty() && type != "counter" && type != "histogram" && type != "gauge") {
        diag.error(value.location(), "'" + type + "' is not one of: counter, histogram, gauge");
        ok = false;
      }
    } else if (k == "name") {
      ok = readValue(value, m.name, diag) && ok;
      if (!m.name.empty() && !validName(m.name, true)) {
        diag.error(value.location(), "'" + m.name + "' is not a Prometheus metric name");
        ok = false;
      }
    } else if (k == "help") {
      ok = readValue(value, m.help, diag) && ok;
    } else if (k == "when") {
      m.when = Condition::compile(value, tiers, diag, &lists);
      ok = ok && m.when.has_value();
    } else if (k == "labels") {
      if (!value.isMap()) {
        diag.error(value.location(), "labels must be a map of label name -> field or {template}");
        ok = false;
        continue;
      }
      for (auto& [label_key, label_value] : value.entries()) {
        std::string label = label_key.yaml().Scalar();
        if (!validName(label, false)) {
          diag.error(label_key.location(), "'" + label + "' is not a Prometheus label name");
          ok = false;
          continue;
        }
        std::string text;
        if (!readValue(label_value, text, diag)) {
          ok = false;
          continue;
        }
        auto t = FieldTemplate::parse(text, label_value, tiers, diag);
        if (!t || t->empty()) {
          if (t) diag.error(label_value.location(), "label '" + label + "' reads no field");
          ok = false;
          continue;
        }
        m.labels.emplace_back(label, std::move(*t));
      }
    } else if (k == "field") {
      field_node = value;
      std::string name;
      ok = readValue(value, name, diag) && checkFieldName(name, value, diag) && ok;
      m.value = FieldRef(name, tiers);
    } else if (k == "buckets") {
      buckets_node = value;
      std::vector<std::string> texts;
      if (!readValue(value, texts, diag)) {
        ok = false;
        continue;
      }
      for (const std::string& text : texts) {
        auto number = valueNumber(FieldValue::string(text));
        if (!number) {
          diag.error(value.location(), "bucket '" + text + "' is not a number");
          ok = false;
        } else {
          m.buckets.push_back(*number);
        }
      }
    } else if (k == "cardinality_limit") {
      int64_t limit = 0;
      if (readValue(value, limit, diag) && limit >= 1) {
        m.cardinality_limit = static_cast<size_t>(limit);
      } else {
        diag.error(value.location(), "cardinality_limit must be at least 1");
        ok = false;
      }
    } else {
      diag.error(key.location(), "unknown metric key '" + k +
                                     "' (known: type, name, help, when, labels, field, buckets, "
                                     "cardinality_limit)");
      ok = false;
    }
  }
  if (!ok) return;
  if (type.empty() || m.name.empty()) {
    diag.error(item.location(), "a metric needs type and name");
    return;
  }
  m.histogram = type == "histogram";
  m.type = m.histogram ? Metric::Type::kHistogram
                       : (type == "gauge" ? Metric::Type::kGauge : Metric::Type::kCounter);
  if (m.type == Metric::Type::kGauge) {
    // The last value an event reported: peers of a node, its best block.
    if (!m.value) {
      diag.error(item.location(), "a gauge needs field (the value it is set to)");
      return;
    }
    if (m.name.ends_with("_total")) {
      diag.error(item.location(), "'" + m.name + "': _total is for counters");
      return;
    }
  }
  if (m.histogram) {
    if (!m.value) {
      diag.error(item.location(), "a histogram needs field (the value observed)");
      return;
    }
    if (m.buckets.empty()) {
      m.buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    } else if (!std::is_sorted(m.buckets.begin(), m.buckets.end()) ||
               std::adjacent_find(m.buckets.begin(), m.buckets.end()) != m.buckets.end()) {
      diag.error(buckets_node.location(), "buckets must be increasing");
      return;
    }
    if (m.name.ends_with("_total")) {
      diag.error(item.location(), "'" + m.name + "': _total is for counters");
      return;
    }
  } else if (buckets_node.defined()) {
    diag.error(buckets_node.location(), "buckets are for histograms");
    return;
  }
  if (m.help.empty()) m.help = "Events counted by log_to_metric.";
  metrics_.push_back(std::move(m));
}

void LogToMetric::start(ComponentContext& context) {
  for (Metric& m : metrics_) {
    // Another component may define the same family (same name, type and help): it is shared.
    try {
      if (m.histogram) {
        m.histograms = &prometheus::BuildHistogram().Name(m.name).Help(m.help).Register(
            context.metricsRegistry());
      } else if (m.type == Metric::Type::kGauge) {
        m.gauges = &prometheus::BuildGauge().Name(m.name).Help(m.help).Register(
            context.metricsRegistry());
      } else {
        m.counters = &prometheus::BuildCounter().Name(m.name).Help(m.help).Register(
            context.metricsRegistry());
      }
    } catch (const std::exception& e) {
      context.metrics().error("metric_registration");
      logError("log_to_metric '" + std::string(context.id()) + "': metric " + m.name +
               " cannot be registered (" + e.what() + "); it stays empty");
    }
  }
  started_ = true;
}

LogToMetric::Series* LogToMetric::newSeries(Metric& m,
                                            const std::map<std::string, std::string>& labels) {
  auto s = std::make_unique<Series>();
  if (m.histogram) {
    if (m.histograms == nullptr) return nullptr;
    s->histogram = &m.histograms->Add(labels, prometheus::Histogram::BucketBoundaries(m.buckets));
    s->pending_buckets.assign(m.buckets.size() + 1, 0);
  } else if (m.type == Metric::Type::kGauge) {
    if (m.gauges == nullptr) return nullptr;
    s->gauge = &m.gauges->Add(labels);
  } else {
    if (m.counters == nullptr) return nullptr;
    s->counter = &m.counters->Add(labels);
  }
  return s.release();
}

LogToMetric::Series* LogToMetric::seriesFor(Metric& m, const std::string& key,
                                            const std::vector<size_t>& label_ends) {
  auto it = m.series.find(std::string_view(key));
  if (it != m.series.end()) return it->second.get();
  std::map<std::string, std::string> labels;
  if (m.series.size() >= m.cardinality_limit) {
    if (!m.overflow) {
      for (auto& [name, t] : m.labels) labels[name] = std::string(kOther);
      m.overflow.reset(newSeries(m, labels));
    }
    return m.overflow.get();
  }
  size_t begin = 0;
  for (size_t i = 0; i < m.labels.size(); ++i) {
    labels[m.labels[i].first] = key.substr(begin, label_ends[i] - begin);
    begin = label_ends[i] + 1;
  }
  std::unique_ptr<Series> s(newSeries(m, labels));
  if (!s) return nullptr;
  Series* raw = s.get();
  m.series.emplace(key, std::move(s));
  return raw;
}

void LogToMetric::process(Batch& batch, Emitter& out) {
  if (started_) {
    thread_local std::string key;
    thread_local std::vector<size_t> label_ends;
    std::lock_guard lock(mutex_);
    for (const Event& e : batch.events()) {
      for (Metric& m : metrics_) {
        if (m.when && !m.when->matches(batch, e)) continue;
        double amount = 1;
        if (m.value) {
          auto v = m.value->read(batch, e);
          auto number = v ? valueNumber(*v) : std::nullopt;
          if (!number) continue;  // nothing to observe or add
          amount = *number;
          if (m.type == Metric::Type::kCounter && !(amount >= 0)) continue;  // counters only go up
        }
        key.clear();
        label_ends.clear();
        for (auto& [name, t] : m.labels) {
          size_t start = key.size();
          if (!t.render(batch, e, key)) key.resize(start);  // a missing field: empty label
          label_ends.push_back(key.size());
          key.push_back(kSeriesKeySeparator);
        }
        Series* s = seriesFor(m, key, label_ends);
        if (s == nullptr) continue;
        if (!s->touched) {
          s->touched = true;
          touched_.push_back(s);
        }
        if (m.type == Metric::Type::kGauge) {
          s->pending = amount;  // the last event of the batch wins
          s->has_value = true;
        } else if (m.histogram) {
          size_t bucket =
              std::lower_bound(m.buckets.begin(), m.buckets.end(), amount) - m.buckets.begin();
          s->pending_buckets[bucket] += 1;
          s->pending_sum += amount;
        } else {
          s->pending += amount;
        }
      }
    }
    for (Series* s : touched_) {
      if (s->gauge != nullptr) {
        if (s->has_value) s->gauge->Set(s->pending);
        s->has_value = false;
      } else if (s->counter != nullptr) {
        s->counter->Increment(s->pending);
        s->pending = 0;
      } else {
        s->histogram->ObserveMultiple(s->pending_buckets, s->pending_sum);
        std::fill(s->pending_buckets.begin(), s->pending_buckets.end(), 0.0);
        s->pending_sum = 0;
      }
      s->touched = false;
    }
    touched_.clear();
  }
  out.emit(std::move(batch));
}

}  // namespace logship
