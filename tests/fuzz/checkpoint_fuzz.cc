// The checkpoint loader on arbitrary bytes: never crashes, and whatever it accepts survives a
// save/load round trip unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "agent/core/checkpoint_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string problem;
  auto parsed = logship::CheckpointStore::parse(text, &problem);
  if (!parsed) return 0;
  std::string again = logship::CheckpointStore::serialize(*parsed);
  auto reparsed = logship::CheckpointStore::parse(again, &problem);
  if (!reparsed || reparsed->size() != parsed->size()) std::abort();
  for (auto& [key, cp] : *parsed) {
    auto it = reparsed->find(key);
    if (it == reparsed->end() || it->second.offset != cp.offset || it->second.path != cp.path ||
        it->second.cursor != cp.cursor) {
      std::abort();
    }
  }
  return 0;
}
