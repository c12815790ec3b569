#include "pipelines/scrub_pii/substrate_key_matchers.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "agent/support/ascii.h"
#include "pipelines/scrub_pii/bip39_wordlist.h"
#include "pipelines/scrub_pii/matcher_text.h"

namespace logship::scrub_pii::matchers {
using text::before;
using text::peek;

namespace {

inline bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline bool isJunctionByte(char c) { return isWordByte(static_cast<unsigned char>(c)) || c == '-'; }
inline bool endsPassword(char c) {
  switch (c) {
    case '\0':
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case '"':
    case '\'':
    case ',':
    case ';':
    case ')':
    case ']':
    case '}':
    case '<':
    case '>':
    case '&':
      return true;
    default:
      return false;
  }
}

// The end of the derivation path starting at `pos` (hard "//x" and soft "/x" junctions, then
// "///password"), or `pos` when none starts there.
size_t derivationPathEnd(std::string_view t, size_t pos) {
  size_t p = pos;
  while (peek(t, p) == '/') {
    size_t slashes = 1;
    while (slashes < 3 && peek(t, p + slashes) == '/') ++slashes;
    size_t e = p + slashes;
    if (slashes == 3) {
      while (e < t.size() && !endsPassword(t[e])) ++e;
      return e > p + 3 ? e : p;
    }
    while (e < t.size() && isJunctionByte(t[e])) ++e;
    if (e == p + slashes) break;
    p = e;
  }
  return p;
}

// The word that ends at `end` ([A-Za-z0-9_-], up to 32 bytes), lowercased without '_' and '-'.
std::string_view normalisedWordBefore(std::string_view t, size_t end, char (&buf)[32],
                                      size_t& begin) {
  begin = end;
  while (begin > 0 && end - begin < sizeof buf && isJunctionByte(t[begin - 1])) --begin;
  size_t n = 0;
  for (size_t k = begin; k < end; ++k) {
    if (t[k] != '_' && t[k] != '-') buf[n++] = asciiLower(t[k]);
  }
  return {buf, n};
}

// Whether the value at `pos` is the value of a key that names a seed or secret key: the word
// before it, across separators (`: `, `=`, `":"`, a space), is "Secret seed", "seed",
// "secretSeed", "--node-key", "private key" and the like. Only the value's own key counts: a hash
// in the next field of a JSON object is not a seed because the one before was.
bool keyWordBefore(std::string_view t, size_t pos) {
  size_t k = pos;
  for (int i = 0; i < 16 && k > 0; ++i, --k) {
    const char c = t[k - 1];
    if (c != ' ' && c != '\t' && c != ':' && c != '=' && c != '"' && c != '\'') break;
  }
  if (k == pos) return false;
  char buf[32];
  size_t begin = 0;
  const std::string_view word = normalisedWordBefore(t, k, buf, begin);
  static constexpr std::string_view kSeedWords[] = {"seed",    "secret", "secretkey", "privatekey",
                                                    "nodekey", "suri",   "mnemonic"};
  for (std::string_view w : kSeedWords) {
    if (word.ends_with(w)) return true;
  }
  if (word != "key" || begin == 0 || (t[begin - 1] != ' ' && t[begin - 1] != '_')) return false;
  char prev_buf[32];
  size_t prev_begin = 0;
  const std::string_view prev = normalisedWordBefore(t, begin - 1, prev_buf, prev_begin);
  return prev == "private" || prev == "secret" || prev == "node";  // "private key 0x..."
}

// BIP-39: the 11-bit word values hold ENT bits of entropy followed by ENT/32 bits of checksum,
// the first bits of SHA-256(entropy); ENT is 128..256 for 12..24 words.
bool mnemonicChecksumValid(const int16_t* values, size_t count) {
  std::array<uint8_t, 33> bits{};
  size_t bit = 0;
  for (size_t w = 0; w < count; ++w) {
    for (int b = 10; b >= 0; --b, ++bit) {
      if (values[w] >> b & 1) bits[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
    }
  }
  const size_t checksum_bits = count / 3;
  const size_t entropy_bytes = (count * 11 - checksum_bits) / 8;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(bits.data(), entropy_bytes, digest, &digest_size, EVP_sha256(), nullptr) != 1) {
    return false;
  }
  const unsigned expected = digest[0] >> (8 - checksum_bits);
  const unsigned actual = bits[entropy_bytes] >> (8 - checksum_bits);
  return expected == actual;
}

struct Word {
  size_t begin;
  size_t end;
  int16_t value;
};

// Whether `count` consecutive word-list words hold a mnemonic. The whole run is then key material:
// a word-list word that happens to stand before or after it ("key", "seed") is no safer to show,
// and choosing the wrong window would show a real word of the phrase.
bool holdsMnemonic(const Word* words, size_t count) {
  static constexpr size_t kLengths[] = {12, 15, 18, 21, 24};
  int16_t values[24];
  for (size_t length : kLengths) {
    for (size_t i = 0; i + length <= count; ++i) {
      for (size_t w = 0; w < length; ++w) values[w] = words[i + w].value;
      if (mnemonicChecksumValid(values, length)) return true;
    }
  }
  return false;
}

}  // namespace

bool secretUri(std::string_view t, size_t slash, Span& span) {
  if (peek(t, slash) != '/' || peek(t, slash + 1) != '/') return false;
  switch (before(t, slash)) {
    case '\0':
    case ' ':
    case '\t':
    case '\n':
    case '"':
    case '\'':
    case '=':
    case '(':
    case '[':
    case ',':
    case '`':
      break;
    default:
      return false;  // "https://", "a//b", "///"
  }
  const size_t first = slash + 2;
  if (peek(t, first) != '/') {
    size_t e = first;
    while (e < t.size() && isJunctionByte(t[e])) ++e;
    // "// a comment"; "//cdn.example.com/app.js" and "//host:8080" are protocol-relative URLs.
    if (e == first || peek(t, e) == '.' || peek(t, e) == ':') return false;
  }
  const size_t end = derivationPathEnd(t, slash);
  if (end == slash) return false;
  span = {slash, end, kSecretKeyMaterial};
  return true;
}

bool secretHexSeed(std::string_view t, size_t zero, Span& span) {
  constexpr size_t kHexDigits = 64;
  if (peek(t, zero) != '0' || peek(t, zero + 1) != 'x') return false;
  if (isWordByte(static_cast<unsigned char>(before(t, zero)))) return false;
  size_t e = zero + 2;
  while (e < t.size() && e - zero - 2 <= kHexDigits && isHex(t[e])) ++e;
  if (e - zero - 2 != kHexDigits || isWordByte(static_cast<unsigned char>(peek(t, e)))) {
    return false;
  }
  size_t end = e;
  if (peek(t, e) == '/' && peek(t, e + 1) == '/') end = derivationPathEnd(t, e);
  if (end == e && !keyWordBefore(t, zero)) return false;
  span = {zero, end, kSecretKeyMaterial};
  return true;
}

size_t mnemonics(std::string_view t, size_t at, Span* spans, size_t max, size_t& run_end) {
  size_t begin = at;
  while (begin > 0 && isMnemonicByte(t[begin - 1])) --begin;
  size_t end = at;
  while (end < t.size() && isMnemonicByte(t[end])) ++end;
  run_end = end;
  if (end - begin < kMnemonicMinBytes) return 0;

  // Runs of consecutive word-list words, separated by single spaces (an empty word between two
  // spaces breaks a run) and not glued to other word bytes at the run's ends ("Xbottom", "walk2").
  constexpr size_t kMaxWords = 64;
  Word words[kMaxWords];
  size_t count = 0;
  size_t found = 0;
  auto flush = [&] {
    if (count >= 12 && found < max && holdsMnemonic(words, count)) {
      size_t span_end = words[count - 1].end;
      if (span_end == end) span_end = derivationPathEnd(t, span_end);
      spans[found++] = Span{words[0].begin, span_end, kSecretKeyMaterial};
    }
    count = 0;
  };
  for (size_t p = begin; p <= end && found < max; ++p) {
    size_t q = p;
    while (q < end && t[q] != ' ') ++q;
    const bool glued = (p == begin && isWordByte(static_cast<unsigned char>(before(t, p)))) ||
                       (q == end && isWordByte(static_cast<unsigned char>(peek(t, q))));
    const int index = q - p >= 3 && q - p <= 8 && !glued ? bip39Index(t.substr(p, q - p)) : -1;
    if (index < 0) {
      flush();
    } else {
      if (count == kMaxWords) {
        // A run this long is no mnemonic as a whole: judge it, then go on with its last 23 words
        // (a mnemonic may start among them) unless a mnemonic found already covers them.
        const size_t before_flush = found;
        const size_t keep_from = count - 23;
        Word tail[23];
        std::copy(words + keep_from, words + count, tail);
        flush();
        const size_t covered = found > before_flush ? spans[found - 1].end : 0;
        for (const Word& w : tail) {
          if (w.begin >= covered) words[count++] = w;
        }
      }
      words[count++] = Word{p, q, static_cast<int16_t>(index)};
    }
    p = q;
  }
  flush();
  return found;
}

}  // namespace logship::scrub_pii::matchers
