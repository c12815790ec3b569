#include "pipelines/pipelines.h"

namespace logship {

void registerPipelines(Registry& registry) {}

}  // namespace logship
