#pragma once

#include "agent/api/registry.h"

namespace logship {

// Registers every transform type of the security pipeline (scrub_pii, tag_severity, ...).
void registerPipelines(Registry& registry);

}  // namespace logship
