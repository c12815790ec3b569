#pragma once

#include <cstddef>
#include <string_view>

namespace logship::scrub_pii {

// Luhn (mod 10) check over the digits of `number`. Single spaces and dashes are skipped because
// card numbers are logged grouped ("4111 1111 1111 1111"); any other byte, or fewer than two
// digits, fails the check so that callers cannot mistake garbage for a valid number.
constexpr bool luhnValid(std::string_view number) {
  int sum = 0;
  size_t digits = 0;
  for (size_t i = number.size(); i > 0; --i) {
    const char c = number[i - 1];
    if (c == ' ' || c == '-') continue;
    if (c < '0' || c > '9') return false;
    int d = c - '0';
    // Every second digit counting from the check digit is doubled.
    if (digits % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    ++digits;
  }
  return digits >= 2 && sum % 10 == 0;
}

}  // namespace logship::scrub_pii
