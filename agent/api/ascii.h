#pragma once

#include <string_view>

namespace logship {

// ASCII case folding for keywords in log text: only A-Z change, so UTF-8 passes through as is.
constexpr char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// Whether `text` is `lower_word` (written in lower case) in any ASCII case.
constexpr bool equalsLowercase(std::string_view text, std::string_view lower_word) {
  if (text.size() != lower_word.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (asciiLower(text[i]) != lower_word[i]) return false;
  }
  return true;
}

}  // namespace logship
