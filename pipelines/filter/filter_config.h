#pragma once

#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct FilterConfig {
  ConfigNode when;
  std::string action = "keep";
  std::string reason = "filtered";

  static const OptionTable<FilterConfig>& options();
};

void registerFilter(Registry& registry);

}  // namespace logship
