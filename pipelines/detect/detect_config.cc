#include "pipelines/detect/detect_config.h"

#include "pipelines/detect/detect.h"

namespace logship {

namespace {

// Which options each mode takes besides the common ones.
void checkMode(const DetectConfig& c, const ConfigNode& node, Diagnostics& diag) {
  auto forbid = [&](const char* key, const char* why) {
    if (node[key].defined()) {
      diag.error(node[key].location(), std::string(key) + " has no meaning in " + c.mode +
                                           " mode" + (why[0] ? std::string(" (") + why + ")" : ""));
    }
  };
  auto need = [&](const char* key, bool given) {
    if (!given) diag.error(node.location(), c.mode + " mode needs '" + key + "'");
  };
  const bool counts = c.mode == "threshold" || c.mode == "rate_below";
  if (!counts) forbid("threshold", "");
  if (c.mode != "threshold") {
    forbid("distinct", "only threshold counts distinct values");
    forbid("sum", "only threshold sums a field");
  }
  if (c.mode != "sequence") forbid("steps", "");
  if (c.mode != "stall" && c.mode != "change" && c.mode != "new_value") forbid("field", "");
  if (c.mode != "change") {
    forbid("drop_percent", "");
    forbid("rise_percent", "");
  }
  if (c.mode != "new_value") forbid("ttl", "");
  if (c.mode == "threshold" && !c.distinct.empty() && !c.sum.empty()) {
    diag.error(node["sum"].location(), "distinct and sum exclude each other");
  }
  if (c.mode == "stall" || c.mode == "change" || c.mode == "new_value") need("field", !c.field.empty());
  if (c.mode == "sequence") need("steps", c.steps.defined());
  if (c.mode == "change") {
    const bool drop = node["drop_percent"].defined(), rise = node["rise_percent"].defined();
    if (drop == rise) {
      diag.error(node.location(), "change mode needs one of drop_percent or rise_percent");
    }
    if (drop && (c.drop_percent <= 0 || c.drop_percent > 100)) {
      diag.error(node["drop_percent"].location(), "drop_percent must be in (0, 100]");
    }
    if (rise && c.rise_percent <= 0) {
      diag.error(node["rise_percent"].location(), "rise_percent must be positive");
    }
  }
}

}  // namespace

const OptionTable<DetectConfig>& DetectConfig::options() {
  static const OptionTable<DetectConfig> table = [] {
    OptionTable<DetectConfig> t;
    t.optional("name", &DetectConfig::name, "rule.name of the alerts; default: the component id.")
        .optional("summary", &DetectConfig::summary,
                  "Text that starts the alert message, e.g. \"ssh brute force\"; default: name.")
        .optional("when", &DetectConfig::when,
                  "Which events count; default: all (sequence: a filter before the steps).")
        .optional("group_by", &DetectConfig::group_by,
                  "Fields that split the rule (e.g. [source.ip]); each value fires on its own.")
        .oneOf("mode", &DetectConfig::mode,
               {"threshold", "sequence", "absence", "rate_below", "stall", "change", "new_value"},
               "threshold: at least `threshold` events (or distinct values, or a sum) within "
               "window; sequence: `steps` in order within window; absence: no event for window; "
               "rate_below: fewer than `threshold` events within window; stall: `field` did not "
               "increase for window; change: `field` fell by drop_percent (or rose by "
               "rise_percent) against the window before; new_value: a value of `field` not seen "
               "for the group within ttl.")
        .optional("threshold", &DetectConfig::threshold,
                  "threshold and rate_below modes: the count (or distinct count, or sum).")
        .optional("distinct", &DetectConfig::distinct,
                  "threshold mode: count distinct values of this field (password spraying: "
                  "distinct user.name per source.ip).")
        .optional("sum", &DetectConfig::sum,
                  "threshold mode: sum this numeric field (bytes sent) instead of counting.")
        .optional("steps", &DetectConfig::steps,
                  "sequence mode: [{when, count: 1}, ...], matched in order per group within "
                  "window (5 failures, then a success).")
        .optional("field", &DetectConfig::field,
                  "stall, change and new_value modes: the field watched.")
        .optional("drop_percent", &DetectConfig::drop_percent,
                  "change mode: fire when the value fell this many percent below the highest of "
                  "the window before it.")
        .optional("rise_percent", &DetectConfig::rise_percent,
                  "change mode: fire when the value rose this many percent above the lowest of "
                  "the window before it.")
        .optional("ttl", &DetectConfig::ttl,
                  "new_value mode: how long a value seen for a group is remembered.")
        .optional("window", &DetectConfig::window, "Length of the sliding window.")
        .optional("cooldown", &DetectConfig::cooldown,
                  "Least time between two alerts of one group; default: window.")
        .oneOf("time", &DetectConfig::time, {"event", "arrival"},
               "event: windows follow the events' @timestamp, per source watermark (a "
               "backfilled file alerts as the same lines would live); arrival: the time lines "
               "are read.")
        .optional("allowed_lateness", &DetectConfig::allowed_lateness,
                  "event time: an event older than the newest of its source stream (a file, a "
                  "partition) by more than this is late: counted (result=\"late\") and not "
                  "evaluated. A stream silent this long follows the clock instead (see the "
                  "README).")
        .oneOf("severity", &DetectConfig::severity,
               {"critical", "high", "medium", "low", "info", "debug"}, "log.level of the alerts.")
        .optional("max_groups", &DetectConfig::max_groups,
                  "Groups tracked at once; past it the least recently seen group is evicted "
                  "(counted in logship_detect_groups_evicted_total).")
        .optional("samples", &DetectConfig::samples,
                  "Messages of the latest matching events kept in an alert (0-10).")
        .optional("resolve", &DetectConfig::resolve,
                  "Send a resolved alert (event.type: end) once the condition cleared: threshold "
                  "after a whole window below it, absence and stall when events or progress come "
                  "back, rate_below and change when the value recovered.")
        .optional("labels", &DetectConfig::labels,
                  "Alert labels, templated from the alert's fields: {team: sec, ip: "
                  "\"{source.ip}\"}; to Alertmanager as labels.")
        .optional("annotations", &DetectConfig::annotations,
                  "Alert annotations, templated: {runbook_url: ..., mitre_technique: T1110}.")
        .check([](const DetectConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.threshold < 1) {
            diag.error(node["threshold"].location(), "threshold must be at least 1");
          }
          if (c.window.count() <= 0) {
            diag.error(node["window"].location(), "window must be positive");
          }
          if (c.cooldown.count() < 0) {
            diag.error(node["cooldown"].location(), "cooldown cannot be negative");
          }
          if (c.allowed_lateness.count() < 0) {
            diag.error(node["allowed_lateness"].location(), "allowed_lateness cannot be negative");
          }
          if (c.ttl.count() <= 0) diag.error(node["ttl"].location(), "ttl must be positive");
          if (c.max_groups < 1) {
            diag.error(node["max_groups"].location(), "max_groups must be at least 1");
          }
          if (c.samples < 0 || c.samples > 10) {
            diag.error(node["samples"].location(), "samples must be 0-10");
          }
          for (const std::string& f : c.group_by) {
            if (f.empty()) diag.error(node["group_by"].location(), "empty field name in group_by");
          }
          checkMode(c, node, diag);
        });
    return t;
  }();
  return table;
}

void registerDetect(Registry& registry) {
  registry.addTransform<DetectConfig, Detect>(
      "detect",
      "Detection rules over event-time windows (threshold, distinct, sum, sequence, absence, "
      "rate_below, stall, change, new_value) that emit alert and resolved events; the input "
      "events are consumed.");
}

}  // namespace logship
