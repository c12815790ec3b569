#include "outputs/blackhole/blackhole_output.h"

namespace logship {

const OptionTable<BlackholeOutputConfig>& BlackholeOutputConfig::options() {
  static const OptionTable<BlackholeOutputConfig> table;
  return table;
}

void registerBlackholeOutput(Registry& registry) {
  registry.addOutput<BlackholeOutputConfig, BlackholeOutput>(
      "blackhole", "Acknowledges and counts events without sending them anywhere.");
}

}  // namespace logship
