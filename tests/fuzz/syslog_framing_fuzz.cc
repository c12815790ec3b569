// libFuzzer entry point for the syslog TCP framing: any byte stream, however the reads cut it,
// must yield the same messages (and the same truncation flags), none longer than the limit, without a crash.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/sources/syslog/syslog_framing.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

std::vector<std::pair<std::string, bool>> framesOf(std::string_view stream, size_t step, size_t limit) {
  logship::SyslogFrameReader reader(limit);
  std::vector<std::pair<std::string, bool>> out;
  for (size_t i = 0; i < stream.size(); i += step) {
    reader.feed(stream.substr(i, step), [&](std::string_view m, bool truncated) {
      check(!m.empty() && m.size() <= limit);
      out.emplace_back(std::string(m), truncated);
    });
  }
  size_t lost = 0;
  const std::string last = reader.finish(&lost);
  check(last.size() <= limit && (last.empty() || lost == 0));
  if (!last.empty()) out.emplace_back(last, false);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first two bytes pick the limit and the read size; the rest is the stream.
  const size_t limit = 8 + data[0] % 64;
  const size_t step = 1 + data[1] % 17;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
  const auto whole = framesOf(stream, stream.size() + 1, limit);
  check(framesOf(stream, step, limit) == whole);
  check(framesOf(stream, 1, limit) == whole);
  return 0;
}
