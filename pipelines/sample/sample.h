#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "pipelines/common/field_template.h"
#include "pipelines/sample/sample_config.h"

namespace logship {

// Keeps 1 in `rate` events. With a key the decision is a stable hash of the key modulo rate, so
// every line of one trace or login is kept or dropped together, on every host and after
// restarts; events without the key are sampled by a shared count.
class Sample final : public Transform {
 public:
  Sample(SampleConfig config, BuildContext& ctx);
  void start(ComponentContext& context) override { context_ = &context; }
  void process(Batch& batch, Emitter& out) override;

 private:
  uint64_t rate_;
  std::optional<FieldTemplate> key_;
  std::string reason_;
  std::atomic<uint64_t> unkeyed_seen_{0};
  ComponentContext* context_ = nullptr;
};

}  // namespace logship
