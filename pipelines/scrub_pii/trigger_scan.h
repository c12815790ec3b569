#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "agent/api/ascii.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Finds the bytes where a built-in rule may start, sixteen bytes at a time.
//
// Two kinds of trigger bytes exist. "Anywhere" bytes ('@', ':', '=', '+') are candidates
// wherever they occur. "Word-start" bytes (digits, 'A', 'B', 'e') are candidates only when the
// byte before them is not a word character [A-Za-z0-9_]: every validator for those triggers
// (ipv4, card, ssn, phone, AKIA/ASIA, Bearer, eyJ) rejects a match glued to a preceding word,
// so digits inside hex ids, the rest of a digit run, or the 'e's of ordinary words never reach
// the validators. That filter is what keeps the dispatch rate low on digit-heavy log lines.
namespace logship::scrub_pii::scan {

inline constexpr size_t kBlock = 16;

struct TriggerSet {
  bool digits = false;
  // Unused slots hold 0: NUL then shows up as a candidate, which the caller's dispatch table
  // ignores, instead of costing a branch per block here.
  std::array<uint8_t, 4> anywhere{};
  std::array<uint8_t, 3> word_start{};
};

// Reference implementation, also the fallback for targets without SSE2. Bit k of the result is
// set when p[k] is a candidate; `prev_word` tells whether the byte before p[0] is a word byte.
inline uint32_t blockMaskPortable(const TriggerSet& set, const unsigned char* p, bool prev_word) {
  uint32_t mask = 0;
  for (size_t k = 0; k < kBlock; ++k) {
    const unsigned char c = p[k];
    bool candidate = c == set.anywhere[0] || c == set.anywhere[1] || c == set.anywhere[2] ||
                     c == set.anywhere[3];
    if (!prev_word) {
      candidate = candidate || (set.digits && c >= '0' && c <= '9') || c == set.word_start[0] ||
                  c == set.word_start[1] || c == set.word_start[2];
    }
    if (candidate) mask |= 1u << k;
    prev_word = isWordByte(c);
  }
  return mask;
}

#if defined(__SSE2__)

class BlockScanner {
 public:
  explicit BlockScanner(const TriggerSet& set)
      : digit_bias_(_mm_set1_epi8('0')),
        nine_(_mm_set1_epi8(9)),
        digit_enable_(_mm_set1_epi8(set.digits ? static_cast<char>(0xff) : 0)),
        anywhere0_(_mm_set1_epi8(static_cast<char>(set.anywhere[0]))),
        anywhere1_(_mm_set1_epi8(static_cast<char>(set.anywhere[1]))),
        anywhere2_(_mm_set1_epi8(static_cast<char>(set.anywhere[2]))),
        anywhere3_(_mm_set1_epi8(static_cast<char>(set.anywhere[3]))),
        start0_(_mm_set1_epi8(static_cast<char>(set.word_start[0]))),
        start1_(_mm_set1_epi8(static_cast<char>(set.word_start[1]))),
        start2_(_mm_set1_epi8(static_cast<char>(set.word_start[2]))) {}

  uint32_t mask(const unsigned char* p, bool prev_word) const {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Unsigned range checks: x in [lo, lo + n] iff min(x - lo, n) == x - lo.
    const __m128i d = _mm_sub_epi8(v, digit_bias_);
    const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, nine_), d);
    const __m128i word = wordBytes(v);
    const __m128i anywhere =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, anywhere0_), _mm_cmpeq_epi8(v, anywhere1_)),
                     _mm_or_si128(_mm_cmpeq_epi8(v, anywhere2_), _mm_cmpeq_epi8(v, anywhere3_)));
    const __m128i start = _mm_or_si128(
        _mm_and_si128(digit, digit_enable_),
        _mm_or_si128(_mm_cmpeq_epi8(v, start0_),
                     _mm_or_si128(_mm_cmpeq_epi8(v, start1_), _mm_cmpeq_epi8(v, start2_))));
    const uint32_t word_bits = static_cast<uint32_t>(_mm_movemask_epi8(word));
    const uint32_t prev_word_bits = (word_bits << 1) | (prev_word ? 1u : 0u);
    const uint32_t start_bits = static_cast<uint32_t>(_mm_movemask_epi8(start)) & ~prev_word_bits;
    return (start_bits | static_cast<uint32_t>(_mm_movemask_epi8(anywhere))) & 0xffff;
  }

 private:
  __m128i digit_bias_, nine_, digit_enable_;
  __m128i anywhere0_, anywhere1_, anywhere2_, anywhere3_, start0_, start1_, start2_;
};

#else

class BlockScanner {
 public:
  explicit BlockScanner(const TriggerSet& set) : set_(set) {}
  uint32_t mask(const unsigned char* p, bool prev_word) const {
    return blockMaskPortable(set_, p, prev_word);
  }

 private:
  TriggerSet set_;
};

#endif

// Mask for the last, partial block: copies it into a NUL-padded buffer so that the same
// kernel applies, and clears bits past the end.
inline uint32_t tailMask(const BlockScanner& scanner, const unsigned char* p, size_t len,
                         bool prev_word) {
  unsigned char buf[kBlock] = {};
  std::memcpy(buf, p, len);
  return scanner.mask(buf, prev_word) & ((1u << len) - 1);
}

}  // namespace logship::scrub_pii::scan
