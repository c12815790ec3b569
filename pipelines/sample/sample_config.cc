#include "pipelines/sample/sample_config.h"

#include "pipelines/sample/sample.h"

namespace logship {

const OptionTable<SampleConfig>& SampleConfig::options() {
  static const OptionTable<SampleConfig> table = [] {
    OptionTable<SampleConfig> t;
    t.required("rate", &SampleConfig::rate, "Keep 1 event in rate.")
        .optional("key", &SampleConfig::key,
                  "Field or template (e.g. {correlation_id}): events with the same key are all "
                  "kept or all dropped, on every host. Events without it are sampled by count.")
        .optional("reason", &SampleConfig::reason, "Reason label of the dropped-events count.")
        .check([](const SampleConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.rate < 1) diag.error(node["rate"].location(), "rate must be at least 1");
          if (c.reason.empty()) diag.error(node["reason"].location(), "reason cannot be empty");
        });
    return t;
  }();
  return table;
}

void registerSample(Registry& registry) {
  registry.addTransform<SampleConfig, Sample>(
      "sample", "Keeps 1 in N events, whole keys (correlation ids) at a time.");
}

}  // namespace logship
