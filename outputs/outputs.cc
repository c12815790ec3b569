#include "outputs/outputs.h"

#include "outputs/blackhole/blackhole_output.h"
#include "outputs/console/console_output.h"
#include "outputs/file/file_output.h"

namespace logship {

void registerOutputs(Registry& registry) {
  registerFileOutput(registry);
  registerConsoleOutput(registry);
  registerBlackholeOutput(registry);
}

}  // namespace logship
