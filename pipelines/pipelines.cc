#include "pipelines/pipelines.h"

#include "pipelines/scrub_pii/scrub_pii_config.h"

namespace logship {

void registerPipelines(Registry& registry) { registerScrubPii(registry); }

}  // namespace logship
