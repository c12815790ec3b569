// libFuzzer entry point for the parse_json transform. The first input byte picks the options
// (nested keep, wrapped, a small depth or field limit), the rest is the line.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parsers/json/parse_json.h"
#include "tests/fuzz/parser_transform_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace logship;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string_view line(reinterpret_cast<const char*>(data + 1), size - 1);
  ParseJsonConfig config;
  config.nested = (selector & 1) ? "keep" : "flatten";
  config.wrapped = (selector & 2) != 0;
  config.max_depth = (selector & 4) ? 2 : 8;
  config.max_fields = (selector & 8) ? 3 : 256;
  config.max_bytes.bytes = (selector & 16) ? 64 : (1u << 20);
  GlobalConfig global;
  Diagnostics diag;
  ConfigNode node;
  BuildContext ctx{"fuzz", global, diag, node};
  ParseJson transform(config, ctx);
  fuzz::fuzzOneLine(transform, line, 1'717'200'000'000'000'000);
  return 0;
}
