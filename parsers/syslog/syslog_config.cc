#include "parsers/syslog/syslog_config.h"

#include "parsers/common/parser_support.h"
#include "parsers/syslog/parse_syslog.h"

namespace logship {

const OptionTable<ParseSyslogConfig>& ParseSyslogConfig::options() {
  static const OptionTable<ParseSyslogConfig> table = [] {
    OptionTable<ParseSyslogConfig> t;
    t.optional("timezone_offset", &ParseSyslogConfig::timezone_offset,
               "UTC offset of timestamps written without a zone (all RFC 3164 ones), e.g. "
               "+02:00. Their missing year is inferred from the time the line was read.")
        .optional("structured_data", &ParseSyslogConfig::structured_data,
                  "Write RFC 5424 structured data parameters as fields sd.<id>.<name>.")
        .check([](const ParseSyslogConfig& c, const ConfigNode& node, Diagnostics& diag) {
          parsers::checkUtcOffsetOption(c.timezone_offset, node, diag);
        });
    return t;
  }();
  return table;
}

void registerParseSyslog(Registry& registry) {
  registry.addTransform<ParseSyslogConfig, ParseSyslog>(
      "parse_syslog",
      "Parses RFC 3164 and RFC 5424 syslog lines. The raw line stays in message; the message "
      "body goes to syslog.message, the header to @timestamp, host.name, process.name, "
      "process.pid, log.syslog.* (priority, facility, severity, msgid) and log.level (from the "
      "PRI), structured data to sd.<id>.<name>.");
}

}  // namespace logship
