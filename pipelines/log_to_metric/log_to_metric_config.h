#pragma once

#include <cstdint>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct LogToMetricConfig {
  ConfigNode metrics;  // [{type, name, help, when, labels, field, buckets, cardinality_limit}]
  int64_t cardinality_limit = 500;

  static const OptionTable<LogToMetricConfig>& options();
};

void registerLogToMetric(Registry& registry);

}  // namespace logship
