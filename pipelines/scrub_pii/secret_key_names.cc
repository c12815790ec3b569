#include "pipelines/scrub_pii/secret_key_names.h"

#include <algorithm>
#include <cstring>

#include "agent/support/ascii.h"

namespace logship::scrub_pii {
namespace {

std::string normalised(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c != '_' && c != '-') out.push_back(asciiLower(c));
  }
  return out;
}

}  // namespace

const std::vector<std::string>& SecretKeyNames::defaults() {
  static const std::vector<std::string> names = {
      "password", "passwd",     "pwd",         "passphrase",  "secret",        "token",
      "api_key",  "access_key", "secret_key",  "private_key", "authorization", "cookie",
      "session",  "session_id", "credentials", "mnemonic",    "seed"};
  return names;
}

SecretKeyNames::SecretKeyNames(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    std::string n = normalised(name);
    if (n.empty() || n.size() > kMaxName) continue;
    last_byte_[static_cast<unsigned char>(n.back())] = true;
    reversed_.emplace_back(n.rbegin(), n.rend());
    names_.push_back(std::move(n));
  }
}

std::string_view SecretKeyNames::match(std::string_view key) const {
  if (names_.empty()) return {};
  char tail[kMaxName];  // the current segment's normalised end, reversed
  size_t n = 0;
  for (size_t i = key.size();;) {
    if (i == 0 || key[i - 1] == '.') {
      if (n > 0 && last_byte_[static_cast<unsigned char>(tail[0])]) {
        for (size_t k = 0; k < reversed_.size(); ++k) {
          const std::string& r = reversed_[k];
          if (r.size() <= n && std::memcmp(tail, r.data(), r.size()) == 0) return names_[k];
        }
      }
      if (i == 0) return {};
      n = 0;
      --i;
      continue;
    }
    const char c = key[--i];
    if (c != '_' && c != '-' && n < kMaxName) tail[n++] = asciiLower(c);
  }
}

}  // namespace logship::scrub_pii
