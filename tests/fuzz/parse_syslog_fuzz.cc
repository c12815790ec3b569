// libFuzzer entry point for the parse_syslog transform (header fields, PRI levels, structured
// data unescaped into the arena). The first byte picks a zone offset and structured data on/off.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parsers/syslog/parse_syslog.h"
#include "tests/fuzz/parser_transform_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace logship;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string_view line(reinterpret_cast<const char*>(data + 1), size - 1);
  ParseSyslogConfig config;
  config.structured_data = (selector & 1) == 0;
  config.timezone_offset = (selector & 2) ? "-12:00" : "+14:00";
  GlobalConfig global;
  Diagnostics diag;
  ConfigNode node;
  BuildContext ctx{"fuzz", global, diag, node};
  ParseSyslog transform(config, ctx);
  fuzz::fuzzOneLine(transform, line, (selector & 4) ? 0 : 1'717'200'000'000'000'000);
  return 0;
}
