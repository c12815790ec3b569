#include "agent/support/aead.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "agent/support/files.h"

namespace logship {

namespace {

using Ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool KeyRing::load(const std::string& path, KeyRing* out, std::string* error) {
  auto text = readWholeFile(path);
  if (!text) {
    *error = "cannot read key file " + path;
    return false;
  }
  KeyRing ring;
  size_t line_no = 0;
  for (size_t pos = 0; pos < text->size();) {
    size_t nl = text->find('\n', pos);
    if (nl == std::string::npos) nl = text->size();
    std::string line = text->substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const size_t colon = line.find(':');
    const std::string where = path + ":" + std::to_string(line_no) + ": ";
    if (colon == 0 || colon == std::string::npos || colon > 64 || line.size() - colon - 1 != 64) {
      *error = where + "expected ID:HEX with 64 hex digits (openssl rand -hex 32)";
      return false;
    }
    std::string id = line.substr(0, colon);
    std::string key(32, '\0');
    for (size_t i = 0; i < 32; ++i) {
      const int hi = hexValue(line[colon + 1 + 2 * i]);
      const int lo = hexValue(line[colon + 2 + 2 * i]);
      if (hi < 0 || lo < 0) {
        *error = where + "the key is not hex";
        return false;
      }
      key[i] = static_cast<char>(hi * 16 + lo);
    }
    if (ring.keys_.count(id)) {
      *error = where + "key id '" + id + "' appears twice";
      return false;
    }
    if (ring.current_.empty()) ring.current_ = id;
    ring.keys_.emplace(std::move(id), std::move(key));
  }
  if (ring.keys_.empty()) {
    *error = "key file " + path + " holds no key";
    return false;
  }
  *out = std::move(ring);
  return true;
}

const std::string* KeyRing::key(std::string_view id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

std::string aeadSeal(std::string_view key, std::string_view plain, std::string_view aad) {
  std::string out(kAeadNonceBytes + plain.size() + kAeadTagBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  RAND_bytes(bytes, kAeadNonceBytes);
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int n = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                     reinterpret_cast<const unsigned char*>(key.data()), bytes);
  EVP_EncryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                    static_cast<int>(aad.size()));
  EVP_EncryptUpdate(ctx.get(), bytes + kAeadNonceBytes, &n,
                    reinterpret_cast<const unsigned char*>(plain.data()),
                    static_cast<int>(plain.size()));
  EVP_EncryptFinal_ex(ctx.get(), bytes + kAeadNonceBytes + n, &n);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAeadTagBytes,
                      bytes + kAeadNonceBytes + plain.size());
  return out;
}

std::optional<std::string> aeadOpen(std::string_view key, std::string_view sealed,
                                    std::string_view aad) {
  if (key.size() != 32 || sealed.size() < kAeadNonceBytes + kAeadTagBytes) return std::nullopt;
  const size_t length = sealed.size() - kAeadNonceBytes - kAeadTagBytes;
  const auto* bytes = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string plain(length, '\0');
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int n = 0;
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                     reinterpret_cast<const unsigned char*>(key.data()), bytes);
  EVP_DecryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                    static_cast<int>(aad.size()));
  EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &n,
                    bytes + kAeadNonceBytes, static_cast<int>(length));
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAeadTagBytes,
                      const_cast<unsigned char*>(bytes + kAeadNonceBytes + length));
  int tail = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + n, &tail) != 1) {
    return std::nullopt;
  }
  return plain;
}

}  // namespace logship
