#pragma once

#include <chrono>
#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"
#include "outputs/common/s3_client.h"

namespace logship {

struct S3OutputConfig : S3ConnectionConfig {
  std::string key_prefix = "{tier}/%Y/%m/%d/";
  std::string compression = "gzip";
  ByteSize max_object_bytes{10'000'000};
  Duration max_object_age = std::chrono::minutes(5);
  ByteSize part_bytes{8u << 20};
  int64_t concurrency = 4;
  std::string server_side_encryption;
  std::string ssekms_key_id;
  std::string storage_class;
  ConfigNode object_lock;
  ConfigNode retry;

  static const OptionTable<S3OutputConfig>& options();
};

// `object_lock: {mode: COMPLIANCE | GOVERNANCE, retention: 7y}`; without retention, an object is
// kept for the longest retention of the tiers of its events.
struct S3ObjectLockConfig {
  std::string mode;
  Duration retention{0};
  static const OptionTable<S3ObjectLockConfig>& options();
};

void registerS3Output(Registry& registry);

}  // namespace logship
