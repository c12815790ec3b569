#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace logship {

// ASCII case folding for keywords in log text: only A-Z change, so UTF-8 passes through as is.
constexpr char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// Whether `text` is `lower_word` (written in lower case) in any ASCII case.
constexpr bool equalsLowercase(std::string_view text, std::string_view lower_word) {
  if (text.size() != lower_word.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (asciiLower(text[i]) != lower_word[i]) return false;
  }
  return true;
}

// Word bytes, as log keywords are delimited: ASCII letters, digits and '_'.
constexpr bool isWordByte(unsigned char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

#if defined(__SSE2__)
// 0xff in each byte of `v` that is a word byte, 0 elsewhere.
inline __m128i wordBytes(__m128i v) {
  // Unsigned range checks: x in [lo, lo + n] iff min(x - lo, n) == x - lo.
  const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
  const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
  const __m128i l = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
  const __m128i letter = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(25)), l);
  return _mm_or_si128(_mm_or_si128(digit, letter), _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
}
#endif

// Bit k is set when p[k] is a word byte, for k < n <= 64; bits from n on are clear.
inline uint64_t wordByteMask(const char* p, size_t n) {
#if defined(__SSE2__)
  char padded[64];
  if (n < 64) {
    std::memset(padded, 0, sizeof padded);  // NUL is no word byte
    std::memcpy(padded, p, n);
    p = padded;
  }
  uint64_t mask = 0;
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    mask |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(wordBytes(v))))
            << (16 * i);
  }
  return mask;
#else
  uint64_t mask = 0;
  for (size_t k = 0; k < n; ++k) {
    if (isWordByte(static_cast<unsigned char>(p[k]))) mask |= uint64_t{1} << k;
  }
  return mask;
#endif
}

}  // namespace logship
