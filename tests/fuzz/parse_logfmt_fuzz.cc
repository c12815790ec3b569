// libFuzzer entry point for the parse_logfmt transform. The first input byte picks the options
// (bare keys refused, a small field limit), the rest is the line.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parsers/logfmt/parse_logfmt.h"
#include "tests/fuzz/parser_transform_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace logship;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string_view line(reinterpret_cast<const char*>(data + 1), size - 1);
  ParseLogfmtConfig config;
  config.bare_keys = (selector & 1) == 0;
  config.max_fields = (selector & 2) ? 2 : 256;
  GlobalConfig global;
  Diagnostics diag;
  ConfigNode node;
  BuildContext ctx{"fuzz", global, diag, node};
  ParseLogfmt transform(config, ctx);
  fuzz::fuzzOneLine(transform, line, 1'717'200'000'000'000'000);
  return 0;
}
