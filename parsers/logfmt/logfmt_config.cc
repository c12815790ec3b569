#include "parsers/logfmt/logfmt_config.h"

#include "parsers/common/parser_support.h"
#include "parsers/logfmt/parse_logfmt.h"

namespace logship {

const OptionTable<ParseLogfmtConfig>& ParseLogfmtConfig::options() {
  static const OptionTable<ParseLogfmtConfig> table = [] {
    OptionTable<ParseLogfmtConfig> t;
    t.optional("field", &ParseLogfmtConfig::field,
               "Field whose string value is parsed instead of the message; an event without it "
               "gets event.parse_error.")
        .optional("bare_keys", &ParseLogfmtConfig::bare_keys,
                  "A word without '=' is a key with the value true; when false such a word makes "
                  "the line a parse error.")
        .optional("max_fields", &ParseLogfmtConfig::max_fields,
                  "Fields kept per event; how many more there were goes to log.truncated_fields.")
        .optional("timezone_offset", &ParseLogfmtConfig::timezone_offset,
                  "UTC offset of timestamps written without a zone, e.g. +02:00.")
        .check([](const ParseLogfmtConfig& c, const ConfigNode& node, Diagnostics& diag) {
          parsers::checkUtcOffsetOption(c.timezone_offset, node, diag);
          parsers::checkMaxFields(c.max_fields, 1, node, diag);
        });
    return t;
  }();
  return table;
}

void registerParseLogfmt(Registry& registry) {
  registry.addTransform<ParseLogfmtConfig, ParseLogfmt>(
      "parse_logfmt",
      "Parses logfmt lines (key=value key2=\"quoted \\\"value\\\"\" bare_key): pairs become "
      "string fields; time/ts/timestamp set the timestamp, level/lvl/severity the log.level, "
      "msg/message the message (raw line kept in event.original).");
}

}  // namespace logship
