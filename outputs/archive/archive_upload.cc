#include "outputs/archive/archive_upload.h"

#include <fcntl.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "agent/core/log.h"
#include "agent/support/digest.h"

namespace logship {

namespace {

// Parts of a large segment are read from the file one at a time: memory stays at one part.
constexpr size_t kPartBytes = 8u << 20;

}  // namespace

const OptionTable<ArchiveUploadConfig>& ArchiveUploadConfig::options() {
  static const OptionTable<ArchiveUploadConfig> table = [] {
    OptionTable<ArchiveUploadConfig> t;
    addS3ConnectionOptions(t);
    t.optional("key_prefix", &ArchiveUploadConfig::key_prefix,
               "Prefix of the object keys; below it the archive's own layout "
               "(<tier>/<day>/<seq>.ndjson.zst, <tier>/MANIFEST).")
        .oneOf("object_lock", &ArchiveUploadConfig::object_lock, {"", "COMPLIANCE", "GOVERNANCE"},
               "Store each object locked in this mode until its tier's retention ends (the "
               "bucket must have Object Lock enabled).")
        .oneOf("server_side_encryption", &ArchiveUploadConfig::server_side_encryption,
               {"", "AES256", "aws:kms"}, "Encryption S3 applies at rest.")
        .optional("ssekms_key_id", &ArchiveUploadConfig::ssekms_key_id,
                  "aws:kms: the KMS key (id or ARN).")
        .optional("storage_class", &ArchiveUploadConfig::storage_class,
                  "STANDARD, STANDARD_IA, GLACIER_IR ... (default STANDARD).")
        .optional("max_backoff", &ArchiveUploadConfig::max_backoff,
                  "Longest wait between two tries of an upload (it is tried until it succeeds).")
        .check([](const ArchiveUploadConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (!c.key_prefix.empty() && !c.key_prefix.ends_with('/')) {
            diag.error(node["key_prefix"].location(), "key_prefix must end with /");
          }
        });
    return t;
  }();
  return table;
}

ArchiveUploader::ArchiveUploader(ArchiveUploadConfig config, S3Settings settings,
                                 std::string archive_root)
    : config_(std::move(config)), settings_(std::move(settings)), root_(std::move(archive_root)) {}

ArchiveUploader::~ArchiveUploader() = default;

void ArchiveUploader::start(ComponentContext& context, std::shared_ptr<HttpTransport> transport) {
  context_ = &context;
  id_ = std::string(context.id());
  transport_ = std::move(transport);
  client_.emplace(transport_, settings_);
  backoff_.emplace(std::min<Duration>(std::chrono::milliseconds(500), config_.max_backoff),
                   config_.max_backoff);
  timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  auto& registry = context.metricsRegistry();
  auto& uploads = prometheus::BuildCounter()
                      .Name("logship_archive_uploads_total")
                      .Help("Archive segments and manifests copied to the upload bucket.")
                      .Register(registry);
  uploaded_ = &uploads.Add({{"component_id", id_}});
  uploaded_bytes_ = &prometheus::BuildCounter()
                         .Name("logship_archive_uploaded_bytes_total")
                         .Help("Bytes of archive files copied to the upload bucket.")
                         .Register(registry)
                         .Add({{"component_id", id_}});
  retries_ = &prometheus::BuildCounter()
                  .Name("logship_archive_upload_retries_total")
                  .Help("Archive upload requests sent again after a failure.")
                  .Register(registry)
                  .Add({{"component_id", id_}});
  backlog_ = &prometheus::BuildGauge()
                  .Name("logship_archive_upload_backlog")
                  .Help("Archive files sealed but not yet in the upload bucket.")
                  .Register(registry)
                  .Add({{"component_id", id_}});
}

void ArchiveUploader::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
  if (transport_) transport_->shutdown();
}

void ArchiveUploader::segmentSealed(const std::string& tier, const std::string& file,
                                    int64_t retain_until_ns) {
  enqueue(tier + "/" + file, retain_until_ns);
  enqueueManifest(tier, retain_until_ns);
}

void ArchiveUploader::manifestChanged(const std::string& tier, int64_t retain_until_ns) {
  enqueueManifest(tier, retain_until_ns);
}

void ArchiveUploader::enqueue(const std::string& path, int64_t retain_until_ns) {
  Job job;
  job.path = path;
  job.retain_until_ns = retain_until_ns;
  queue_.push_back(std::move(job));
  if (backlog_) backlog_->Set(static_cast<double>(queue_.size()));
  pump();
}

void ArchiveUploader::enqueueManifest(const std::string& tier, int64_t retain_until_ns) {
  // One waiting copy of a manifest is enough: it is read when its turn comes.
  const std::string manifest = tier + "/" + archive::kManifestName;
  for (size_t i = busy_ ? 1 : 0; i < queue_.size(); ++i) {
    if (queue_[i].path == manifest) {
      queue_[i].retain_until_ns = std::max(queue_[i].retain_until_ns, retain_until_ns);
      return;
    }
  }
  enqueue(manifest, retain_until_ns);
  if (::access((root_ + "/" + tier + "/" + archive::kManifestHmacName).c_str(), F_OK) == 0) {
    enqueue(tier + "/" + archive::kManifestHmacName, retain_until_ns);
  }
}

bool ArchiveUploader::waiting(const std::string& tier, const std::string& file) const {
  const std::string path = tier + "/" + file;
  return std::any_of(queue_.begin(), queue_.end(), [&](const Job& j) { return j.path == path; });
}

void ArchiveUploader::resume(const std::string& tier,
                             std::vector<std::pair<std::string, int64_t>> live,
                             int64_t manifest_retain_until_ns) {
  listTier(tier, "", std::make_shared<std::map<std::string, uint64_t>>(), std::move(live),
           manifest_retain_until_ns);
}

void ArchiveUploader::listTier(const std::string& tier, std::string token,
                               std::shared_ptr<std::map<std::string, uint64_t>> keys,
                               std::vector<std::pair<std::string, int64_t>> live,
                               int64_t manifest_retain) {
  client_->listObjects(
      keyFor(tier + "/"), token,
      [this, tier, keys, live = std::move(live), manifest_retain](S3Listing&& listing) mutable {
        if (stopped_) return;
        if (!listing.result.ok) {
          // Not knowing what the bucket holds, upload everything again: at worst a duplicate.
          logWarn("archive '" + id_ + "': cannot list the upload bucket (" +
                  listing.result.message + "); uploading tier " + tier + " again in full");
          keys->clear();
        } else if (!listing.next_token.empty()) {
          for (auto& o : listing.objects) (*keys)[o.key] = o.size;
          listTier(tier, listing.next_token, keys, std::move(live), manifest_retain);
          return;
        } else {
          for (auto& o : listing.objects) (*keys)[o.key] = o.size;
        }
        size_t missing = 0;
        for (auto& [file, retain] : live) {
          const std::string path = tier + "/" + file;
          // There whole, or not at all: an upload cut by a stop may have left a short object.
          struct stat st {};
          auto have = keys->find(keyFor(path));
          const bool whole = have != keys->end() &&
                             ::stat((root_ + "/" + path).c_str(), &st) == 0 &&
                             have->second == static_cast<uint64_t>(st.st_size);
          if (whole || waiting(tier, file)) continue;
          enqueue(path, retain);
          ++missing;
        }
        if (missing > 0) {
          logInfo("archive '" + id_ + "': " + std::to_string(missing) + " segment(s) of tier " +
                  tier + " are not in the upload bucket yet; uploading");
        }
        enqueueManifest(tier, manifest_retain);
      });
}

S3ObjectOptions ArchiveUploader::optionsFor(const Job& job) const {
  S3ObjectOptions o;
  o.content_type = job.path.ends_with(".zst") ? "application/zstd" : "application/x-ndjson";
  o.server_side_encryption = config_.server_side_encryption;
  o.kms_key_id = config_.ssekms_key_id;
  o.storage_class = config_.storage_class;
  if (!config_.object_lock.empty() && job.retain_until_ns > 0) {
    o.lock_mode = config_.object_lock;
    o.lock_retain_until = job.retain_until_ns;
  }
  return o;
}

std::optional<std::string> ArchiveUploader::readPart(const Job& job, uint64_t offset, size_t n,
                                                     std::string* error) const {
  const std::string path = root_ + "/" + job.path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

void ArchiveUploader::pump() {
  if (busy_ || stopped_ || queue_.empty() || !client_) return;
  busy_ = true;
  Job& job = queue_.front();
  struct stat st {};
  if (::stat((root_ + "/" + job.path).c_str(), &st) != 0) {
    // Deleted before its turn (retention of a tier with nothing to keep): nothing to copy.
    logWarn("archive '" + id_ + "': " + job.path + " is gone before it was uploaded");
    done();
    return;
  }
  job.size = static_cast<uint64_t>(st.st_size);
  job.upload_id.clear();
  job.etags.clear();
  step();
}

// One request of the front job: a PutObject, or the next step of a multipart upload.
void ArchiveUploader::step() {
  Job& job = queue_.front();
  const std::string key = keyFor(job.path);
  const S3ObjectOptions options = optionsFor(job);
  const bool locked = !options.lock_mode.empty();
  std::string error;
  if (job.size <= kPartBytes) {
    auto body = readPart(job, 0, job.size, &error);
    if (!body) return onResult(S3Result{false, true, 0, "read", error, {}, {}}, {});
    // A manifest grows while it waits; what is uploaded is what was read now.
    job.size = body->size();
    client_->putObject(key, std::make_shared<const std::string>(std::move(*body)), options,
                       [this](S3Result&& r) { onResult(std::move(r), [this] { done(); }); });
    return;
  }
  if (job.upload_id.empty()) {
    client_->createMultipartUpload(key, options, [this](S3Result&& r) {
      std::string id = r.body;
      onResult(std::move(r), [this, id] {
        queue_.front().upload_id = id;
        step();
      });
    });
    return;
  }
  const uint64_t offset = job.etags.size() * kPartBytes;
  if (offset < job.size) {
    auto piece = readPart(job, offset, std::min<uint64_t>(kPartBytes, job.size - offset), &error);
    if (!piece) return onResult(S3Result{false, true, 0, "read", error, {}, {}}, {});
    client_->uploadPart(key, job.upload_id, static_cast<int>(job.etags.size()) + 1,
                        std::make_shared<const std::string>(std::move(*piece)), locked,
                        [this](S3Result&& r) {
                          std::string etag = r.etag;
                          onResult(std::move(r), [this, etag] {
                            queue_.front().etags.push_back(etag);
                            step();
                          });
                        });
    return;
  }
  client_->completeMultipartUpload(key, job.upload_id, job.etags, [this](S3Result&& r) {
    onResult(std::move(r), [this] { done(); });
  });
}

void ArchiveUploader::onResult(S3Result&& result, std::function<void()> next) {
  if (stopped_) return;
  Job& job = queue_.front();
  if (result.ok) {
    job.attempt = 0;
    if (failing_) {
      failing_ = false;
      logInfo("archive '" + id_ + "': uploading to s3://" + settings_.bucket + " again");
    }
    next();
    return;
  }
  // The local archive keeps the file: an upload is tried until it is stored, whatever the error.
  if (!failing_) {
    failing_ = true;
    logWarn("archive '" + id_ + "': cannot upload " + job.path + " to s3://" + settings_.bucket +
            "/" + keyFor(job.path) + " (" + result.message + "); trying again");
  }
  if (!job.upload_id.empty() && !result.retryable) {
    client_->abortMultipartUpload(keyFor(job.path), job.upload_id, [](S3Result&&) {});
    job.upload_id.clear();
    job.etags.clear();
  }
  retries_->Increment();
  timer_->expires_after(backoff_->delay(job.attempt++));
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    step();
  });
}

void ArchiveUploader::done() {
  if (uploaded_ && queue_.front().size > 0) {
    uploaded_->Increment();
    uploaded_bytes_->Increment(static_cast<double>(queue_.front().size));
  }
  queue_.pop_front();
  busy_ = false;
  if (backlog_) backlog_->Set(static_cast<double>(queue_.size()));
  pump();
}

S3ArchiveStore::S3ArchiveStore(S3Settings settings, std::string prefix)
    : client_(std::move(settings)), prefix_(std::move(prefix)) {}

bool S3ArchiveStore::open(std::string* error) {
  if (!client_.init(error)) return false;
  std::vector<S3Object> all;
  if (!client_.list(prefix_, &all, error)) return false;
  for (S3Object& o : all) {
    o.key = o.key.substr(prefix_.size());
    objects_.push_back(std::move(o));
  }
  return true;
}

std::vector<std::string> S3ArchiveStore::tiers() {
  std::set<std::string> out;
  const std::string manifest = std::string("/") + archive::kManifestName;
  for (const S3Object& o : objects_) {
    if (o.key.ends_with(manifest) && o.key.find('/') == o.key.size() - manifest.size()) {
      out.insert(o.key.substr(0, o.key.size() - manifest.size()));
    }
  }
  return {out.begin(), out.end()};
}

std::optional<std::string> S3ArchiveStore::read(const std::string& path) {
  S3Result r = client_.get(prefix_ + path);
  if (!r.ok) return std::nullopt;
  return std::move(r.body);
}

std::optional<std::string> S3ArchiveStore::sha256(const std::string& path, uint64_t* size) {
  auto body = read(path);
  if (!body) return std::nullopt;
  *size = body->size();
  return sha256Hex(*body);
}

std::vector<std::string> S3ArchiveStore::files(const std::string& tier) {
  std::vector<std::string> out;
  const std::string under = tier + "/";
  for (const S3Object& o : objects_) {
    if (!o.key.starts_with(under)) continue;
    std::string rel = o.key.substr(under.size());
    if (rel == archive::kManifestName || rel == archive::kManifestHmacName) continue;
    out.push_back(std::move(rel));
  }
  return out;
}

}  // namespace logship
