#pragma once

#include <string>

#include "agent/api/registry.h"
#include "outputs/common/http_config.h"

namespace logship {

struct ElasticsearchConfig : HttpOutputOptions {
  std::string mode = "index";
  std::string index = "logship-{tier}-%Y.%m.%d";
  std::string path = "/_bulk";

  static const OptionTable<ElasticsearchConfig>& options();
};

void registerElasticsearchOutput(Registry& registry);

}  // namespace logship
