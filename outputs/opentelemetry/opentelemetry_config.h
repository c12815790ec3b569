#pragma once

#include <string>
#include <vector>

#include "agent/api/registry.h"
#include "outputs/common/http_config.h"

namespace logship {

struct OpenTelemetryConfig : HttpOutputOptions {
  std::string encoding = "protobuf";
  std::string path = "/v1/logs";
  std::vector<std::string> resource_fields = {"service.name",
                                              "service.version",
                                              "service.namespace",
                                              "service.instance.id",
                                              "deployment.environment",
                                              "host.name",
                                              "host.id",
                                              "kubernetes.namespace",
                                              "kubernetes.pod.name",
                                              "kubernetes.pod.uid",
                                              "kubernetes.container.name"};

  static const OptionTable<OpenTelemetryConfig>& options();
};

void registerOpenTelemetryOutput(Registry& registry);

}  // namespace logship
