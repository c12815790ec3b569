#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// OpenSSL's opaque types, declared here so that this header does not drag OpenSSL into every
// file that includes the scrubber.
struct evp_mac_st;
struct evp_mac_ctx_st;

namespace logship::scrub_pii {

inline constexpr size_t kSha256Bytes = 32;
using Sha256Digest = std::array<uint8_t, kSha256Bytes>;

// HMAC-SHA256 with a fixed key (OpenSSL EVP_MAC). Pseudonymised values must correlate across
// restarts and hosts, so there is no per-process salt: the key is the only secret.
class HmacSha256 {
 public:
  // Throws std::invalid_argument for an empty key and std::runtime_error if OpenSSL cannot
  // provide HMAC (for example a FIPS provider without SHA-256, which would be a broken install).
  explicit HmacSha256(std::string_view key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  // One-shot digest; thread-safe. Creates an OpenSSL context per call, so loops should use a
  // Context instead. Throws std::runtime_error if OpenSSL fails.
  Sha256Digest digest(std::string_view data) const;

  // Computation state for one thread, e.g. one scrub call. Creating an OpenSSL context costs
  // about three digests and allocates, so nothing is created until the first digest(), and on
  // destruction the context is parked in a per-thread slot for the next Context of the same
  // HmacSha256 on that thread: steady state is no allocation at all.
  class Context {
   public:
    explicit Context(const HmacSha256& hmac) : hmac_(&hmac) {}
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    // Returns false only when OpenSSL fails (allocation failure); callers must then not emit
    // anything derived from `out`.
    bool digest(std::string_view data, Sha256Digest& out);

   private:
    const HmacSha256* hmac_;
    evp_mac_ctx_st* ctx_ = nullptr;
    bool used_ = false;  // a digest was finalised, so the next one must re-initialise
  };

 private:
  evp_mac_ctx_st* newContext() const;

  std::string key_;
  evp_mac_st* mac_ = nullptr;
  // Identifies this key in per-thread context slots; unlike the address, never reused.
  uint64_t id_;
};

// Overwrites the bytes of `secret` (in a way the compiler cannot elide) and empties it.
void secureWipe(std::string& secret);

// Appends the first `hex_chars` lowercase hex digits of `digest` (at most 64) to `out`.
void appendHex(const Sha256Digest& digest, size_t hex_chars, std::string& out);

}  // namespace logship::scrub_pii
