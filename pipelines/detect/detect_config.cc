#include "pipelines/detect/detect_config.h"

#include "pipelines/detect/detect.h"

namespace logship {

const OptionTable<DetectConfig>& DetectConfig::options() {
  static const OptionTable<DetectConfig> table = [] {
    OptionTable<DetectConfig> t;
    t.optional("name", &DetectConfig::name, "rule.name of the alerts; default: the component id.")
        .optional("summary", &DetectConfig::summary,
                  "Text that starts the alert message, e.g. \"ssh brute force\"; default: name.")
        .optional("when", &DetectConfig::when, "Which events count; default: all.")
        .optional("group_by", &DetectConfig::group_by,
                  "Fields that split the count (e.g. [source.ip]); each value fires on its own.")
        .optional("threshold", &DetectConfig::threshold,
                  "threshold mode: fire when this many events arrived within window.")
        .optional("window", &DetectConfig::window, "Length of the sliding window.")
        .oneOf("severity", &DetectConfig::severity,
               {"critical", "high", "medium", "low", "info", "debug"}, "log.level of the alerts.")
        .optional("cooldown", &DetectConfig::cooldown,
                  "Least time between two alerts of one group; default: window.")
        .oneOf("mode", &DetectConfig::mode, {"threshold", "absence"},
               "threshold: too many events; absence: no event for window (e.g. no block "
               "imported).")
        .optional("max_groups", &DetectConfig::max_groups,
                  "Groups tracked at once; events of further groups are counted as dropped.")
        .optional("samples", &DetectConfig::samples,
                  "Messages of the latest events kept in an alert (0-3).")
        .optional("resolve", &DetectConfig::resolve,
                  "Send a resolved alert (event.type: end) once a group that fired stayed below "
                  "the threshold for a whole window (absence: once events came back).")
        .check([](const DetectConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.threshold < 1)
            diag.error(node["threshold"].location(), "threshold must be at least 1");
          if (c.window.count() <= 0)
            diag.error(node["window"].location(), "window must be positive");
          if (c.cooldown.count() < 0)
            diag.error(node["cooldown"].location(), "cooldown cannot be negative");
          if (c.max_groups < 1)
            diag.error(node["max_groups"].location(), "max_groups must be at least 1");
          if (c.samples < 0 || c.samples > 3)
            diag.error(node["samples"].location(), "samples must be 0-3");
          if (c.mode == "absence" && node["threshold"].defined()) {
            diag.error(node["threshold"].location(), "threshold has no meaning in absence mode");
          }
          for (const std::string& f : c.group_by) {
            if (f.empty()) diag.error(node["group_by"].location(), "empty field name in group_by");
          }
        });
    return t;
  }();
  return table;
}

void registerDetect(Registry& registry) {
  registry.addTransform<DetectConfig, Detect>(
      "detect",
      "Sliding-window detection rules (threshold or absence) that emit alert and resolved "
      "events; the input events are consumed.");
}

}  // namespace logship
