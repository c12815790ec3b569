#pragma once

#include <cstdint>
#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct SampleConfig {
  int64_t rate = 0;
  std::string key;
  std::string reason = "sampled";

  static const OptionTable<SampleConfig>& options();
};

void registerSample(Registry& registry);

}  // namespace logship
