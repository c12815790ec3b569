#include "pipelines/throttle/throttle_config.h"

#include "pipelines/throttle/throttle.h"

namespace logship {

const OptionTable<ThrottleConfig>& ThrottleConfig::options() {
  static const OptionTable<ThrottleConfig> table = [] {
    OptionTable<ThrottleConfig> t;
    t.required("threshold", &ThrottleConfig::threshold, "Events allowed per key per window.")
        .required("window", &ThrottleConfig::window, "Length of a window, e.g. 1s or 1m.")
        .optional("key", &ThrottleConfig::key,
                  "Field or template the limit applies to separately, e.g. {host.name}; "
                  "without it one limit covers every event.")
        .optional("max_keys", &ThrottleConfig::max_keys,
                  "Keys tracked at once; events of further keys share one limit.")
        .optional("reason", &ThrottleConfig::reason, "Reason label of the dropped-events count.")
        .check([](const ThrottleConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.threshold < 1)
            diag.error(node["threshold"].location(), "threshold must be at least 1");
          if (c.window.count() <= 0)
            diag.error(node["window"].location(), "window must be positive");
          if (c.max_keys < 1)
            diag.error(node["max_keys"].location(), "max_keys must be at least 1");
          if (c.reason.empty()) diag.error(node["reason"].location(), "reason cannot be empty");
        });
    return t;
  }();
  return table;
}

void registerThrottle(Registry& registry) {
  registry.addTransform<ThrottleConfig, Throttle>(
      "throttle", "Passes at most N events per key per window and counts the rest as dropped.");
}

}  // namespace logship
