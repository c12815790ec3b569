#pragma once

#include <map>
#include <string>

#include "agent/api/registry.h"
#include "outputs/common/http_config.h"

namespace logship {

struct LokiConfig : HttpOutputOptions {
  std::map<std::string, std::string> labels;
  std::string tenant;
  std::string encoding = "protobuf";
  std::string line_format = "json";
  std::string path = "/loki/api/v1/push";
  std::map<std::string, std::string> structured_metadata;

  static const OptionTable<LokiConfig>& options();
};

void registerLokiOutput(Registry& registry);

}  // namespace logship
