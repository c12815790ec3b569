#pragma once

#include "agent/api/registry.h"

namespace logship {

// Every component type compiled into this binary, registered by type name.
void registerBuiltinComponents(Registry& registry);

}  // namespace logship
