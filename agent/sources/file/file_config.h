#pragma once

#include <string>
#include <vector>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct FileSourceConfig {
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::string start_at = "beginning";
  ByteSize max_line_bytes{1u << 20};
  ByteSize batch_bytes{512u << 10};
  ByteSize fingerprint_bytes{256};
  Duration poll_interval = std::chrono::milliseconds(250);
  Duration glob_interval = std::chrono::seconds(5);
  Duration idle_flush = std::chrono::seconds(1);
  Duration checkpoint_interval = std::chrono::seconds(1);
  Duration rotate_wait = std::chrono::seconds(5);
  Duration copy_wait = std::chrono::seconds(2);
  std::string format = "lines";
  ConfigNode multiline;

  static const OptionTable<FileSourceConfig>& options();
};

void registerFileSource(Registry& registry);

}  // namespace logship
