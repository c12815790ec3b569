// The disk buffer's frame decoder on arbitrary bytes: never reads outside them, and a batch it
// accepts encodes back to exactly the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "agent/core/batch_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto batch = logship::decodeBatch(bytes);
  if (!batch) return 0;
  std::string again;
  logship::encodeBatch(*batch, again);
  if (again != bytes) std::abort();
  return 0;
}
