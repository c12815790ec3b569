// libFuzzer entry point for the parse_substrate transform and its line reader. Seeds: one file per
// line kind in tests/fuzz/seeds/parse_substrate_fuzz (the panic report with its newlines).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parsers/substrate/parse_substrate.h"
#include "tests/fuzz/parser_transform_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace logship;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  static ParseSubstrate* transform = [] {
    static GlobalConfig global;
    static Diagnostics diag;
    static ConfigNode node;
    BuildContext ctx{"fuzz", global, diag, node};
    ParseSubstrateConfig config;
    config.timezone_offset = "+05:30";
    return new ParseSubstrate(config, ctx);
  }();
  fuzz::fuzzOneLine(*transform, line, 0);

  // Everything the reader returns lies inside the line.
  substrate::SubstrateLine parsed;
  if (substrate::parseSubstrateLine(line, 0, parsed)) {
    for (std::string_view part :
         {parsed.chain, parsed.thread, parsed.level, parsed.target, parsed.body}) {
      fuzz::check(part.empty() || (part.data() >= line.data() &&
                                   part.data() + part.size() <= line.data() + line.size()));
    }
    fuzz::check(parsed.field_count <= substrate::SubstrateLine::kMaxFields);
    for (int i = 0; i < parsed.field_count; ++i) {
      const FieldValue& v = parsed.fields[i].value;
      if (v.kind != FieldValue::Kind::kString || v.string_value.empty()) continue;
      fuzz::check(v.string_value.data() >= line.data() &&
                  v.string_value.data() + v.string_value.size() <= line.data() + line.size());
    }
  }
  return 0;
}
