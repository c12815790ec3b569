#pragma once

#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct ParseLogfmtConfig {
  std::string field;
  bool bare_keys = true;
  int64_t max_fields = 256;
  std::string timezone_offset = "UTC";

  static const OptionTable<ParseLogfmtConfig>& options();
};

void registerParseLogfmt(Registry& registry);

}  // namespace logship
