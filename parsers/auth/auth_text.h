#pragma once

// Small allocation-free text helpers the auth line classifiers share (one file per program
// family). Internal to parsers/auth.

#include <cstddef>
#include <string_view>

#include "parsers/auth/auth_classifier.h"

namespace logship::auth {

inline constexpr size_t kNpos = std::string_view::npos;

constexpr bool isDigit(char c) { return c >= '0' && c <= '9'; }

constexpr bool isHexDigit(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && isBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && isBlank(s.back())) s.remove_suffix(1);
  return s;
}

inline bool consumePrefix(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

inline bool consumeSuffix(std::string_view& s, std::string_view suffix) {
  if (!s.ends_with(suffix)) return false;
  s.remove_suffix(suffix.size());
  return true;
}

// Splits s at the first occurrence of separator; false (s untouched) when absent.
inline bool splitAt(std::string_view s, std::string_view separator, std::string_view& before,
                    std::string_view& after) {
  const size_t at = s.find(separator);
  if (at == kNpos) return false;
  before = s.substr(0, at);
  after = s.substr(at + separator.size());
  return true;
}

// Non-negative decimal of at most nine digits (no overflow possible); -1 otherwise.
inline int parseNumber(std::string_view s) {
  if (s.empty() || s.size() > 9) return -1;
  int value = 0;
  for (char c : s) {
    if (!isDigit(c)) return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

inline int parsePort(std::string_view s) {
  const int port = parseNumber(s);
  return port <= 65535 ? port : -1;
}

inline std::string_view firstToken(std::string_view s) { return s.substr(0, s.find(' ')); }

// "'value'" at the start of s: the value (possibly empty) taken and s moved past it.
inline bool takeQuoted(std::string_view& s, std::string_view& value) {
  if (s.size() < 2 || s[0] != '\'') return false;
  const size_t close = s.find('\'', 1);
  if (close == kNpos) return false;
  value = s.substr(1, close - 1);
  s.remove_prefix(close + 1);
  return true;
}

inline void setSource(std::string_view address, AuthEvent& out) {
  if (address.empty()) return;
  if (isIpAddress(address)) {
    out.source_ip = address;
  } else {
    out.source_host = address;
  }
}

inline void setResult(AuthEvent& out, std::string_view category, std::string_view action,
                      std::string_view outcome) {
  out.category = category;
  out.action = action;
  out.outcome = outcome;
}

}  // namespace logship::auth
