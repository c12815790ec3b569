#include "pipelines/filter/filter_config.h"

#include "pipelines/filter/filter.h"

namespace logship {

const OptionTable<FilterConfig>& FilterConfig::options() {
  static const OptionTable<FilterConfig> table = [] {
    OptionTable<FilterConfig> t;
    t.required("when", &FilterConfig::when, "The condition events are tested with.")
        .oneOf("action", &FilterConfig::action, {"keep", "drop"},
               "keep: pass only matching events; drop: pass all but the matching ones.")
        .optional("reason", &FilterConfig::reason,
                  "The reason label dropped events are counted under "
                  "(logship_component_discarded_events_total).")
        .check([](const FilterConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.reason.empty()) diag.error(node["reason"].location(), "reason cannot be empty");
        });
    return t;
  }();
  return table;
}

void registerFilter(Registry& registry) {
  registry.addTransform<FilterConfig, Filter>(
      "filter", "Keeps or drops events by condition, counting drops.");
}

}  // namespace logship
