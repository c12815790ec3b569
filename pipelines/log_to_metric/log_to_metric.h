#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "pipelines/common/condition.h"
#include "pipelines/common/field_template.h"
#include "pipelines/common/string_map.h"
#include "pipelines/log_to_metric/log_to_metric_config.h"

namespace prometheus {
class Counter;
class Histogram;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace logship {

// Turns events into Prometheus counters and histograms with names and labels the user chooses
// (`security_events_total{type, severity}`), served on the admin /metrics. Label values come from
// fields; each metric holds at most `cardinality_limit` label sets, beyond which new ones fold
// into one `__other__` series so a hostile field cannot exhaust memory. Counts are added once per
// batch and series; events pass through unchanged.
class LogToMetric final : public Transform {
 public:
  static constexpr std::string_view kOther = "__other__";

  LogToMetric(LogToMetricConfig config, BuildContext& ctx);
  ~LogToMetric() override;
  void start(ComponentContext& context) override;
  void process(Batch& batch, Emitter& out) override;

 private:
  struct Series {
    prometheus::Counter* counter = nullptr;
    prometheus::Histogram* histogram = nullptr;
    prometheus::Gauge* gauge = nullptr;
    double pending = 0;                   // counter increments, or the gauge's last value
    bool has_value = false;               // a gauge value was seen in this batch
    std::vector<double> pending_buckets;  // histogram observations of this batch
    double pending_sum = 0;
    bool touched = false;
  };
  struct Metric {
    enum class Type { kCounter, kHistogram, kGauge };
    Type type = Type::kCounter;
    bool histogram = false;
    std::string name;
    std::string help;
    std::optional<Condition> when;
    std::vector<std::pair<std::string, FieldTemplate>> labels;
    std::optional<FieldRef> value;
    std::vector<double> buckets;
    size_t cardinality_limit = 0;
    prometheus::Family<prometheus::Counter>* counters = nullptr;
    prometheus::Family<prometheus::Histogram>* histograms = nullptr;
    prometheus::Family<prometheus::Gauge>* gauges = nullptr;
    StringMap<std::unique_ptr<Series>> series;
    std::unique_ptr<Series> overflow;
  };

  void readMetric(const ConfigNode& item, int64_t default_limit, const TierNames& tiers,
                  const std::vector<SharedListSpec>& lists, Diagnostics& diag);
  Series* seriesFor(Metric& metric, const std::string& key, const std::vector<size_t>& label_ends);
  Series* newSeries(Metric& metric, const std::map<std::string, std::string>& labels);

  std::vector<Metric> metrics_;
  std::string component_id_;
  std::mutex mutex_;  // taken once per batch
  std::vector<Series*> touched_;
  bool started_ = false;
};

}  // namespace logship
