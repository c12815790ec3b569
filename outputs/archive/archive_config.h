#pragma once

#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct ArchiveOutputConfig {
  std::string path;
  ByteSize max_segment_bytes{64u << 20};
  Duration max_segment_age = std::chrono::hours(1);
  int64_t compression_level = 3;
  Duration fsync_interval = std::chrono::milliseconds(200);
  Duration retention_check_interval = std::chrono::hours(1);
  std::string key_file;
  std::string encryption_key_file;
  Duration verify_interval = std::chrono::hours(24);
  ConfigNode upload;

  static const OptionTable<ArchiveOutputConfig>& options();
};

void registerArchiveOutput(Registry& registry);

}  // namespace logship
