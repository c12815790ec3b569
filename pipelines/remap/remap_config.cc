#include "pipelines/remap/remap_config.h"

#include "pipelines/remap/remap.h"

namespace logship {

const OptionTable<RemapConfig>& RemapConfig::options() {
  static const OptionTable<RemapConfig> table = [] {
    OptionTable<RemapConfig> t;
    t.optional("set", &RemapConfig::set,
               "{field: value}: sets fields to text, with {field} templates "
               "(\"{host.name}/{process.pid}\"); skipped for an event missing a field it names.")
        .optional("rename", &RemapConfig::rename,
                  "{from: to}: gives a field a new name, replacing what the new name held "
                  "({user: user.name, ip: source.ip, uid: user.id}).")
        .optional("copy", &RemapConfig::copy,
                  "{from: to}: copies a value (message and the other built-ins may be read).")
        .optional("delete", &RemapConfig::del, "[field, ...]: removes fields.")
        .optional("coerce", &RemapConfig::coerce,
                  "{field: int | float | bool | timestamp}: converts values (timestamp: to RFC "
                  "3339 in UTC, from RFC 3339, syslog and epoch forms); a value that does not "
                  "convert is left as it was and counted (logship_remap_coerce_failures_total).")
        .optional("lowercase", &RemapConfig::lowercase, "[field, ...]: lowercases text values.")
        .optional("replace", &RemapConfig::replace,
                  "{field: {pattern: <RE2>, with: <text>}}: replaces every match in a text "
                  "value (`message` included); \\1..\\9 in `with` insert the match's groups, "
                  "\\0 the whole match.")
        .optional("operations", &RemapConfig::operations,
                  "The same operations as a list ([{rename: {...}}, {set: {...}}]), for when one "
                  "is needed more than once. All operations run in the order they are written.");
    return t;
  }();
  return table;
}

void registerRemap(Registry& registry) {
  registry.addTransform<RemapConfig, Remap>(
      "remap",
      "Reshapes events with ordered operations: set, rename, copy, delete, coerce, lowercase "
      "and replace.");
}

}  // namespace logship
