#include "parsers/auditd/auditd_config.h"

#include <string>

#include "parsers/auditd/parse_auditd.h"
#include "parsers/common/parser_support.h"

namespace logship {

const OptionTable<ParseAuditdConfig>& ParseAuditdConfig::options() {
  static const OptionTable<ParseAuditdConfig> table = [] {
    OptionTable<ParseAuditdConfig> t;
    t.optional("flush_timeout", &ParseAuditdConfig::flush_timeout,
               "How long the records of an event without its EOE record are held for the rest "
               "(by the clock and by the records' own time) before they are shipped as they are. "
               "Their batches are acknowledged only with the joined event, so holding delays the "
               "checkpoint, never loses records.")
        .optional("max_pending", &ParseAuditdConfig::max_pending,
                  "Events held incomplete at most; beyond it the oldest is shipped as it is "
                  "(counted in logship_component_errors_total, reason pending_overflow).")
        .optional("max_fields", &ParseAuditdConfig::max_fields,
                  "Fields kept per joined event; how many more there were goes to "
                  "log.truncated_fields.")
        .check([](const ParseAuditdConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.flush_timeout.count() <= 0) {
            diag.error(node["flush_timeout"].location(), "flush_timeout must be positive");
          }
          if (c.max_pending < 1 || c.max_pending > 1'000'000) {
            diag.error(node["max_pending"].location(), "max_pending must be between 1 and 1000000");
          }
          parsers::checkMaxFields(c.max_fields, 16, node, diag);
        });
    return t;
  }();
  return table;
}

void registerParseAuditd(Registry& registry) {
  registry.addTransform<ParseAuditdConfig, ParseAuditd>(
      "parse_auditd",
      "Joins the records of one Linux audit event (SYSCALL, EXECVE, PATH, CWD, PROCTITLE, ... "
      "sharing a serial) into one event, RAW or ENRICHED format: @timestamp, event.action, "
      "event.outcome, event.category/type, process.executable/name/pid/parent.pid/title/args, "
      "file.path, user.id, user.audit.id, user.effective.id, auditd.key (and tags), "
      "auditd.sequence, other values under auditd.log.*. Hex-encoded values are decoded. Lines "
      "that are not audit records get event.parse_error.");
}

}  // namespace logship
