#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "pipelines/common/clock.h"
#include "pipelines/common/field_template.h"
#include "pipelines/common/string_map.h"
#include "pipelines/throttle/throttle_config.h"

namespace logship {

// Passes at most `threshold` events per key in each window (a window opens at a key's first event
// and lasts `window`); the excess is dropped and counted. Time comes from the injected clock.
class Throttle final : public Transform {
 public:
  Throttle(ThrottleConfig config, BuildContext& ctx, const Clock& clock = systemClock());
  void start(ComponentContext& context) override { context_ = &context; }
  void process(Batch& batch, Emitter& out) override;

 private:
  struct Bucket {
    int64_t window_start = 0;
    uint64_t count = 0;
  };
  bool admit(Bucket& bucket, int64_t now);
  void evictExpired(int64_t now);

  uint64_t threshold_;
  int64_t window_ns_;
  std::optional<FieldTemplate> key_;
  size_t max_keys_;
  std::string reason_;
  const Clock& clock_;
  ComponentContext* context_ = nullptr;

  std::mutex mutex_;  // taken once per batch
  StringMap<Bucket> buckets_;
  Bucket overflow_;  // keys beyond max_keys
  Bucket unkeyed_;   // events without the key, or every event when there is no key
};

}  // namespace logship
