#pragma once

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct RouteConfig {
  ConfigNode routes;  // name -> condition (or {when: condition})

  static const OptionTable<RouteConfig>& options();
};

void registerRoute(Registry& registry);

}  // namespace logship
