#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/support/aead.h"

namespace logship::archive {

// A segment is a run of frames, one per batch: a zstd frame of NDJSON, or, in an encrypted
// archive, that zstd frame sealed with AES-256-GCM:
//   "LSX1" | key id length (1 byte) | key id | sealed length (4 bytes, big-endian) | sealed
// where sealed = nonce | ciphertext | tag, authenticated together with the segment's path and
// the frame's offset in it, so that a frame moved to another segment or place does not open.
// Each frame names its key: a key rotation leaves earlier frames readable with the old key.
std::string sealFrame(std::string_view zstd_frame, const std::string& key_id,
                      const std::string& key, std::string_view segment, uint64_t offset);

enum class FrameRead {
  kOk,         // `plain` holds the frame's NDJSON; `pos` is past it
  kEnd,        // no more data
  kCut,        // the rest is a frame cut short (a crash while it was written)
  kDamaged,    // not a frame, or it does not decompress or authenticate
  kNoKey,      // encrypted with a key `keys` does not hold (`error` names it)
};

// Reads the frame of segment `segment` at `pos` in `data`.
FrameRead readFrame(std::string_view data, size_t& pos, const KeyRing* keys,
                    std::string_view segment, std::string& plain, std::string* error);

}  // namespace logship::archive
