#include "parsers/auditd/audit_record.h"

#include <cstddef>

namespace logship::auditd {
namespace {

constexpr size_t kNpos = std::string_view::npos;

constexpr bool isDigit(char c) { return c >= '0' && c <= '9'; }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Digits at the front of s, as a number; false on none or on more than 19 digits.
bool consumeNumber(std::string_view& s, uint64_t& value, size_t& digits) {
  digits = 0;
  value = 0;
  while (digits < s.size() && isDigit(s[digits])) {
    if (digits == 19) return false;
    value = value * 10 + static_cast<uint64_t>(s[digits] - '0');
    ++digits;
  }
  s.remove_prefix(digits);
  return digits > 0;
}

}  // namespace

bool parseAuditRecord(std::string_view line, AuditRecord& out) {
  out = AuditRecord{};
  std::string_view s = line;
  if (s.starts_with("node=")) {
    const size_t space = s.find(' ');
    if (space == kNpos) return false;
    out.node = s.substr(5, space - 5);
    s.remove_prefix(space + 1);
  }
  if (!s.starts_with("type=")) return false;
  s.remove_prefix(5);
  const size_t space = s.find(' ');
  if (space == kNpos || space == 0) return false;
  out.type = s.substr(0, space);
  s.remove_prefix(space + 1);
  if (!s.starts_with("msg=audit(")) return false;
  s.remove_prefix(10);
  uint64_t seconds = 0;
  uint64_t millis = 0;
  size_t digits = 0;
  // Nanoseconds since the epoch fit int64 until 2262: later "seconds" are not a time.
  constexpr uint64_t kLastSecond = 9'000'000'000;
  if (!consumeNumber(s, seconds, digits) || digits > 10 || seconds > kLastSecond ||
      !s.starts_with('.')) {
    return false;
  }
  s.remove_prefix(1);
  if (!consumeNumber(s, millis, digits) || digits != 3 || !s.starts_with(':')) return false;
  s.remove_prefix(1);
  if (!consumeNumber(s, out.serial, digits) || !s.starts_with("):")) return false;
  s.remove_prefix(2);
  if (s.starts_with(' ')) s.remove_prefix(1);
  out.time_ns =
      static_cast<int64_t>(seconds) * 1'000'000'000 + static_cast<int64_t>(millis) * 1'000'000;
  const size_t separator = s.find('\x1d');
  out.body = s.substr(0, separator);
  if (separator != kNpos) out.enriched = s.substr(separator + 1);
  return true;
}

bool FieldReader::next(AuditField& out) {
  for (;;) {
    while (!rest_.empty() && rest_.front() == ' ') rest_.remove_prefix(1);
    if (rest_.empty()) {
      if (outer_.empty()) return false;
      rest_ = outer_;
      outer_ = {};
      continue;
    }
    const size_t token_end = rest_.find(' ');
    const size_t eq = rest_.find('=');
    if (eq == kNpos || eq > token_end || eq == 0) {
      // A word without a value ("auditd start,"): skip it.
      rest_ = token_end == kNpos ? std::string_view() : rest_.substr(token_end);
      continue;
    }
    out.key = rest_.substr(0, eq);
    std::string_view value = rest_.substr(eq + 1);
    const char quote = value.empty() ? '\0' : value.front();
    if (quote == '"' || quote == '\'') {
      const size_t close = value.find(quote, 1);
      if (close == kNpos) {
        out.value = value.substr(1);  // unterminated: the rest of the line
        rest_ = {};
      } else {
        out.value = value.substr(1, close - 1);
        rest_ = value.substr(close + 1);
      }
      out.quoted = true;
      // User-space records nest their own pairs in msg='...'; read them in place.
      if (quote == '\'' && out.key == "msg" && outer_.empty()) {
        outer_ = rest_;
        rest_ = out.value;
        continue;
      }
      return true;
    }
    const size_t end = value.find(' ');
    out.value = value.substr(0, end);
    out.quoted = false;
    rest_ = end == kNpos ? std::string_view() : value.substr(end);
    return true;
  }
}

bool isUntrustedStringKey(std::string_view record_type, std::string_view key) {
  if (record_type == "EXECVE") {
    // a0, a1, ... and the chunks of long arguments: a1[0], a1[1], ...
    return key.size() >= 2 && key[0] == 'a' && isDigit(key[1]) && key.find("_len") == kNpos;
  }
  static constexpr std::string_view kKeys[] = {"proctitle", "comm", "exe",  "name", "cwd",
                                               "key",       "acct", "cmd",  "data", "path",
                                               "ocomm",     "dir",  "watch"};
  for (std::string_view k : kKeys) {
    if (key == k) return true;
  }
  return false;
}

bool decodeHex(std::string_view hex, Arena& arena, std::string_view& out, bool nul_as_space) {
  if (hex.empty() || hex.size() % 2 != 0) return false;
  for (char c : hex) {
    if (hexValue(c) < 0) return false;
  }
  char* bytes = static_cast<char*>(arena.allocate(hex.size() / 2, 1));
  for (size_t i = 0; i < hex.size() / 2; ++i) {
    bytes[i] = static_cast<char>(hexValue(hex[2 * i]) * 16 + hexValue(hex[2 * i + 1]));
    if (nul_as_space && bytes[i] == '\0') bytes[i] = ' ';
  }
  out = {bytes, hex.size() / 2};
  return true;
}

std::string_view fieldText(std::string_view record_type, const AuditField& field, Arena& arena) {
  if (field.quoted) return field.value;
  if (field.value == "(null)" || field.value == "?" || field.value == "(none)") return {};
  std::string_view decoded;
  if (isUntrustedStringKey(record_type, field.key) &&
      decodeHex(field.value, arena, decoded, field.key == "proctitle")) {
    return decoded;
  }
  return field.value;
}

}  // namespace logship::auditd
