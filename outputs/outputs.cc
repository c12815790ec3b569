#include "outputs/outputs.h"

#include "outputs/archive/archive_config.h"
#include "outputs/blackhole/blackhole_output.h"
#include "outputs/console/console_output.h"
#include "outputs/file/file_output.h"

namespace logship {

void registerOutputs(Registry& registry) {
  registerFileOutput(registry);
  registerConsoleOutput(registry);
  registerBlackholeOutput(registry);
  registerArchiveOutput(registry);
}

}  // namespace logship
