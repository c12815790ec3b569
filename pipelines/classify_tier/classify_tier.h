#pragma once

#include <cstdint>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "pipelines/classify_tier/classify_tier_config.h"
#include "pipelines/common/condition.h"

namespace logship {

// Sets Event::tier (written as `tier`, read by every output to pick an index, tenant, topic or
// archive directory) from the first matching rule, else the default. Tier names are checked
// against the top-level `tiers` when the config is read, so a typo cannot send audit logs to the
// 7-day tier.
class ClassifyTier final : public Transform {
 public:
  ClassifyTier(ClassifyTierConfig config, BuildContext& ctx);
  void process(Batch& batch, Emitter& out) override;

 private:
  struct Rule {
    uint8_t tier;
    Condition when;
  };
  std::vector<Rule> rules_;
  uint8_t default_ = kNoTier;
  bool overwrite_;
};

}  // namespace logship
