#include "agent/support/json_writer.h"

#include <emmintrin.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "agent/support/timestamp.h"
#include "agent/support/utf8.h"

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

// The letter after '\\' for characters with a two-character escape; 0 for \u00XX.
constexpr auto kShortEscape = [] {
  struct Table {
    char v[256];
  } t{};
  t.v[static_cast<uint8_t>('"')] = '"';
  t.v[static_cast<uint8_t>('\\')] = '\\';
  t.v[static_cast<uint8_t>('\n')] = 'n';
  t.v[static_cast<uint8_t>('\r')] = 'r';
  t.v[static_cast<uint8_t>('\t')] = 't';
  t.v[static_cast<uint8_t>('\b')] = 'b';
  t.v[static_cast<uint8_t>('\f')] = 'f';
  return t;
}();

// Bit k set when v's byte k is '"' or '\\'.
__m128i quotesAndBackslashes(__m128i v) {
  return _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                      _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
}

// Bit k set when v's byte k must not be copied as it is: '"', '\\', a control character or a
// byte >= 0x80 (signed compare: those are negative and so also "less than" 0x20).
int specialBytes(__m128i v) {
  return _mm_movemask_epi8(
      _mm_or_si128(quotesAndBackslashes(v), _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));
}

// Index of the first byte that specialBytes would mark.
size_t plainPrefix(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const int mask = specialBytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
    if (mask != 0) return i + __builtin_ctz(mask);
  }
  while (i < n && kByteClass.v[p[i]] == 0) ++i;
  return i;
}

}  // namespace

void appendString(std::string& out, std::string_view text) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(text.data());
  const uint8_t* const end = p + text.size();
  // Most strings need no escape: one append.
  const size_t plain = plainPrefix(p, text.size());
  out.push_back('"');
  out.append(text.data(), plain);
  p += plain;
  if (p == end) {
    out.push_back('"');
    return;
  }
  // The rest is written in place through a pointer, not appended piece by piece: JSON inside
  // messages has an escape every few bytes. The room kept ahead of `o` is at least twice the input
  // left plus 17 bytes, enough for a 16-byte block store and for two-character escapes; the rarer
  // wider forms (\u00XX, U+FFFD) make more room first.
  size_t at = out.size();
  out.resize(at + 2 * static_cast<size_t>(end - p) + 17);
  char* o = out.data() + at;
  auto widen = [&](size_t extra) {
    at = static_cast<size_t>(o - out.data());
    out.resize(out.size() + extra);
    o = out.data() + at;
  };
  while (p < end) {
    if (end - p >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
      const int mask = specialBytes(v);
      if (mask == 0) {
        p += 16;
        o += 16;
        continue;
      }
      // Only quotes and backslashes (JSON inside a message): each is escaped by the '\\' put
      // before it, the block from it on stored again a place further. Those stores read up to 31
      // bytes ahead and write up to 32 + escapes, within the room kept.
      if (end - p >= 32 && mask == _mm_movemask_epi8(quotesAndBackslashes(v))) {
        int escaped = 0;
        for (int m = mask; m != 0; m &= m - 1) {
          const int k = __builtin_ctz(m);
          o[k + escaped] = '\\';
          _mm_storeu_si128(reinterpret_cast<__m128i*>(o + k + escaped + 1),
                           _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k)));
          ++escaped;
        }
        p += 16;
        o += 16 + escaped;
        continue;
      }
      const int copied = __builtin_ctz(mask);
      p += copied;
      o += copied;
    } else {
      while (p < end && kByteClass.v[*p] == 0) *o++ = static_cast<char>(*p++);
      if (p == end) break;
    }
    const uint8_t c = *p;
    if (kByteClass.v[c] == 2) {
      const size_t len =
          utf8SequenceLength(reinterpret_cast<const char*>(p), reinterpret_cast<const char*>(end));
      if (len == 0) {
        widen(2);
        std::memcpy(o, "\xEF\xBF\xBD", 3);
        o += 3;
        ++p;
      } else {
        std::memcpy(o, p, len);
        o += len;
        p += len;
      }
    } else if (const char short_form = kShortEscape.v[c]) {
      o[0] = '\\';
      o[1] = short_form;
      o += 2;
      ++p;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      widen(4);
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      std::memcpy(o, esc, 6);
      o += 6;
      ++p;
    }
  }
  *o++ = '"';
  out.resize(static_cast<size_t>(o - out.data()));
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
