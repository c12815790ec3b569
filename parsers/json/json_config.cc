#include "parsers/json/json_config.h"

#include "parsers/common/parser_support.h"
#include "parsers/json/parse_json.h"

namespace logship {

const OptionTable<ParseJsonConfig>& ParseJsonConfig::options() {
  static const OptionTable<ParseJsonConfig> table = [] {
    OptionTable<ParseJsonConfig> t;
    t.optional("field", &ParseJsonConfig::field,
               "Field whose string value is parsed instead of the message; an event without it "
               "gets event.parse_error.")
        .oneOf("nested", &ParseJsonConfig::nested, {"flatten", "keep"},
               "Nested objects become dotted fields ({\"a\":{\"b\":1}} gives a.b), or stay whole "
               "as JSON text under their key. Arrays always stay JSON text.")
        .optional("max_depth", &ParseJsonConfig::max_depth,
                  "Objects nested deeper than this many levels stay whole, as JSON text, under "
                  "the key reached at this depth (1: top-level members only).")
        .optional("max_bytes", &ParseJsonConfig::max_bytes,
                  "Longer input is not parsed: it is shipped as it is with event.parse_error.")
        .optional("max_fields", &ParseJsonConfig::max_fields,
                  "Fields kept per event; how many more there were goes to log.truncated_fields.")
        .optional("wrapped", &ParseJsonConfig::wrapped,
                  "The JSON object follows a text prefix (\"2024-01-02 INFO {...}\"): parse from "
                  "the first '{' and keep the prefix, trimmed, in log.prefix.")
        .optional("timezone_offset", &ParseJsonConfig::timezone_offset,
                  "UTC offset of timestamps written without a zone, e.g. +02:00.")
        .check([](const ParseJsonConfig& c, const ConfigNode& node, Diagnostics& diag) {
          parsers::checkUtcOffsetOption(c.timezone_offset, node, diag);
          if (c.max_depth < 1 || c.max_depth > 64) {
            diag.error(node["max_depth"].location(), "max_depth must be between 1 and 64");
          }
          if (c.max_bytes.bytes < 2 || c.max_bytes.bytes > (64u << 20)) {
            diag.error(node["max_bytes"].location(), "max_bytes must be between 2 and 64MiB");
          }
          parsers::checkMaxFields(c.max_fields, 1, node, diag);
        });
    return t;
  }();
  return table;
}

void registerParseJson(Registry& registry) {
  registry.addTransform<ParseJsonConfig, ParseJson>(
      "parse_json",
      "Parses JSON lines (simdjson): members become fields; @timestamp/time/timestamp/ts set the "
      "timestamp, level/severity/lvl the log.level, msg/message the message (raw line kept in "
      "event.original). Lines that are not JSON objects are shipped with event.parse_error.");
}

}  // namespace logship
