// libFuzzer entry point for the parse_regex transform, with patterns that use every feature:
// the Apache error log shape (timestamp, level, message), dotted names, typed groups and an
// optional group that may not take part.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parsers/regex/parse_regex.h"
#include "tests/fuzz/parser_transform_fuzz.h"

namespace {

logship::ParseRegex& transform() {
  static logship::ParseRegex* instance = [] {
    using namespace logship;
    ParseRegexConfig config;
    config.patterns = {
        R"(^\[(?P<timestamp>[^\]]+)\] \[(?P<level>[a-z]+)\] (?P<message>.*)$)",
        R"(^(?P<source__ip>[\d.]+) (?P<status>-?\d+) (?P<ratio>\S+) (?P<ok>\S+)( (?P<msg>.*))?$)",
        R"((?P<trace_id>[0-9a-f]{8,})|(?P<time>\d{4}-\d\d-\d\dT\S+))"};
    config.types = {{"status", "int"}, {"ratio", "float"}, {"ok", "bool"}};
    static GlobalConfig global;
    static Diagnostics diag;
    static ConfigNode node;
    BuildContext ctx{"fuzz", global, diag, node};
    return new ParseRegex(config, ctx);
  }();
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  logship::fuzz::fuzzOneLine(transform(), line, 1'717'200'000'000'000'000);
  return 0;
}
