#pragma once

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

// Each operation is a map or list of its own; they run in the order they are written (the
// remap transform reads that order from the node).
struct RemapConfig {
  ConfigNode set;
  ConfigNode rename;
  ConfigNode copy;
  ConfigNode del;  // `delete`
  ConfigNode coerce;
  ConfigNode lowercase;
  ConfigNode replace;
  ConfigNode operations;

  static const OptionTable<RemapConfig>& options();
};

void registerRemap(Registry& registry);

}  // namespace logship
