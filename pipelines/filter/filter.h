#pragma once

#include <optional>
#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "pipelines/common/condition.h"
#include "pipelines/filter/filter_config.h"

namespace logship {

// Keeps (or drops) the events matching a condition. Dropped events are counted under `reason`;
// their bytes stay in the batch until it is released, so dropping costs no copy.
class Filter final : public Transform {
 public:
  Filter(FilterConfig config, BuildContext& ctx);
  void start(ComponentContext& context) override { context_ = &context; }
  void process(Batch& batch, Emitter& out) override;

 private:
  std::optional<Condition> when_;
  bool keep_matching_;
  std::string reason_;
  ComponentContext* context_ = nullptr;
};

}  // namespace logship
