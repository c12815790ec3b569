#include "pipelines/threat_intel/threat_intel_config.h"

#include "pipelines/common/event_fields.h"
#include "pipelines/threat_intel/threat_intel.h"

namespace logship {

const OptionTable<ThreatIntelConfig>& ThreatIntelConfig::options() {
  static const OptionTable<ThreatIntelConfig> table = [] {
    OptionTable<ThreatIntelConfig> t;
    t.optional("field", &ThreatIntelConfig::field,
               "The field looked up: an IPv4 or IPv6 address, a domain (its parent domains "
               "match too) or a file hash (MD5, SHA-1, SHA-256, SHA-512).")
        .required("lists", &ThreatIntelConfig::lists,
                  "The indicator lists, [{name, path, format: plain | csv, column}], or {name} "
                  "alone for a list of the top-level lists. plain: one "
                  "address, CIDR, domain or hash a line; '#' and ';' start comments (FireHOL "
                  "netsets, Spamhaus DROP). csv: column is a header name or a number counted "
                  "from 1 (default 1). On a match the event gets threat.indicator.type, "
                  "threat.indicator.ip (or .url.domain, .file.hash.<type>) and threat.feed.name "
                  "(the lists that hold it, comma-separated); counted per list in "
                  "logship_threat_intel_matches_total. A bad line is a config error at start; "
                  "in a reload it is skipped, counted and logged with its file:line.")
        .optional("reload_interval", &ThreatIntelConfig::reload_interval,
                  "How often the list files are checked for changes (a changed file is read "
                  "again and swapped in while events keep flowing); 0s never.")
        .check([](const ThreatIntelConfig& c, const ConfigNode& node, Diagnostics& diag) {
          checkFieldName(c.field, node["field"].defined() ? node["field"] : node, diag);
          if (c.reload_interval.count() < 0) {
            diag.error(node["reload_interval"].location(), "reload_interval must be >= 0");
          }
        });
    return t;
  }();
  return table;
}

void registerThreatIntel(Registry& registry) {
  registry.addTransform<ThreatIntelConfig, ThreatIntel>(
      "threat_intel",
      "Marks events whose address, domain or file hash is on an indicator list (ECS threat.*); "
      "lists reload when their files change.");
}

}  // namespace logship
