#pragma once

#include "agent/api/registry.h"

namespace logship {

// Registers every output type.
void registerOutputs(Registry& registry);

}  // namespace logship
