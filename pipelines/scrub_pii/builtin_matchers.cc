#include "pipelines/scrub_pii/builtin_matchers.h"

#include <algorithm>
#include <array>
#include <span>

#include "agent/api/ascii.h"
#include "pipelines/scrub_pii/luhn.h"

namespace logship::scrub_pii::matchers {
namespace {

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

constexpr std::array<uint16_t, 256> kClasses = makeClasses();

inline bool is(char c, uint16_t cls) {
  return (kClasses[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Bounds-checked reads. NUL belongs to no class, so out-of-range reads look like a boundary.
inline char peek(std::string_view t, size_t i) { return i < t.size() ? t[i] : '\0'; }
inline char before(std::string_view t, size_t i) {
  return i > 0 && i <= t.size() ? t[i - 1] : '\0';
}

unsigned hexValue(char c) {
  if (c <= '9') return static_cast<unsigned>(c - '0');
  return static_cast<unsigned>(asciiLower(c) - 'a' + 10);
}

// Exactly `n` digits at `pos`.
bool digitsAt(std::string_view t, size_t pos, size_t n) {
  if (pos + n > t.size()) return false;
  for (size_t i = 0; i < n; ++i) {
    if (!isDigit(t[pos + i])) return false;
  }
  return true;
}

unsigned numberAt(std::string_view t, size_t pos, size_t n) {
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) v = v * 10 + static_cast<unsigned>(t[pos + i] - '0');
  return v;
}

// A strict dotted quad: four decimal octets of 1-3 digits, each at most 255.
bool parseDottedQuad(std::string_view t, size_t pos, size_t& end, uint8_t* octets = nullptr) {
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

// ---------------------------------------------------------------------------------------------
// email

// "scheme://user:pass@host" and "scheme://user@host" have email-shaped tails but are URL
// authorities: the password belongs to the secret rule and the host is not a mailbox.
bool isUrlAuthority(std::string_view t, size_t local_begin) {
  const char prev = before(t, local_begin);
  if (prev == '/') return before(t, local_begin - 1) == '/';
  if (prev != ':') return false;
  size_t k = local_begin - 1;
  const size_t floor = k > 256 ? k - 256 : 0;
  while (k > floor && is(t[k - 1], kUserinfo)) --k;
  return before(t, k) == '/' && before(t, k - 1) == '/';
}

}  // namespace

bool email(std::string_view t, size_t at, Span& span) {
  const size_t floor = at > kEmailMaxLocal ? at - kEmailMaxLocal : 0;
  size_t b = at;
  while (b > floor && is(t[b - 1], kEmailLocal)) --b;
  if (is(before(t, b), kEmailLocal)) return false;  // longer than any valid local part
  // Punctuation glued to the front ("--john@", ".john@") is not part of the address.
  while (b < at && (t[b] == '.' || t[b] == '-' || t[b] == '+' || t[b] == '%')) ++b;
  if (b == at || t[at - 1] == '.') return false;
  if (isUrlAuthority(t, b)) return false;

  size_t pos = at + 1;
  size_t last_label = pos;
  size_t labels = 0;
  for (;;) {
    const size_t label_begin = pos;
    while (pos < t.size() && is(t[pos], kLabel) && pos - label_begin <= 63) ++pos;
    const size_t len = pos - label_begin;
    if (len == 0 || len > 63 || t[label_begin] == '-' || t[pos - 1] == '-') return false;
    ++labels;
    last_label = label_begin;
    // A dot continues the domain only when a label follows; "mail me at a@b.com." ends here.
    if (peek(t, pos) == '.' && is(peek(t, pos + 1), kAlnum)) {
      ++pos;
      continue;
    }
    break;
  }
  if (labels < 2 || pos - (at + 1) > 253) return false;
  // A top-level domain is alphabetic: this rejects "nginx@1.21.6" and "lodash@4.17.21".
  if (pos - last_label < 2) return false;
  for (size_t k = last_label; k < pos; ++k) {
    if (!is(t[k], kAlpha)) return false;
  }
  const char next = peek(t, pos);
  if (next == '_' || next == '@') return false;
  // Retina asset names ("icon@2x.png") are file names, not mailboxes.
  size_t k = at + 1;
  while (k < pos && isDigit(t[k])) ++k;
  if (k > at + 1 && (peek(t, k) == 'x' || peek(t, k) == 'X') && peek(t, k + 1) == '.') return false;
  span = {b, pos, 0};
  return true;
}

// ---------------------------------------------------------------------------------------------
// ipv4

namespace {

// Dotted quads that are versions, not addresses: "version 1.2.3.4", "build: 10.0.0.1" and
// browser product tokens, which freeze their version to "Chrome/120.0.0.0".
bool isVersionContext(std::string_view t, size_t pos, size_t end) {
  if (before(t, pos) == '/' && is(before(t, pos - 1), kAlpha) &&
      t.substr(pos, end - pos).ends_with(".0.0.0")) {
    return true;
  }
  size_t k = pos;
  int skipped = 0;
  while (k > 0 && skipped < 4) {
    const char c = t[k - 1];
    if (c != ' ' && c != '=' && c != ':' && c != '"' && c != '\'') break;
    --k;
    ++skipped;
  }
  if (skipped == 0) return false;
  size_t w = k;
  while (w > 0 && k - w < 9 && is(t[w - 1], kAlpha)) --w;
  if (w == k || is(before(t, w), kAlpha)) return false;
  static constexpr std::string_view kVersionWords[] = {"version",  "ver", "v",   "release", "build",
                                                       "firmware", "fw",  "rev", "revision"};
  const std::string_view word = t.substr(w, k - w);
  for (std::string_view candidate : kVersionWords) {
    if (equalsLowercase(word, candidate)) return true;
  }
  return false;
}

}  // namespace

bool ipv4(std::string_view t, size_t pos, Span& span) {
  // "1.2.3.4.5", "v1.2.3.4" and "x_10.0.0.1" are not addresses.
  const char prev = before(t, pos);
  if (is(prev, kWord) || prev == '.') return false;
  size_t end = 0;
  if (!parseDottedQuad(t, pos, end)) return false;
  const char next = peek(t, end);
  if (is(next, kWord)) return false;
  // A fifth numeric part makes it an OID or version. A dot followed by a letter is allowed:
  // reverse-DNS style host names ("static-10.1.2.3.isp.net") embed the customer's address.
  if (next == '.' && isDigit(peek(t, end + 1))) return false;
  if (isVersionContext(t, pos, end)) return false;
  span = {pos, end, 0};
  return true;
}

// ---------------------------------------------------------------------------------------------
// ipv6

namespace {

struct Ipv6Text {
  uint16_t groups[8];
  int count = 0;    // groups written, in order of appearance
  int dcolon = -1;  // number of groups before "::", or -1 without "::"
  size_t end = 0;
};

bool parseIpv6At(std::string_view t, size_t start, Ipv6Text& r) {
  size_t p = start;
  if (peek(t, p) == ':') {
    if (peek(t, p + 1) != ':') return false;
    r.dcolon = 0;
    p += 2;
  }
  while (r.count < 8) {
    const size_t group_begin = p;
    unsigned value = 0;
    while (p < t.size() && is(t[p], kHex)) {
      if (p - group_begin == 4) return false;
      value = value * 16 + hexValue(t[p]);
      ++p;
    }
    if (p == group_begin) break;
    // A dot then a digit starts an embedded IPv4; a dot then anything else ends a sentence.
    if (peek(t, p) == '.' && isDigit(peek(t, p + 1))) {
      // An embedded IPv4 address fills the last 32 bits ("::ffff:192.0.2.1").
      uint8_t octets[4];
      size_t end = 0;
      if (r.count > 6 || !parseDottedQuad(t, group_begin, end, octets)) return false;
      r.groups[r.count++] = static_cast<uint16_t>(octets[0] << 8 | octets[1]);
      r.groups[r.count++] = static_cast<uint16_t>(octets[2] << 8 | octets[3]);
      p = end;
      break;
    }
    r.groups[r.count++] = static_cast<uint16_t>(value);
    if (peek(t, p) == ':') {
      if (peek(t, p + 1) == ':') {
        if (r.dcolon >= 0) break;
        r.dcolon = r.count;
        p += 2;
        continue;
      }
      if (is(peek(t, p + 1), kHex)) {
        ++p;
        continue;
      }
    }
    break;
  }
  r.end = p;
  if (r.count == 0) return false;
  return r.dcolon >= 0 ? r.count <= 7 : r.count == 8;
}

bool isIpv6RunChar(char c) { return c == ':' || is(c, kHex); }

}  // namespace

bool ipv6(std::string_view t, size_t colon, Span& span, size_t& resume) {
  const size_t floor = colon > kIpv6MaxText ? colon - kIpv6MaxText : 0;
  size_t start = colon;
  while (start > floor && isIpv6RunChar(t[start - 1])) --start;
  const size_t ceiling = std::min(t.size(), start + kIpv6MaxText + 1);
  size_t run_end = colon + 1;
  while (run_end < ceiling && (isIpv6RunChar(t[run_end]) || t[run_end] == '.')) ++run_end;
  resume = run_end;
  if (isIpv6RunChar(before(t, start))) return false;  // longer than any address
  // "sha256:ab..", "Foo::Bar", "x.12:34" are not addresses.
  const char prev = before(t, start);
  if (is(prev, kWord) || prev == '.') return false;
  Ipv6Text a;
  if (!parseIpv6At(t, start, a)) return false;
  const char next = peek(t, a.end);
  if (is(next, kWord)) return false;
  if (next == '.' && isDigit(peek(t, a.end + 1))) return false;
  if (next == ':' && (is(peek(t, a.end + 1), kHex) || peek(t, a.end + 1) == ':')) return false;
  // Real addresses nearly always contain a decimal digit; identifiers made of hex letters
  // ("add::dec", "Abc::Def") do not.
  bool has_digit = false;
  for (size_t k = start; k < a.end && !has_digit; ++k) has_digit = isDigit(t[k]);
  if (!has_digit) return false;
  span = {start, a.end, 0};
  return true;
}

bool parseIpv6(std::string_view address, uint16_t (&groups)[8]) {
  Ipv6Text a;
  if (!parseIpv6At(address, 0, a) || a.end != address.size()) return false;
  std::fill(std::begin(groups), std::end(groups), uint16_t{0});
  const int head = a.dcolon >= 0 ? a.dcolon : a.count;
  for (int i = 0; i < head; ++i) groups[i] = a.groups[i];
  const int tail = a.count - head;
  for (int i = 0; i < tail; ++i) groups[8 - tail + i] = a.groups[head + i];
  return true;
}

// ---------------------------------------------------------------------------------------------
// card

namespace {

// Which issuer networks use this prefix and length. Restricting cards to real networks is what
// keeps 13-19 digit epoch timestamps (which start with 1) and most other long ids out.
bool issuerAcceptsLength(const char* d, size_t n) {
  auto prefix = [d](size_t k) {
    unsigned v = 0;
    for (size_t i = 0; i < k; ++i) v = v * 10 + static_cast<unsigned>(d[i] - '0');
    return v;
  };
  switch (d[0]) {
    case '2': {  // Mastercard 2-series
      const unsigned p4 = prefix(4);
      return p4 >= 2221 && p4 <= 2720 && n == 16;
    }
    case '3': {
      const unsigned p2 = prefix(2);
      if (p2 == 34 || p2 == 37) return n == 15;  // American Express
      const unsigned p3 = prefix(3);
      if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) return n >= 14;  // Diners
      const unsigned p4 = prefix(4);
      return p4 >= 3528 && p4 <= 3589 && n >= 16;  // JCB
    }
    case '4':  // Visa
      return n == 13 || n == 16 || n == 19;
    case '5': {
      const unsigned p2 = prefix(2);
      if (p2 >= 51 && p2 <= 55) return n == 16;   // Mastercard
      return p2 == 50 || (p2 >= 56 && p2 <= 58);  // Maestro
    }
    case '6':  // Discover, UnionPay, Maestro, RuPay
      return true;
    default:
      return false;
  }
}

// Group layouts that issuers print: 4-4-4-4 (the last group may be shorter or a fifth group of
// up to three), and 4-6-5 / 4-6-4 for American Express and Diners.
bool groupingAccepted(const uint8_t* len, size_t groups) {
  if (groups == 1) return len[0] >= 13;
  if (groups == 3 && len[0] == 4 && len[1] == 6 && (len[2] == 5 || len[2] == 4)) return true;
  for (size_t i = 0; i + 1 < groups; ++i) {
    if (len[i] != 4) return false;
  }
  return len[groups - 1] >= 1 && len[groups - 1] <= 4;
}

}  // namespace

bool card(std::string_view t, size_t pos, Span& span) {
  const char prev = before(t, pos);
  if (is(prev, kWord) || prev == '.') return false;
  constexpr size_t kMaxDigits = 19;
  constexpr size_t kMaxGroups = 8;
  char digits[kMaxDigits];
  size_t total = 0;
  uint8_t group_len[kMaxGroups];
  size_t group_end[kMaxGroups];
  size_t groups = 0;
  char separator = 0;
  size_t p = pos;
  for (;;) {
    const size_t group_begin = p;
    while (p < t.size() && isDigit(t[p])) ++p;
    const size_t len = p - group_begin;
    if (total + len > kMaxDigits) {
      if (groups == 0) return false;  // a longer number of some other kind
      break;
    }
    std::copy(t.data() + group_begin, t.data() + p, digits + total);
    total += len;
    group_len[groups] = static_cast<uint8_t>(len);
    group_end[groups] = p;
    ++groups;
    if (groups == 1 && len != 4) {
      if (len < 13) return false;
      break;  // ungrouped: whatever follows a separator is another number
    }
    if (groups == kMaxGroups) break;
    // One separator kind throughout, single, and followed by digits.
    const char c = peek(t, p);
    if ((c == ' ' || c == '-') && (separator == 0 || c == separator) && isDigit(peek(t, p + 1))) {
      separator = c;
      ++p;
      continue;
    }
    break;
  }
  // Longest accepted prefix of whole groups: "4111 1111 1111 1111 2024" is a card then a year.
  size_t digits_in_prefix = total;
  for (size_t k = groups; k > 0; --k) {
    if (k < groups) digits_in_prefix -= group_len[k];
    if (digits_in_prefix < 13) break;
    if (!groupingAccepted(group_len, k)) continue;
    const size_t end = group_end[k - 1];
    const char next = peek(t, end);
    if (is(next, kWord) || (next == '.' && isDigit(peek(t, end + 1)))) continue;
    if (!issuerAcceptsLength(digits, digits_in_prefix)) continue;
    if (!luhnValid(std::string_view(digits, digits_in_prefix))) continue;
    span = {pos, end, 0};
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// ssn

bool ssn(std::string_view t, size_t pos, Span& span) {
  const char prev = before(t, pos);
  if (is(prev, kWord) || prev == '.') return false;
  if (prev == '-' && is(before(t, pos - 1), kAlnum)) return false;  // inside "x-123-45-6789"
  if (!digitsAt(t, pos, 3) || peek(t, pos + 3) != '-' || !digitsAt(t, pos + 4, 2) ||
      peek(t, pos + 6) != '-' || !digitsAt(t, pos + 7, 4)) {
    return false;
  }
  const size_t end = pos + 11;
  const char next = peek(t, end);
  if (is(next, kWord)) return false;
  if ((next == '-' || next == '.') && isDigit(peek(t, end + 1))) return false;
  // Numbers the SSA never issues: area 000, 666 and 900-999, group 00, serial 0000.
  const unsigned area = numberAt(t, pos, 3);
  if (area == 0 || area == 666 || area >= 900) return false;
  if (numberAt(t, pos + 4, 2) == 0 || numberAt(t, pos + 7, 4) == 0) return false;
  span = {pos, end, 0};
  return true;
}

// ---------------------------------------------------------------------------------------------
// phone

bool phoneNorthAmerican(std::string_view t, size_t pos, Span& span) {
  size_t begin = pos;
  size_t p = pos;
  bool paren = false;
  if (before(t, pos) == '(') {
    paren = true;
    begin = pos - 1;
  } else if (t[pos] == '1' && !isDigit(peek(t, pos + 1))) {
    // Trunk prefix: "1-800-555-0199", "1 (800) 555-0199".
    const char s = peek(t, pos + 1);
    if (s != '-' && s != ' ' && s != '.') return false;
    p = pos + 2;
    if (peek(t, p) == '(') {
      paren = true;
      ++p;
    }
  }
  const char prev = before(t, begin);
  // '+' is left to phoneInternational, which sees the whole number.
  if (is(prev, kWord) || prev == '.' || prev == '+') return false;
  if (prev == '-' && is(before(t, begin - 1), kAlnum)) return false;
  // Area codes never start with 0 or 1.
  if (!digitsAt(t, p, 3) || t[p] < '2') return false;
  p += 3;
  if (paren) {
    if (peek(t, p) != ')') return false;
    ++p;
    if (peek(t, p) == ' ') ++p;
    if (!digitsAt(t, p, 3)) return false;
    p += 3;
    const char s = peek(t, p);
    if (s != '-' && s != ' ' && s != '.') return false;
    ++p;
  } else {
    const char s = peek(t, p);
    if (s != '-' && s != '.') return false;
    ++p;
    if (!digitsAt(t, p, 3) || peek(t, p + 3) != s) return false;
    p += 4;
  }
  if (!digitsAt(t, p, 4)) return false;
  p += 4;
  const char next = peek(t, p);
  if (is(next, kWord)) return false;
  if ((next == '-' || next == '.') && isDigit(peek(t, p + 1))) return false;
  span = {begin, p, 0};
  return true;
}

bool phoneInternational(std::string_view t, size_t plus, Span& span) {
  // "UTC+0530", "a+1", "++1" are not phone numbers.
  const char prev = before(t, plus);
  if (is(prev, kWord) || prev == '+') return false;
  size_t p = plus + 1;
  // Country codes never start with 0, which also rules out "+05:30" style offsets.
  if (!isDigit(peek(t, p)) || t[p] == '0') return false;
  constexpr size_t kMaxE164Digits = 15;
  size_t digits = 0;
  size_t groups = 0;
  size_t first_group = 0;
  size_t end = p;
  for (;;) {
    const bool paren = peek(t, p) == '(';  // "+44 (0)20 7946 0958", "+1 (555) 123-4567"
    size_t q = paren ? p + 1 : p;
    const size_t group_begin = q;
    while (q < t.size() && isDigit(t[q])) ++q;
    const size_t len = q - group_begin;
    if (len == 0) break;
    if (paren) {
      if (peek(t, q) != ')') break;
      ++q;
    }
    if (digits + len > kMaxE164Digits) {
      if (groups == 0) return false;
      break;
    }
    digits += len;
    if (groups++ == 0) first_group = len;
    end = q;
    p = q;
    const char c = peek(t, p);
    if ((c == ' ' || c == '-' || c == '.') && (isDigit(peek(t, p + 1)) || peek(t, p + 1) == '(')) {
      ++p;
      continue;
    }
    // "(0)20" and "(555)123": a bracketed group may be followed directly by the next one.
    if (c == '(' || (paren && isDigit(c))) continue;
    break;
  }
  if (groups == 0) return false;
  // Ungrouped E.164 ("+14155552671") needs more digits to stand out from "+1500" style deltas.
  if (groups == 1 ? digits < 10 : (digits < 8 || first_group > 3)) return false;
  const char next = peek(t, end);
  if (is(next, kWord)) return false;
  if (next == '.' && isDigit(peek(t, end + 1))) return false;
  span = {plus, end, 0};
  return true;
}

// ---------------------------------------------------------------------------------------------
// jwt

bool jwt(std::string_view t, size_t e, Span& span) {
  // "eyJ" is how base64 of '{"' starts: every JWT header and most payloads begin with it.
  if (peek(t, e + 1) != 'y' || peek(t, e + 2) != 'J') return false;
  const size_t begin = e;
  if (is(before(t, begin), kBase64Url)) return false;
  // JWS has three segments (the signature may be empty for alg "none"); JWE has five, and its
  // encrypted-key segment is empty for direct encryption ("eyJ...").
  size_t segment_end[5];
  size_t segment_len[5];
  size_t segments = 0;
  size_t p = begin;
  for (;;) {
    const size_t segment_begin = p;
    while (p < t.size() && is(t[p], kBase64Url)) ++p;
    segment_len[segments] = p - segment_begin;
    segment_end[segments] = p;
    ++segments;
    if (segments == 5 || peek(t, p) != '.') break;
    const bool next_nonempty = is(peek(t, p + 1), kBase64Url);
    if (!next_nonempty && segments != 2 && peek(t, p + 1) != '.') break;
    ++p;
  }
  if (segments < 3 || segment_len[0] < 10) return false;
  if (segments < 5 && segment_len[1] < 2) return false;
  // Four segments is neither form; the first three are still a signed token.
  const size_t end = segment_end[segments == 4 ? 2 : segments - 1];
  span = {begin, end, 0};
  return true;
}

// ---------------------------------------------------------------------------------------------
// secret

namespace {

// Authorization schemes whose credentials are a single token68, and those with parameter
// lists that run to the end of the header.
constexpr std::string_view kTokenSchemes[] = {"bearer",    "basic", "token", "apikey",
                                              "negotiate", "ntlm",  "dpop"};
constexpr std::string_view kParameterSchemes[] = {"digest", "aws4-hmac-sha256"};

// The secret name the key ending at `key_end` matches (see SecretKeyNames), or empty. The key is
// the run of [A-Za-z0-9_.-] before it, at most 64 bytes.
std::string_view secretKeywordBefore(std::string_view t, size_t key_end,
                                     const SecretKeyNames& names) {
  size_t begin = key_end;
  while (begin > 0 && key_end - begin < 64 &&
         (is(t[begin - 1], kWord) || t[begin - 1] == '-' || t[begin - 1] == '.')) {
    --begin;
  }
  return begin == key_end ? std::string_view() : names.match(t.substr(begin, key_end - begin));
}

bool inList(std::string_view word, std::span<const std::string_view> list) {
  for (std::string_view candidate : list) {
    if (equalsLowercase(word, candidate)) return true;
  }
  return false;
}

// Values this scrubber already wrote: scrubbing twice must not nest replacements.
bool alreadyScrubbed(std::string_view t, size_t vb, size_t ve) {
  const std::string_view value = t.substr(vb, ve - vb);
  if (value.find_first_not_of('*') == std::string_view::npos) return true;
  if (value.front() != '[' || peek(t, ve) != ']') return false;
  if (value.starts_with("[REDACTED:")) return true;
  // "[rule:0123abcd": the hash rendering.
  const size_t colon = value.find(':');
  if (colon == std::string_view::npos || colon + 1 == value.size()) return false;
  for (size_t i = colon + 1; i < value.size(); ++i) {
    if (!is(value[i], kHex) || (value[i] >= 'A' && value[i] <= 'F')) return false;
  }
  return true;
}

}  // namespace

bool secretKeyValue(std::string_view t, size_t separator, const SecretKeyNames& names, Span& span) {
  // The key, allowing `"key": `, `key = ` and JSON escaped inside a string (`\"key\":`). It is
  // matched as field keys are: "db_password", "client_secret", "accessToken" and "X-Api-Key"
  // all name secrets.
  size_t e = separator;
  for (int i = 0; i < 4 && e > 0 && (t[e - 1] == ' ' || t[e - 1] == '\t'); ++i) --e;
  if (e > 0 && (t[e - 1] == '"' || t[e - 1] == '\'')) {
    --e;
    if (e > 0 && t[e - 1] == '\\') --e;
  }
  const std::string_view keyword = secretKeywordBefore(t, e, names);
  if (keyword.empty()) return false;

  const char sep = t[separator];
  size_t v = separator + 1;
  if (sep == '=') {
    if (peek(t, v) == '=') return false;  // "==" is a comparison
    if (peek(t, v) == '>') ++v;           // "password => 'x'"
    const char p = before(t, separator);
    if (p == '=' || p == '!' || p == '<' || p == '>') return false;
  } else {
    if (peek(t, v) == '/' && peek(t, v + 1) == '/') return false;        // a URL, see below
    if (peek(t, v) == ':' || before(t, separator) == ':') return false;  // "Token::Kind"
  }

  for (int i = 0; i < 8 && v < t.size() && (t[v] == ' ' || t[v] == '\t'); ++i) ++v;
  size_t vb = v;
  size_t ve = v;
  const char q = peek(t, v);
  bool quoted = false;
  if (q == '"' || q == '\'') {
    quoted = true;
    vb = ve = v + 1;
    while (ve < t.size() && t[ve] != q && t[ve] != '\n') ve += t[ve] == '\\' ? 2 : 1;
    ve = std::min(ve, t.size());
  } else if (q == '\\' && peek(t, v + 1) == '"') {
    quoted = true;  // JSON inside a JSON string: \"password\":\"hunter2\"
    vb = ve = v + 2;
    while (ve < t.size() && t[ve] != '\\' && t[ve] != '"' && t[ve] != '\n') ++ve;
  } else {
    while (ve < t.size() && !is(t[ve], kValueEnd)) ++ve;
  }

  if (keyword.ends_with("authorization")) {
    // Keep the scheme ("Bearer ", "Basic "), which helps debugging; replace the credentials.
    size_t w = vb;
    while (w < t.size() && (is(t[w], kAlnum) || t[w] == '-')) ++w;
    const std::string_view scheme = t.substr(vb, w - vb);
    const bool token_scheme = inList(scheme, kTokenSchemes);
    const bool parameter_scheme = !token_scheme && inList(scheme, kParameterSchemes);
    if (peek(t, w) == ' ' && (token_scheme || parameter_scheme)) {
      while (peek(t, w) == ' ') ++w;
      vb = w;
      if (!quoted) {
        ve = w;
        if (token_scheme) {
          while (ve < t.size() && !is(t[ve], kValueEnd)) ++ve;
        } else {
          while (ve < t.size() && t[ve] != '\n' && t[ve] != '\r') ++ve;
        }
      }
    }
  }
  if (ve <= vb) return false;
  // sudo logs "PWD=/home/alice": with a path value "pwd" is the working directory.
  if (keyword == "pwd" && (t[vb] == '/' || t[vb] == '~')) return false;
  if (alreadyScrubbed(t, vb, ve)) return false;
  span = {vb, ve, kSecretValue};
  return true;
}

bool secretUrlPassword(std::string_view t, size_t colon, Span& span) {
  if (peek(t, colon + 1) != '/' || peek(t, colon + 2) != '/' || !is(before(t, colon), kAlnum)) {
    return false;
  }
  const size_t userinfo = colon + 3;
  const size_t limit = std::min(t.size(), userinfo + 512);
  size_t last_at = std::string_view::npos;
  size_t first_colon = std::string_view::npos;
  // The authority ends at '/', '?', '#', whitespace or quotes; the userinfo at its last '@'
  // (an unencoded '@' in a password is common enough to tolerate).
  for (size_t k = userinfo; k < limit; ++k) {
    const char c = t[k];
    if (c == '@') {
      last_at = k;
    } else if (c == ':') {
      if (first_colon == std::string_view::npos) first_colon = k;
    } else if (!is(c, kUserinfo) || c == '\'') {
      break;
    }
  }
  if (last_at == std::string_view::npos || first_colon == std::string_view::npos ||
      first_colon + 1 >= last_at) {
    return false;
  }
  span = {first_colon + 1, last_at, kSecretValue};
  return true;
}

bool secretAwsKeyId(std::string_view t, size_t a, Span& span) {
  constexpr size_t kLength = 20;
  if (a + kLength > t.size()) return false;
  const char* s = t.data() + a;
  if ((s[1] != 'K' && s[1] != 'S') || s[2] != 'I' || s[3] != 'A') return false;
  if (is(before(t, a), kWord) || is(peek(t, a + kLength), kWord)) return false;
  for (size_t i = 4; i < kLength; ++i) {
    if (!is(s[i], kUpperAlnum)) return false;
  }
  span = {a, a + kLength, kSecretAwsKeyId};
  return true;
}

bool secretBearer(std::string_view t, size_t b, Span& span) {
  if (t.substr(b, 7) != "Bearer " || is(before(t, b), kWord)) return false;
  size_t p = b + 7;
  while (peek(t, p) == ' ') ++p;
  size_t e = p;
  while (e < t.size() && is(t[e], kToken68)) ++e;
  // "Bearer token expired", "Bearer realm=..." are prose and challenges, not credentials.
  if (e - p < 8) return false;
  span = {p, e, kSecretValue};
  return true;
}

bool secretPemBlock(std::string_view t, size_t b, Span& span) {
  if (b < 5 || t.substr(b - 5, 11) != "-----BEGIN ") return false;
  const size_t begin = b - 5;
  const size_t label = b + 6;
  const size_t label_limit = std::min(t.size(), label + 64);
  size_t q = label;
  while (q < label_limit && (is(t[q], kUpperAlnum) || t[q] == ' ')) ++q;
  if (!t.substr(label, q - label).ends_with("PRIVATE KEY") || t.substr(q, 5) != "-----") {
    return false;  // certificates and public keys are not secrets
  }
  // Without an END line (a truncated or line-split event) everything after BEGIN is key
  // material, so the span runs to the end of the text.
  size_t end = t.size();
  const size_t footer = t.find("-----END ", q + 5);
  if (footer != std::string_view::npos) {
    size_t f = footer + 9;
    const size_t footer_limit = std::min(t.size(), f + 64);
    while (f < footer_limit && (is(t[f], kUpperAlnum) || t[f] == ' ')) ++f;
    end = t.substr(f, 5) == "-----" ? f + 5 : f;
  }
  span = {begin, end, kSecretPemBlock};
  return true;
}

}  // namespace logship::scrub_pii::matchers
