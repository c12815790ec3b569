#include "pipelines/log_to_metric/log_to_metric_config.h"

#include "pipelines/log_to_metric/log_to_metric.h"

namespace logship {

const OptionTable<LogToMetricConfig>& LogToMetricConfig::options() {
  static const OptionTable<LogToMetricConfig> table = [] {
    OptionTable<LogToMetricConfig> t;
    t.required("metrics", &LogToMetricConfig::metrics,
               "List of {type: counter | histogram | gauge, name, help, when, labels: {label: field or "
               "{template}}, field (histogram value; gauge value; for a counter the amount to add, "
               "default 1), "
               "buckets (histogram), cardinality_limit}.")
        .optional("cardinality_limit", &LogToMetricConfig::cardinality_limit,
                  "Label sets per metric; events with a new label set beyond it are counted "
                  "with every label __other__.")
        .check([](const LogToMetricConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.cardinality_limit < 1) {
            diag.error(node["cardinality_limit"].location(),
                       "cardinality_limit must be at least 1");
          }
        });
    return t;
  }();
  return table;
}

void registerLogToMetric(Registry& registry) {
  registry.addTransform<LogToMetricConfig, LogToMetric>(
      "log_to_metric",
      "Counts events and observes their values as Prometheus counters and histograms on "
      "/metrics; events pass through unchanged.");
}

}  // namespace logship
