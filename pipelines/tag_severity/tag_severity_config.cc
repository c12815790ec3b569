#include "pipelines/tag_severity/tag_severity_config.h"

#include "pipelines/tag_severity/tag_severity.h"

namespace logship {

const OptionTable<TagSeverityConfig>& TagSeverityConfig::options() {
  static const OptionTable<TagSeverityConfig> table = [] {
    OptionTable<TagSeverityConfig> t;
    t.optional("fields", &TagSeverityConfig::fields,
               "Fields holding a level as text (ERROR, warn, crit, ...) or a number (syslog 0-7, "
               "bunyan 10-60), read in this order.")
        .optional("syslog_code_field", &TagSeverityConfig::syslog_code_field,
                  "Field holding the syslog severity code 0-7.")
        .optional("message", &TagSeverityConfig::message,
                  "Without a level field, read a syslog <PRI> at the start of the message or the "
                  "first level word in it (ERROR, WARN, CRITICAL, panic, fatal, ...).")
        .optional("overwrite", &TagSeverityConfig::overwrite,
                  "Derive the level again even when a parser already set one.")
        .optional("rules", &TagSeverityConfig::rules,
                  "Ordered [{when, set: level}] or [{when, raise_to: level}], applied after the "
                  "level was derived; every matching rule applies.")
        .oneOf("default", &TagSeverityConfig::default_level,
               {"critical", "high", "medium", "low", "info", "debug", "none"},
               "Level of events where nothing gave one (none leaves it unset).")
        .check([](const TagSeverityConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.fields.empty() && c.syslog_code_field.empty() && !c.message) {
            diag.error(node.location(),
                       "tag_severity reads nothing: give fields, "
                       "syslog_code_field or message: true");
          }
        });
    return t;
  }();
  return table;
}

void registerTagSeverity(Registry& registry) {
  registry.addTransform<TagSeverityConfig, TagSeverity>(
      "tag_severity",
      "Normalises levels from fields, syslog codes and message words to critical, high, medium, "
      "low, info or debug; rules raise or set them.");
}

}  // namespace logship
