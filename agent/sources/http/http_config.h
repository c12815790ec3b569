#pragma once

#include <map>
#include <string>
#include <string_view>

#include "agent/api/config.h"
#include "agent/api/registry.h"
#include "agent/core/http_receiver_config.h"

namespace logship {

// Where Loki clients push.
inline constexpr std::string_view kLokiPushPath = "/loki/api/v1/push";

struct HttpSourceConfig : HttpReceiverOptions {
  std::string address;
  std::string path;
  std::string format = "auto";
  std::map<std::string, std::string> label_fields;
  std::string loki_line_format = "message";

  static const OptionTable<HttpSourceConfig>& options();
};

void registerHttpSource(Registry& registry);

}  // namespace logship
