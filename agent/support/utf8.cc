#include "agent/support/utf8.h"

#include <cstdint>
#include <cstring>

namespace logship {
namespace {

size_t sequenceLength(const uint8_t* p, const uint8_t* end) {
  uint8_t c = p[0];
  size_t need;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < need) return 0;
  for (size_t i = 1; i < need; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return need;
}

// Length of the leading run of ASCII bytes, eight at a time.
size_t asciiPrefix(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, p + i, 8);
    if (word & 0x8080808080808080ull) break;
  }
  while (i < n && p[i] < 0x80) ++i;
  return i;
}

}  // namespace

size_t utf8SequenceLength(const char* p, const char* end) {
  return sequenceLength(reinterpret_cast<const uint8_t*>(p), reinterpret_cast<const uint8_t*>(end));
}

void appendValidUtf8(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    size_t run = asciiPrefix(p, static_cast<size_t>(end - p));
    out.append(reinterpret_cast<const char*>(p), run);
    p += run;
    if (p == end) break;
    size_t len = sequenceLength(p, end);
    if (len == 0) {
      out.append("\xEF\xBF\xBD");
      ++p;
    } else {
      out.append(reinterpret_cast<const char*>(p), len);
      p += len;
    }
  }
}

std::string_view utf8Prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  // Step back over continuation bytes to the start of the sequence that would be cut.
  while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

}  // namespace logship
