#pragma once

#include <string>
#include <vector>

#include "agent/api/config.h"
#include "agent/api/registry.h"
#include "pipelines/scrub_pii/secret_key_names.h"

namespace logship {

struct ScrubPiiConfig {
  ConfigNode rules;  // names of built-ins, or {name, pattern, action} maps
  std::string action = "redact";
  std::string key_file;
  std::vector<std::string> fields;
  std::vector<std::string> exclude_fields;
  std::vector<std::string> secret_keys = scrub_pii::SecretKeyNames::defaults();
  int64_t hash_length = 16;

  static const OptionTable<ScrubPiiConfig>& options();
};

void registerScrubPii(Registry& registry);

}  // namespace logship
