// The email, ipv4 and ipv6 rules' validators.
#include <algorithm>

#include "pipelines/scrub_pii/builtin_matchers.h"
#include "pipelines/scrub_pii/matcher_text.h"

namespace logship::scrub_pii::matchers {

using namespace text;

// ---------------------------------------------------------------------------------------------
// email

namespace {

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

}  // namespace logship::scrub_pii::matchers
