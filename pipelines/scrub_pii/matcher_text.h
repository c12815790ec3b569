#pragma once

// Character classes and bounds-checked reads shared by the built-in matchers (address, number and
// credential rules). Internal to pipelines/scrub_pii.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/support/ascii.h"

namespace logship::scrub_pii::matchers::text {

enum : uint16_t {
  kDigit = 1 << 0,
  kHex = 1 << 1,
  kAlpha = 1 << 2,
  kAlnum = 1 << 3,
  kWord = 1 << 4,         // [A-Za-z0-9_]
  kEmailLocal = 1 << 5,   // [A-Za-z0-9._%+-]
  kLabel = 1 << 6,        // [A-Za-z0-9-], a DNS label
  kBase64Url = 1 << 7,    // [A-Za-z0-9_-]
  kUserinfo = 1 << 8,     // RFC 3986 userinfo: unreserved, sub-delims, ':' and '%'
  kToken68 = 1 << 9,      // RFC 7235 token68 (bearer/basic credentials)
  kValueEnd = 1 << 10,    // ends an unquoted secret value
  kUpperAlnum = 1 << 11,  // [A-Z0-9]
};

constexpr std::array<uint16_t, 256> makeClasses() {
  std::array<uint16_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool digit = c >= '0' && c <= '9';
    const bool upper = c >= 'A' && c <= 'Z';
    const bool lower = c >= 'a' && c <= 'z';
    uint16_t cls = 0;
    if (digit) cls |= kDigit;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) cls |= kHex;
    if (upper || lower) cls |= kAlpha;
    if (digit || upper || lower) {
      cls |= kAlnum | kWord | kEmailLocal | kLabel | kBase64Url | kUserinfo | kToken68;
    }
    if (digit || upper) cls |= kUpperAlnum;
    t[c] = cls;
  }
  auto add = [&t](std::string_view chars, uint16_t cls) {
    for (char c : chars) t[static_cast<unsigned char>(c)] |= cls;
  };
  add("_", kWord | kBase64Url | kEmailLocal);
  add(".%+-", kEmailLocal);
  add("-", kLabel | kBase64Url);
  add("-._~!$&'()*+,;=:%", kUserinfo);
  add("-._~+/=", kToken68);
  // NUL included: it never belongs to a value.
  constexpr char kValueEnds[] = " \t\r\n\v\f,;&\"')}]><\0";
  add(std::string_view(kValueEnds, sizeof(kValueEnds) - 1), kValueEnd);
  return t;
}

inline constexpr std::array<uint16_t, 256> kClasses = makeClasses();

inline bool is(char c, uint16_t cls) {
  return (kClasses[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Bounds-checked reads. NUL belongs to no class, so out-of-range reads look like a boundary.
inline char peek(std::string_view t, size_t i) { return i < t.size() ? t[i] : '\0'; }
inline char before(std::string_view t, size_t i) {
  return i > 0 && i <= t.size() ? t[i - 1] : '\0';
}

inline unsigned hexValue(char c) {
  if (c <= '9') return static_cast<unsigned>(c - '0');
  return static_cast<unsigned>(asciiLower(c) - 'a' + 10);
}

// Exactly `n` digits at `pos`.
inline bool digitsAt(std::string_view t, size_t pos, size_t n) {
  if (pos + n > t.size()) return false;
  for (size_t i = 0; i < n; ++i) {
    if (!isDigit(t[pos + i])) return false;
  }
  return true;
}

inline unsigned numberAt(std::string_view t, size_t pos, size_t n) {
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) v = v * 10 + static_cast<unsigned>(t[pos + i] - '0');
  return v;
}

// A strict dotted quad: four decimal octets of 1-3 digits, each at most 255.
inline bool parseDottedQuad(std::string_view t, size_t pos, size_t& end,
                            uint8_t* octets = nullptr) {
  size_t p = pos;
  for (int k = 0; k < 4; ++k) {
    if (k > 0) {
      if (peek(t, p) != '.') return false;
      ++p;
    }
    unsigned value = 0;
    size_t len = 0;
    while (p < t.size() && isDigit(t[p])) {
      if (++len > 3) return false;
      value = value * 10 + static_cast<unsigned>(t[p] - '0');
      ++p;
    }
    if (len == 0 || value > 255) return false;
    if (octets != nullptr) octets[k] = static_cast<uint8_t>(value);
  }
  end = p;
  return true;
}

}  // namespace logship::scrub_pii::matchers::text
