#include "pipelines/scrub_pii/hmac_sha256.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <atomic>
#include <stdexcept>

namespace logship::scrub_pii {
namespace {

std::atomic<uint64_t> g_next_id{1};

// The context a finished Context left on this thread, with the id of the key it holds. It keeps
// key-derived state alive until the thread ends or another key's context replaces it, the same
// exposure as the process holding the key itself.
struct ParkedContext {
  uint64_t owner = 0;
  EVP_MAC_CTX* ctx = nullptr;
  ~ParkedContext() { EVP_MAC_CTX_free(ctx); }
};
thread_local ParkedContext t_parked;

}  // namespace

HmacSha256::HmacSha256(std::string_view key)
    : key_(key), id_(g_next_id.fetch_add(1, std::memory_order_relaxed)) {
  if (key_.empty()) throw std::invalid_argument("HMAC-SHA256 needs a non-empty key");
  // Fetched once: an implicit fetch inside every EVP_MAC_CTX_new would take a global lock.
  mac_ = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  if (mac_ == nullptr) throw std::runtime_error("OpenSSL does not provide HMAC");
  // Fail at start-up, not on the first event, if SHA-256 is unavailable.
  EVP_MAC_CTX* probe = newContext();
  if (probe == nullptr) {
    EVP_MAC_free(mac_);
    throw std::runtime_error("OpenSSL cannot initialise HMAC-SHA256");
  }
  EVP_MAC_CTX_free(probe);
}

HmacSha256::~HmacSha256() {
  OPENSSL_cleanse(key_.data(), key_.size());
  EVP_MAC_free(mac_);
}

EVP_MAC_CTX* HmacSha256::newContext() const {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac_);
  if (ctx == nullptr) return nullptr;
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key_.data()), key_.size(), params) !=
      1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

Sha256Digest HmacSha256::digest(std::string_view data) const {
  Context ctx(*this);
  Sha256Digest out;
  if (!ctx.digest(data, out)) throw std::runtime_error("HMAC-SHA256 computation failed");
  return out;
}

HmacSha256::Context::~Context() {
  if (ctx_ == nullptr) return;
  EVP_MAC_CTX_free(t_parked.ctx);
  t_parked.owner = hmac_->id_;
  t_parked.ctx = ctx_;
}

bool HmacSha256::Context::digest(std::string_view data, Sha256Digest& out) {
  if (ctx_ == nullptr && t_parked.ctx != nullptr && t_parked.owner == hmac_->id_) {
    ctx_ = t_parked.ctx;
    t_parked.ctx = nullptr;
    used_ = true;
  }
  if (ctx_ == nullptr) {
    ctx_ = hmac_->newContext();
    if (ctx_ == nullptr) return false;
  } else if (used_ && EVP_MAC_init(ctx_, nullptr, 0, nullptr) != 1) {
    // Re-initialising with a null key restarts the MAC with the key already set, which is
    // what makes reusing one context per scrub call possible.
    return false;
  }
  size_t written = 0;
  if (EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx_, out.data(), &written, out.size()) != 1 || written != out.size()) {
    // The context may be half-used now; start over with a fresh one next time.
    EVP_MAC_CTX_free(ctx_);
    ctx_ = nullptr;
    used_ = false;
    return false;
  }
  used_ = true;
  return true;
}

void secureWipe(std::string& secret) {
  OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

void appendHex(const Sha256Digest& digest, size_t hex_chars, std::string& out) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  if (hex_chars > 2 * digest.size()) hex_chars = 2 * digest.size();
  for (size_t i = 0; i < hex_chars; ++i) {
    const uint8_t byte = digest[i / 2];
    out.push_back(kHexDigits[i % 2 == 0 ? byte >> 4 : byte & 0x0f]);
  }
}

}  // namespace logship::scrub_pii
