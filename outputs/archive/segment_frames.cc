#include "outputs/archive/segment_frames.h"

#include <zstd.h>
#include <zstd_errors.h>

namespace logship::archive {

namespace {

constexpr std::string_view kSealedMagic = "LSX1";

std::string aadOf(std::string_view segment, uint64_t offset) {
  return std::string(segment) + "@" + std::to_string(offset);
}

FrameRead decompress(std::string_view frame, std::string& plain) {
  const size_t n = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(n) || n != frame.size()) return FrameRead::kDamaged;
  const unsigned long long raw = ZSTD_getFrameContentSize(frame.data(), n);
  if (raw == ZSTD_CONTENTSIZE_ERROR || raw == ZSTD_CONTENTSIZE_UNKNOWN) return FrameRead::kDamaged;
  plain.resize(raw);
  const size_t got = ZSTD_decompress(plain.data(), raw, frame.data(), n);
  return ZSTD_isError(got) || got != raw ? FrameRead::kDamaged : FrameRead::kOk;
}

}  // namespace

std::string sealFrame(std::string_view zstd_frame, const std::string& key_id,
                      const std::string& key, std::string_view segment, uint64_t offset) {
  const std::string sealed = aeadSeal(key, zstd_frame, aadOf(segment, offset));
  std::string out(kSealedMagic);
  out += static_cast<char>(key_id.size());
  out += key_id;
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += static_cast<char>((sealed.size() >> shift) & 0xff);
  }
  return out + sealed;
}

FrameRead readFrame(std::string_view data, size_t& pos, const KeyRing* keys,
                    std::string_view segment, std::string& plain, std::string* error) {
  if (pos >= data.size()) return FrameRead::kEnd;
  std::string_view rest = data.substr(pos);
  if (!rest.starts_with(kSealedMagic)) {
    // A plain zstd frame (a segment written without encryption).
    const size_t n = ZSTD_findFrameCompressedSize(rest.data(), rest.size());
    if (ZSTD_isError(n)) {
      return ZSTD_getErrorCode(n) == ZSTD_error_srcSize_wrong ? FrameRead::kCut
                                                              : FrameRead::kDamaged;
    }
    const FrameRead r = decompress(rest.substr(0, n), plain);
    if (r == FrameRead::kOk) pos += n;
    return r;
  }
  if (rest.size() < kSealedMagic.size() + 1) return FrameRead::kCut;
  const size_t id_len = static_cast<unsigned char>(rest[kSealedMagic.size()]);
  const size_t header = kSealedMagic.size() + 1 + id_len + 4;
  if (rest.size() < header) return FrameRead::kCut;
  const std::string_view id = rest.substr(kSealedMagic.size() + 1, id_len);
  size_t length = 0;
  for (size_t i = header - 4; i < header; ++i) {
    length = (length << 8) | static_cast<unsigned char>(rest[i]);
  }
  if (rest.size() < header + length) return FrameRead::kCut;
  const std::string* key = keys ? keys->key(id) : nullptr;
  if (key == nullptr) {
    if (error) *error = "encrypted with key '" + std::string(id) + "', which the key file lacks";
    return FrameRead::kNoKey;
  }
  auto frame = aeadOpen(*key, rest.substr(header, length), aadOf(segment, pos));
  if (!frame) return FrameRead::kDamaged;
  const FrameRead r = decompress(*frame, plain);
  if (r == FrameRead::kOk) pos += header + length;
  return r;
}

}  // namespace logship::archive
