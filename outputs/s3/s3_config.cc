#include "outputs/s3/s3_config.h"

#include "outputs/s3/s3_output.h"

namespace logship {

const OptionTable<S3ObjectLockConfig>& S3ObjectLockConfig::options() {
  static const OptionTable<S3ObjectLockConfig> table = [] {
    OptionTable<S3ObjectLockConfig> t;
    t.oneOf("mode", &S3ObjectLockConfig::mode, {"COMPLIANCE", "GOVERNANCE"},
            "COMPLIANCE: no one, root included, shortens or removes the lock; GOVERNANCE: users "
            "with s3:BypassGovernanceRetention may.")
        .optional("retention", &S3ObjectLockConfig::retention,
                  "How long objects are locked; default: the longest retention of the tiers of "
                  "the object's events.");
    return t;
  }();
  return table;
}

const OptionTable<S3OutputConfig>& S3OutputConfig::options() {
  static const OptionTable<S3OutputConfig> table = [] {
    OptionTable<S3OutputConfig> t;
    addS3ConnectionOptions(t);
    t.optional("key_prefix", &S3OutputConfig::key_prefix,
               "Object key prefix, a template of fields and the first event's UTC date "
               "({tier}, {host.name}, %Y %m %d %H); events with different prefixes go to "
               "different objects. The key ends in <unix time>-<random>.ndjson[.gz|.zst].")
        .oneOf("compression", &S3OutputConfig::compression, {"gzip", "zstd", "none"},
               "Objects are NDJSON, compressed so (Content-Encoding set, key extension to match).")
        .optional("max_object_bytes", &S3OutputConfig::max_object_bytes,
                  "An object is stored once its NDJSON reaches this size ...")
        .optional("max_object_age", &S3OutputConfig::max_object_age,
                  "... or this long after its first event.")
        .optional("part_bytes", &S3OutputConfig::part_bytes,
                  "A compressed object larger than this goes up in multipart parts of this size "
                  "(at least 5MiB, S3's smallest part).")
        .optional("concurrency", &S3OutputConfig::concurrency, "Objects uploading at once.")
        .oneOf("server_side_encryption", &S3OutputConfig::server_side_encryption,
               {"", "AES256", "aws:kms"}, "Encryption S3 applies at rest.")
        .optional("ssekms_key_id", &S3OutputConfig::ssekms_key_id,
                  "aws:kms: the KMS key (id or ARN); default the account's S3 key.")
        .optional("storage_class", &S3OutputConfig::storage_class,
                  "STANDARD, STANDARD_IA, GLACIER_IR, DEEP_ARCHIVE ... (default STANDARD).")
        .optional("object_lock", &S3OutputConfig::object_lock,
                  "{mode: COMPLIANCE | GOVERNANCE, retention}: each object is stored locked "
                  "(the bucket must have Object Lock enabled); default retention: the tier's.")
        .optional("retry", &S3OutputConfig::retry,
                  "{initial_backoff: 500ms, max_backoff: 60s, max_attempts: 0 (forever)}.")
        .check([](const S3OutputConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.part_bytes.bytes < (5u << 20)) {
            diag.error(node["part_bytes"].location(), "part_bytes must be at least 5MiB");
          }
          if (c.max_object_bytes.bytes < 1) {
            diag.error(node["max_object_bytes"].location(), "max_object_bytes must be positive");
          }
          if (c.max_object_age.count() <= 0) {
            diag.error(node["max_object_age"].location(), "max_object_age must be positive");
          }
          if (c.concurrency < 1 || c.concurrency > 64) {
            diag.error(node["concurrency"].location(), "concurrency must be 1-64");
          }
          if (!c.ssekms_key_id.empty() && c.server_side_encryption != "aws:kms") {
            diag.error(node["ssekms_key_id"].location(),
                       "ssekms_key_id goes with server_side_encryption: aws:kms");
          }
        });
    return t;
  }();
  return table;
}

void registerS3Output(Registry& registry) {
  registry.addOutput<S3OutputConfig, S3Output>(
      "s3",
      "Objects of NDJSON (gzip or zstd) in S3 or an S3-compatible store, rolled by size and age, "
      "multipart when large, optionally object-locked for the tier's retention; batches are "
      "acknowledged once their object is stored.");
}

}  // namespace logship
