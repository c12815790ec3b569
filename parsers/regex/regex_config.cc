#include "parsers/regex/regex_config.h"

#include "parsers/common/parser_support.h"
#include "parsers/regex/parse_regex.h"

namespace logship {

const OptionTable<ParseRegexConfig>& ParseRegexConfig::options() {
  static const OptionTable<ParseRegexConfig> table = [] {
    OptionTable<ParseRegexConfig> t;
    t.required("patterns", &ParseRegexConfig::patterns,
               "RE2 patterns tried in order; the first that matches wins. Named groups "
               "(?P<name>...) become fields, \"__\" in a name standing for \".\" "
               "(?P<source__ip> gives source.ip). Groups timestamp/time/ts set the event time, "
               "level/severity/lvl the log.level, message/msg the message.")
        .optional("field", &ParseRegexConfig::field,
                  "Field whose string value is matched instead of the message; an event "
                  "without it gets event.parse_error.")
        .optional("types", &ParseRegexConfig::types,
                  "Conversions of captured values by group or field name: int, float, bool or "
                  "string (the default), e.g. {status: int}. A value that does not convert makes "
                  "the line a parse error.")
        .optional("timestamp_format", &ParseRegexConfig::timestamp_format,
                  "strftime-style format of the timestamp group (%Y-%m-%d %H:%M:%S ...); empty: "
                  "RFC 3339, epoch, syslog, Apache and common log formats are recognised.")
        .optional("timezone_offset", &ParseRegexConfig::timezone_offset,
                  "UTC offset of timestamps written without a zone, e.g. +02:00.")
        .check([](const ParseRegexConfig& c, const ConfigNode& node, Diagnostics& diag) {
          parsers::checkUtcOffsetOption(c.timezone_offset, node, diag);
          if (c.patterns.empty()) diag.error(node["patterns"].location(), "patterns is empty");
          regex_parser::preparePatterns(c, node, diag);
        });
    return t;
  }();
  return table;
}

void registerParseRegex(Registry& registry) {
  registry.addTransform<ParseRegexConfig, ParseRegex>(
      "parse_regex",
      "Matches lines against RE2 patterns (first match wins, linear time); named groups become "
      "fields. Lines no pattern matches are shipped with event.parse_error.");
}

}  // namespace logship
