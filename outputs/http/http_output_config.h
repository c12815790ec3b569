#pragma once

#include <string>

#include "agent/api/registry.h"
#include "outputs/common/http_config.h"

namespace logship {

struct GenericHttpConfig : HttpOutputOptions {
  std::string encoding = "ndjson";
  std::string method = "POST";

  static const OptionTable<GenericHttpConfig>& options();
};

void registerHttpOutput(Registry& registry);

}  // namespace logship
