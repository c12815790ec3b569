#pragma once

#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct ClassifyTierConfig {
  ConfigNode rules;  // [{tier, when}]
  std::string default_tier;
  bool overwrite = true;

  static const OptionTable<ClassifyTierConfig>& options();
};

void registerClassifyTier(Registry& registry);

}  // namespace logship
