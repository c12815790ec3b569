#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace logship {

// AES-256-GCM keys for data at rest, from a key file: one key a line, `ID:HEX` with 64 hex digits
// (32 bytes; `openssl rand -hex 32`), `#` comments. The first key encrypts what is written now;
// every key decrypts what was written with it, so a rotation puts the new key first and keeps
// the old ones below until the data they protect is gone. Ids are stored beside the data.
class KeyRing {
 public:
  // False with `error` (naming the file and line) when the file cannot be read or is malformed.
  static bool load(const std::string& path, KeyRing* out, std::string* error);

  const std::string& currentId() const { return current_; }
  const std::string* key(std::string_view id) const;
  bool empty() const { return keys_.empty(); }

 private:
  std::string current_;
  std::map<std::string, std::string, std::less<>> keys_;  // id -> 32 raw bytes
};

inline constexpr size_t kAeadNonceBytes = 12;
inline constexpr size_t kAeadTagBytes = 16;

// nonce (random, 12 bytes) || ciphertext || tag (16 bytes); `aad` is authenticated, not stored.
std::string aeadSeal(std::string_view key, std::string_view plain, std::string_view aad);
// The plaintext, or nullopt when the key, the data or the aad do not match.
std::optional<std::string> aeadOpen(std::string_view key, std::string_view sealed,
                                    std::string_view aad);

}  // namespace logship
