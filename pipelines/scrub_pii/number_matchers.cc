// The card, ssn and phone rules' validators.
#include <algorithm>

#include "pipelines/scrub_pii/builtin_matchers.h"
#include "pipelines/scrub_pii/luhn.h"
#include "pipelines/scrub_pii/matcher_text.h"

namespace logship::scrub_pii::matchers {

using namespace text;

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

}  // namespace logship::scrub_pii::matchers
