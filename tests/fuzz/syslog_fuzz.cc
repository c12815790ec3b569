// libFuzzer entry point for the syslog parser: any byte string must parse or be rejected without
// a crash, and everything returned must be a view into the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parsers/common/syslog_parser.h"

namespace {

bool isViewInto(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace logship::syslog;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  // 2024-06-01T00:00:00Z; a second pass with a zone exercises the offset arithmetic.
  for (const SyslogOptions& options :
       {SyslogOptions{1'717'200'000'000'000'000, 0}, SyslogOptions{0, -12 * 3600}}) {
    SyslogMessage m;
    if (!parseSyslog(line, options, m)) {
      check(m.hostname.empty() && m.message.empty() && m.pri == -1);
      continue;
    }
    for (std::string_view field :
         {m.hostname, m.app_name, m.procid, m.msgid, m.structured_data, m.message}) {
      check(isViewInto(field, line));
    }
    check(m.pri >= -1 && m.pri <= 191);
    check(m.pri == -1 || (!severityName(m.severity).empty() && !facilityName(m.facility).empty()));

    // Whatever the parser accepts as structured data must be fully iterable.
    size_t params = 0;
    forEachSdParam(
        m.structured_data, [&](std::string_view id, std::string_view name, std::string_view raw) {
          check(isViewInto(id, m.structured_data) && isViewInto(name, m.structured_data) &&
                isViewInto(raw, m.structured_data));
          char buffer[4096];
          if (raw.size() <= sizeof(buffer)) check(unescapeSdValue(raw, buffer) <= raw.size());
          ++params;
        });
    static_cast<void>(params);
  }
  // The reader must also survive input that never went through the parser.
  forEachSdParam(line, [&](std::string_view id, std::string_view name, std::string_view raw) {
    check(isViewInto(id, line) && isViewInto(name, line) && isViewInto(raw, line));
  });
  return 0;
}
