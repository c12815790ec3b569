#pragma once

#include "agent/api/registry.h"

namespace logship {

// Registers every parse_* transform type.
void registerParsers(Registry& registry);

}  // namespace logship
