#pragma once

#include <cstdint>
#include <string_view>

namespace logship {

// Stable across processes and hosts (FNV-1a with a final mix), so sampling decisions, session ids
// and source stream ids agree everywhere and after a restart.
inline uint64_t stableHash(std::string_view text, uint64_t seed = 0) {
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  // FNV-1a alone leaves the low bits weak for short keys; `mod N` sampling reads exactly those.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

}  // namespace logship
