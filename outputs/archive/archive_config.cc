#include "outputs/archive/archive_config.h"

#include "outputs/archive/archive_output.h"

namespace logship {

const OptionTable<ArchiveOutputConfig>& ArchiveOutputConfig::options() {
  static const OptionTable<ArchiveOutputConfig> table = [] {
    OptionTable<ArchiveOutputConfig> t;
    t.required("path", &ArchiveOutputConfig::path,
               "Archive root: one directory per tier, one per UTC day below it.")
        .optional("max_segment_bytes", &ArchiveOutputConfig::max_segment_bytes,
                  "A segment is sealed once it holds this many compressed bytes.")
        .optional("max_segment_age", &ArchiveOutputConfig::max_segment_age,
                  "... or once it has been open this long.")
        .optional("compression_level", &ArchiveOutputConfig::compression_level,
                  "zstd level (1-19); 3 measured best for size per CPU on auth/app logs.")
        .optional("fsync_interval", &ArchiveOutputConfig::fsync_interval,
                  "Batches are acknowledged after the fsync that follows them; 0 fsyncs every "
                  "batch.")
        .optional("retention_check_interval", &ArchiveOutputConfig::retention_check_interval,
                  "How often segments past their tier's retention are deleted.")
        .optional("key_file", &ArchiveOutputConfig::key_file,
                  "File holding a key to HMAC each tier's MANIFEST with (MANIFEST.hmac).")
        .optional("encryption_key_file", &ArchiveOutputConfig::encryption_key_file,
                  "Encrypt segments at rest with AES-256-GCM: a file of ID:HEX keys (64 hex "
                  "digits, `openssl rand -hex 32`), the first encrypting, all decrypting; rotate "
                  "by putting a new key first. `logship archive cat` takes it as "
                  "--encryption-key-file.")
        .optional("verify_interval", &ArchiveOutputConfig::verify_interval,
                  "How often the archive verifies itself as `logship archive verify` does (in "
                  "the background, first a minute after start), setting "
                  "logship_archive_chain_ok; 0 never.")
        .optional("upload", &ArchiveOutputConfig::upload,
                  "{bucket, endpoint, region, key_prefix, object_lock: COMPLIANCE | GOVERNANCE, "
                  "credentials and TLS as for the s3 output}: every sealed segment, then its "
                  "tier's MANIFEST, is copied to this bucket, locked until the tier's retention "
                  "ends; what is missing there is uploaded at start.")
        .check([](const ArchiveOutputConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.compression_level < 1 || c.compression_level > 19) {
            diag.error(node["compression_level"].location(), "compression_level must be 1-19");
          }
          if (c.max_segment_bytes.bytes < 4096) {
            diag.error(node["max_segment_bytes"].location(), "max_segment_bytes must be >= 4KiB");
          }
        });
    return t;
  }();
  return table;
}

void registerArchiveOutput(Registry& registry) {
  registry.addOutput<ArchiveOutputConfig, ArchiveOutput>(
      "archive",
      "Tamper-evident local archive: zstd NDJSON segments per tier and day, SHA-256 chained "
      "manifests, retention per tier.");
}

}  // namespace logship
