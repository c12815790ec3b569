#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logship {

// SHA-256 and HMAC-SHA256 through OpenSSL, for the archive's hash chain, request signing and
// file integrity checks.
using Sha256 = std::array<unsigned char, 32>;

Sha256 sha256(std::string_view data);
Sha256 hmacSha256(std::string_view key, std::string_view data);
std::string toHex(const unsigned char* bytes, size_t n);
template <size_t N>
std::string toHex(const std::array<unsigned char, N>& bytes) {
  return toHex(bytes.data(), N);
}
inline std::string sha256Hex(std::string_view data) { return toHex(sha256(data)); }
inline std::string hmacSha256Hex(std::string_view key, std::string_view data) {
  return toHex(hmacSha256(key, data));
}

// SHA-256 of a file's content, read in 64 KiB blocks; nullopt when it cannot be read, or when it
// holds more than `max_bytes`. `size` receives the bytes read.
std::optional<std::string> fileSha256(const std::string& path, uint64_t* size = nullptr,
                                      uint64_t max_bytes = UINT64_MAX);

}  // namespace logship
