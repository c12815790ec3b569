#pragma once

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "outputs/archive/archive_manifest.h"
#include "outputs/common/backoff.h"
#include "outputs/common/s3_client.h"

namespace prometheus {
class Counter;
class Gauge;
}  // namespace prometheus

namespace logship {

// `upload:` of the archive: the bucket its sealed segments and manifests are copied to.
struct ArchiveUploadConfig : S3ConnectionConfig {
  std::string key_prefix;   // objects are <key_prefix><tier>/<day>/<seq>.ndjson.zst
  std::string object_lock;  // COMPLIANCE | GOVERNANCE: locked until the tier's retention ends
  std::string server_side_encryption;
  std::string ssekms_key_id;
  std::string storage_class;
  Duration max_backoff = std::chrono::minutes(5);

  static const OptionTable<ArchiveUploadConfig>& options();
};

// Copies the archive off the host: each sealed segment, then its tier's MANIFEST (and
// MANIFEST.hmac), one object at a time in the order they were sealed, retried until stored.
// Nothing is acknowledged on it (the local archive is the durable copy); what was not uploaded
// when the agent stopped is found again at the next start by listing the bucket.
class ArchiveUploader {
 public:
  ArchiveUploader(ArchiveUploadConfig config, S3Settings settings, std::string archive_root);
  ~ArchiveUploader();

  void start(ComponentContext& context, std::shared_ptr<HttpTransport> transport);
  void stop();

  // A segment of `tier` was sealed: upload it (locked until `retain_until_ns`), then the manifest.
  void segmentSealed(const std::string& tier, const std::string& file, int64_t retain_until_ns);
  // The tier's manifest changed without a new segment (a retention deletion).
  void manifestChanged(const std::string& tier, int64_t retain_until_ns);
  // At start: lists what the bucket holds of `tier` and uploads the live segments it lacks.
  void resume(const std::string& tier, std::vector<std::pair<std::string, int64_t>> live,
              int64_t manifest_retain_until_ns);
  // Whether `file` of `tier` still waits to be uploaded (retention leaves it until it is).
  bool waiting(const std::string& tier, const std::string& file) const;
  size_t backlog() const { return queue_.size(); }
  const S3Settings& settings() const { return settings_; }

  // The object key of a file of the archive ("audit/2026-11-22/00000001.ndjson.zst").
  std::string keyFor(const std::string& path) const { return config_.key_prefix + path; }

 private:
  struct Job {
    std::string path;  // relative to the archive root
    int64_t retain_until_ns = 0;
    uint32_t attempt = 0;
    std::string upload_id;
    std::vector<std::string> etags;
    uint64_t size = 0;
  };
  void enqueue(const std::string& path, int64_t retain_until_ns);
  void enqueueManifest(const std::string& tier, int64_t retain_until_ns);
  void pump();
  void step();
  void onResult(S3Result&& result, std::function<void()> next);
  void done();
  S3ObjectOptions optionsFor(const Job& job) const;
  std::optional<std::string> readPart(const Job& job, uint64_t offset, size_t n,
                                      std::string* error) const;
  void listTier(const std::string& tier, std::string token,
                std::shared_ptr<std::map<std::string, uint64_t>> keys,
                std::vector<std::pair<std::string, int64_t>> live, int64_t manifest_retain);

  ArchiveUploadConfig config_;
  S3Settings settings_;
  std::string root_;
  std::string id_;
  ComponentContext* context_ = nullptr;
  std::shared_ptr<HttpTransport> transport_;
  std::optional<S3Client> client_;
  std::optional<Backoff> backoff_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::deque<Job> queue_;  // front() is the one in flight when busy_
  bool busy_ = false;
  bool stopped_ = false;
  bool failing_ = false;
  prometheus::Counter* uploaded_ = nullptr;
  prometheus::Counter* uploaded_bytes_ = nullptr;
  prometheus::Counter* retries_ = nullptr;
  prometheus::Gauge* backlog_ = nullptr;
};

// An archive uploaded to a bucket, for `logship archive verify s3://BUCKET/PREFIX`.
class S3ArchiveStore final : public archive::ArchiveStore {
 public:
  // Lists every object under `prefix` once; false with `error` when that fails.
  S3ArchiveStore(S3Settings settings, std::string prefix);
  bool open(std::string* error);
  std::vector<std::string> tiers() override;
  std::optional<std::string> read(const std::string& path) override;
  std::optional<std::string> sha256(const std::string& path, uint64_t* size) override;
  std::vector<std::string> files(const std::string& tier) override;

 private:
  S3BlockingClient client_;
  std::string prefix_;
  std::vector<S3Object> objects_;  // keys without the prefix
};

}  // namespace logship
