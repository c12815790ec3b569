#include "agent/cli/builtin_components.h"

#include "agent/sources/file/file_config.h"
#include "agent/sources/journald/journald_source.h"
#include "agent/sources/stdin/stdin_source.h"
#include "outputs/blackhole/blackhole_output.h"
#include "outputs/console/console_output.h"
#include "outputs/file/file_output.h"
#include "parsers/parsers.h"
#include "pipelines/pipelines.h"

namespace logship {

void registerBuiltinComponents(Registry& registry) {
  registerFileSource(registry);
  registerJournaldSource(registry);
  registerStdinSource(registry);
  registerParsers(registry);
  registerPipelines(registry);
  registerFileOutput(registry);
  registerConsoleOutput(registry);
  registerBlackholeOutput(registry);
}

}  // namespace logship
