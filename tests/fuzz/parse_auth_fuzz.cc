// libFuzzer entry point for the parse_auth transform: the input as a raw auth.log line, and,
// split at its first newline, as a journald event (identifier field + message) and as an event
// parse_syslog already read (process.name + syslog.message fields).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parsers/auth/parse_auth.h"
#include "parsers/syslog/parse_syslog.h"
#include "tests/fuzz/parser_transform_fuzz.h"

namespace {

logship::ParseAuth& transform() {
  static logship::ParseAuth* instance = [] {
    using namespace logship;
    ParseAuthConfig config;
    config.header_on_every_line = true;
    static GlobalConfig global;
    static Diagnostics diag;
    static ConfigNode node;
    BuildContext ctx{"fuzz", global, diag, node};
    return new ParseAuth(config, ctx);
  }();
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace logship;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz::fuzzOneLine(transform(), input, 1'717'200'000'000'000'000);

  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string_view program = input.substr(0, newline);
  const std::string_view message = input.substr(newline + 1);
  for (std::string_view key : {"SYSLOG_IDENTIFIER", "process.name"}) {
    Batch batch = fuzz::makeBatch({program, message}, 0);
    Event& e = batch.events()[1];
    batch.addField(e, key, FieldValue::string(batch.events()[0].message));
    if (key == "process.name") {
      batch.addField(e, "syslog.message", FieldValue::string(e.message));
    }
    fuzz::runChecked(transform(), std::move(batch));
  }
  return 0;
}
