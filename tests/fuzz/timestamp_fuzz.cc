// libFuzzer entry point for the timestamp parsers. Every accepted value must format back to a
// well-formed RFC 3339 string that parses to the same instant.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "agent/support/timestamp.h"

namespace {

namespace ts = logship::timestamp;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void checkRoundTrip(std::optional<int64_t> ns) {
  if (!ns) return;
  char buffer[ts::kRfc3339NanosLength];
  const size_t length = ts::formatRfc3339(*ns, buffer);
  check(length == ts::kRfc3339NanosLength);
  check(ts::parseRfc3339(std::string_view(buffer, length)) == ns);
  char millis[ts::kRfc3339MillisLength];
  check(ts::formatRfc3339Millis(*ns, millis) == ts::kRfc3339MillisLength);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first eight bytes as an instant: formatting must handle the whole int64 range.
  if (size >= sizeof(int64_t)) {
    int64_t raw = 0;
    std::memcpy(&raw, data, sizeof(raw));
    checkRoundTrip(raw);
  }
  constexpr int64_t kReference = 1'717'200'000'000'000'000;  // 2024-06-01T00:00:00Z
  checkRoundTrip(ts::parseRfc3339(input));
  checkRoundTrip(ts::parseRfc3339(input, -9 * 3600));
  checkRoundTrip(ts::parseSyslogTime(input, kReference, 5 * 3600));
  checkRoundTrip(ts::parseSyslogTime(input, INT64_MIN, 0));
  checkRoundTrip(ts::parseApacheTime(input, 0));
  for (ts::Unit unit : {ts::Unit::kSeconds, ts::Unit::kMillis, ts::Unit::kMicros, ts::Unit::kNanos,
                        ts::Unit::kAuto}) {
    checkRoundTrip(ts::parseEpoch(input, unit));
  }
  checkRoundTrip(ts::parseAny(input, kReference, 3600));
  int64_t ns = 0;
  check(ts::scanRfc3339(input, 0, ns) <= input.size());
  check(ts::scanSyslogTime(input, kReference, 0, ns) <= input.size());

  // "format\0text" drives parseStrftime with fuzzed formats too.
  const size_t split = input.find('\0');
  if (split != std::string_view::npos) {
    checkRoundTrip(ts::parseStrftime(input.substr(split + 1), input.substr(0, split), -3600));
  } else {
    checkRoundTrip(ts::parseStrftime(input, "%a %b %e %T %Y", 0));
    checkRoundTrip(ts::parseStrftime(input, "%FT%T.%f%z", 0));
  }
  return 0;
}
