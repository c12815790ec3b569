#pragma once

#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"
#include "agent/core/http_receiver_config.h"

namespace logship {

struct OpenTelemetrySourceConfig : HttpReceiverOptions {
  std::string address = "0.0.0.0:4318";
  std::string path = "/v1/logs";

  static const OptionTable<OpenTelemetrySourceConfig>& options();
};

void registerOpenTelemetrySource(Registry& registry);

}  // namespace logship
