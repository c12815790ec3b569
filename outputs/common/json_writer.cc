#include "outputs/common/json_writer.h"

#include <emmintrin.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "outputs/common/utf8.h"
#include "parsers/timestamp/timestamp.h"

namespace logship::json {
namespace {

// 0: copy as is; 1: escape; 2: first byte of a multi-byte UTF-8 sequence (or an invalid byte).
constexpr auto kByteClass = [] {
  struct Table {
    uint8_t v[256];
  } t{};
  for (int c = 0; c < 0x20; ++c) t.v[c] = 1;
  t.v[static_cast<uint8_t>('"')] = 1;
  t.v[static_cast<uint8_t>('\\')] = 1;
  for (int c = 0x80; c < 0x100; ++c) t.v[c] = 2;
  return t;
}();

// Index of the first byte that is not plain printable ASCII other than '"' and '\\'.
size_t plainPrefix(const uint8_t* p, size_t n) {
  size_t i = 0;
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // Signed compare: bytes >= 0x80 are negative and so also "less than" 0x20.
    __m128i bad = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                               _mm_cmplt_epi8(v, space));
    int mask = _mm_movemask_epi8(bad);
    if (mask != 0) return i + __builtin_ctz(mask);
  }
  while (i < n && kByteClass.v[p[i]] == 0) ++i;
  return i;
}

}  // namespace

void appendString(std::string& out, std::string_view text) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(text.data());
  const uint8_t* end = p + text.size();
  out.push_back('"');
  while (p < end) {
    size_t run = plainPrefix(p, end - p);
    out.append(reinterpret_cast<const char*>(p), run);
    p += run;
    if (p == end) break;
    uint8_t c = *p;
    if (kByteClass.v[c] == 2) {
      size_t len = utf8SequenceLength(reinterpret_cast<const char*>(p),
                                      reinterpret_cast<const char*>(end));
      if (len == 0) {
        out.append("\xEF\xBF\xBD");
        ++p;
      } else {
        out.append(reinterpret_cast<const char*>(p), len);
        p += len;
      }
      continue;
    }
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(esc, 6);
      }
    }
    ++p;
  }
  out.push_back('"');
}

void appendInt(std::string& out, int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end - buf);
}

void appendDouble(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out.append("null");
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end - buf);
}

void appendTimestamp(std::string& out, int64_t ns) {
  char buf[40];
  buf[0] = '"';
  size_t n = timestamp::formatRfc3339(ns, buf + 1);
  buf[n + 1] = '"';
  out.append(buf, n + 2);
}

}  // namespace logship::json
