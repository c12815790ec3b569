#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "agent/support/ascii.h"

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
//
// A digit run's start can further be held to the shapes the enabled digit rules need (an IPv4
// address has a '.' within three bytes of its start, an SSN a '-' three bytes on, a hex seed an
// 'x' one on): timestamps, pids and counters, most of a log line's numbers, then never reach the
// dispatch. The masks read kLookahead bytes past the block for that (with digit_shapes), and for
// "//" pairs (with slash_pairs): a third kind of candidate, the first '/' of a pair, which a
// single '/' of a path or URL never is.
namespace logship::scrub_pii::scan {

inline constexpr size_t kBlock = 16;
inline constexpr size_t kLookahead = 16;  // at least the 4 of the digit shapes

struct TriggerSet {
  bool digits = false;
  // Unused slots hold 0: NUL then shows up as a candidate, which the caller's dispatch table
  // ignores, instead of costing a branch per block here.
  std::array<uint8_t, 4> anywhere{};
  std::array<uint8_t, 3> word_start{};
  // With digit_shapes, a digit-run start s is a candidate only when, for some i, p[s + k] is
  // digit_next[i] for a k in 1..4 with bit k set in digit_next_offsets[i].
  bool digit_shapes = false;
  std::array<uint8_t, 3> digit_next{};
  std::array<uint8_t, 3> digit_next_offsets{};
  bool slash_pairs = false;

  // Whether the masks read kLookahead bytes past a block.
  bool readsAhead() const { return digit_shapes || slash_pairs; }

  // `byte` at one of `offsets` (bits 1..4) after a digit run's start makes the start a candidate.
  void allowDigitsBefore(uint8_t byte, uint8_t offsets) {
    digit_shapes = true;
    for (size_t i = 0; i < digit_next.size(); ++i) {
      if (digit_next_offsets[i] != 0 && digit_next[i] != byte) continue;
      digit_next[i] = byte;
      digit_next_offsets[i] |= offsets;
      return;
    }
    digit_shapes = false;  // more bytes than slots: no shape filter rather than a wrong one
  }
};

// The digit-run starts of `starts` whose shape TriggerSet allows, given `bytes_equal(byte)`, the
// mask of p[0, 32) equal to byte.
template <typename BytesEqual>
uint32_t shapedDigitStarts(const TriggerSet& set, uint32_t starts, BytesEqual bytes_equal) {
  uint64_t shaped = 0;
  for (size_t i = 0; i < set.digit_next.size() && set.digit_next_offsets[i] != 0; ++i) {
    const uint64_t at = bytes_equal(set.digit_next[i]);
    for (int k = 1; k <= 4; ++k) {
      if (set.digit_next_offsets[i] >> k & 1) shaped |= at >> k;
    }
  }
  return starts & static_cast<uint32_t>(shaped);
}

// Reference implementation, also the fallback for targets without SSE2. Bit k of the result is
// set when p[k] is a candidate; `prev_word` tells whether the byte before p[0] is a word byte.
// p holds kBlock readable bytes, and kLookahead more when set.readsAhead().
inline uint32_t blockMaskPortable(const TriggerSet& set, const unsigned char* p, bool prev_word) {
  uint32_t mask = 0;
  uint32_t digit_starts = 0;
  for (size_t k = 0; k < kBlock; ++k) {
    const unsigned char c = p[k];
    bool candidate = c == set.anywhere[0] || c == set.anywhere[1] || c == set.anywhere[2] ||
                     c == set.anywhere[3];
    if (!prev_word) {
      candidate =
          candidate || c == set.word_start[0] || c == set.word_start[1] || c == set.word_start[2];
      if (set.digits && c >= '0' && c <= '9') digit_starts |= 1u << k;
    }
    if (set.slash_pairs && c == '/' && p[k + 1] == '/') candidate = true;
    if (candidate) mask |= 1u << k;
    prev_word = isWordByte(c);
  }
  if (digit_starts != 0 && set.digit_shapes) {
    digit_starts = shapedDigitStarts(set, digit_starts, [p](uint8_t byte) {
      uint64_t m = 0;
      for (size_t k = 0; k < kBlock + kLookahead; ++k) m |= uint64_t{p[k] == byte} << k;
      return m;
    });
  }
  return mask | digit_starts;
}

#if defined(__SSE2__)

class BlockScanner {
 public:
  explicit BlockScanner(const TriggerSet& set)
      : set_(set),
        digit_bias_(_mm_set1_epi8('0')),
        nine_(_mm_set1_epi8(9)),
        digit_enable_(_mm_set1_epi8(set.digits ? static_cast<char>(0xff) : 0)),
        anywhere0_(_mm_set1_epi8(static_cast<char>(set.anywhere[0]))),
        anywhere1_(_mm_set1_epi8(static_cast<char>(set.anywhere[1]))),
        anywhere2_(_mm_set1_epi8(static_cast<char>(set.anywhere[2]))),
        anywhere3_(_mm_set1_epi8(static_cast<char>(set.anywhere[3]))),
        start0_(_mm_set1_epi8(static_cast<char>(set.word_start[0]))),
        start1_(_mm_set1_epi8(static_cast<char>(set.word_start[1]))),
        start2_(_mm_set1_epi8(static_cast<char>(set.word_start[2]))),
        slash_(_mm_set1_epi8('/')) {}

  // p holds kBlock readable bytes, and kLookahead more when set.readsAhead().
  uint32_t mask(const unsigned char* p, bool prev_word) const {
    const __m128i v = load(p);
    const __m128i digit = digits(v);
    const __m128i word = wordBytes(v);
    const __m128i anywhere =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, anywhere0_), _mm_cmpeq_epi8(v, anywhere1_)),
                     _mm_or_si128(_mm_cmpeq_epi8(v, anywhere2_), _mm_cmpeq_epi8(v, anywhere3_)));
    const __m128i start =
        _mm_or_si128(_mm_cmpeq_epi8(v, start0_),
                     _mm_or_si128(_mm_cmpeq_epi8(v, start1_), _mm_cmpeq_epi8(v, start2_)));
    const uint32_t word_bits = bits(word);
    const uint32_t not_after_word = ~((word_bits << 1) | (prev_word ? 1u : 0u)) & 0xffff;
    uint32_t digit_starts = bits(_mm_and_si128(digit, digit_enable_)) & not_after_word;
    if (digit_starts != 0 && set_.digit_shapes) {
      const __m128i ahead = load(p + kBlock);
      digit_starts = shapedDigitStarts(set_, digit_starts, [&](uint8_t byte) {
        const __m128i b = _mm_set1_epi8(static_cast<char>(byte));
        return uint64_t{bits(_mm_cmpeq_epi8(v, b))} | uint64_t{bits(_mm_cmpeq_epi8(ahead, b))}
                                                          << kBlock;
      });
    }
    uint32_t slash_pairs = 0;
    if (set_.slash_pairs) {
      const uint32_t slashes = bits(_mm_cmpeq_epi8(v, slash_));
      if (slashes != 0) slash_pairs = slashPairs(slashes, p);
    }
    return (bits(start) & not_after_word) | bits(anywhere) | digit_starts | slash_pairs;
  }

 private:
  // The slashes followed by another, the block's last one by p[kBlock].
  static uint32_t slashPairs(uint32_t slashes, const unsigned char* p) {
    return slashes & ((slashes >> 1) | (p[kBlock] == '/' ? 1u << (kBlock - 1) : 0u));
  }
  static __m128i load(const unsigned char* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  }
  static uint32_t bits(__m128i v) { return static_cast<uint32_t>(_mm_movemask_epi8(v)); }
  __m128i digits(__m128i v) const {
    // Unsigned range checks: x in [lo, lo + n] iff min(x - lo, n) == x - lo.
    const __m128i d = _mm_sub_epi8(v, digit_bias_);
    return _mm_cmpeq_epi8(_mm_min_epu8(d, nine_), d);
  }

  TriggerSet set_;
  __m128i digit_bias_, nine_, digit_enable_;
  __m128i anywhere0_, anywhere1_, anywhere2_, anywhere3_, start0_, start1_, start2_, slash_;
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

// Whether all of p[0, kBlock) may belong to a BIP-39 mnemonic: lowercase letters and spaces. A
// mnemonic is at least 47 such bytes, so it covers two aligned blocks of any text it is in.
inline bool allMnemonicBytes(const unsigned char* p) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i l = _mm_sub_epi8(v, _mm_set1_epi8('a'));
  const __m128i lower = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(25)), l);
  const __m128i space = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));
  return _mm_movemask_epi8(_mm_or_si128(lower, space)) == 0xffff;
#else
  for (size_t k = 0; k < kBlock; ++k) {
    if (!((p[k] >= 'a' && p[k] <= 'z') || p[k] == ' ')) return false;
  }
  return true;
#endif
}

// Mask for a block near the end of the text, `left` bytes from p on: copies them into a
// NUL-padded buffer so that the same kernel applies, and clears bits past the end.
inline uint32_t tailMask(const BlockScanner& scanner, const unsigned char* p, size_t left,
                         bool prev_word) {
  unsigned char buf[kBlock + kLookahead] = {};
  std::memcpy(buf, p, std::min(left, sizeof buf));
  const uint32_t mask = scanner.mask(buf, prev_word);
  return left < kBlock ? mask & ((1u << left) - 1) : mask;
}

}  // namespace logship::scrub_pii::scan
