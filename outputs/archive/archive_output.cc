#include "outputs/archive/archive_output.h"

#include <fcntl.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "agent/core/log.h"
#include "agent/support/digest.h"
#include "agent/support/files.h"
#include "agent/support/timestamp.h"
#include "outputs/common/http_client.h"

namespace logship {

namespace fs = std::filesystem;
using archive::Record;

namespace {

constexpr const char* kUntiered = "_untiered";
constexpr const char* kOpenSuffix = ".open";

void fsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

ArchiveOutput::ArchiveOutput(ArchiveOutputConfig config, BuildContext& ctx)
    : config_(std::move(config)),
      tier_specs_(ctx.global.tiers),
      encoder_(ctx.global),
      clock_(timestamp::nowNs) {
  if (!config_.key_file.empty()) {
    std::string error;
    if (!readSecretFile(config_.key_file, SecretForm::kBytes, hmac_key_, error)) {
      ctx.diag.error(ctx.node["key_file"].location(), error);
    }
  }
  if (config_.upload.defined()) {
    static const std::vector<std::string_view> kNoReserved;
    ArchiveUploadConfig upload =
        ArchiveUploadConfig::options().parse(config_.upload, ctx.diag, kNoReserved);
    S3Settings settings;
    if (parseS3Settings(upload, config_.upload, ctx.diag, &settings)) {
      uploader_ = std::make_unique<ArchiveUploader>(std::move(upload), std::move(settings),
                                                    config_.path);
    }
  }
  if (!config_.encryption_key_file.empty()) {
    KeyRing keys;
    std::string error;
    if (KeyRing::load(config_.encryption_key_file, &keys, &error)) {
      keys_ = std::move(keys);
    } else {
      ctx.diag.error(ctx.node["encryption_key_file"].location(), error);
    }
  }
  zstd_ = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel,
                         static_cast<int>(config_.compression_level));
  ZSTD_CCtx_setParameter(zstd_, ZSTD_c_checksumFlag, 1);
}

ArchiveOutput::~ArchiveOutput() {
  if (verifier_.joinable()) verifier_.join();
  for (auto& [key, s] : open_) {
    if (s.fd >= 0) ::close(s.fd);
  }
  ZSTD_freeCCtx(zstd_);
}

void ArchiveOutput::start(ComponentContext& context) {
  std::shared_ptr<HttpTransport> transport;
  if (uploader_) {
    const S3Settings& s3 = uploader_->settings();
    HttpClientSettings http;
    http.endpoint = s3.endpoint;
    http.tls = s3.tls;
    http.connect_timeout = s3.connect_timeout;
    http.request_timeout = s3.request_timeout;
    auto client = std::make_shared<BeastHttpClient>(context.io(), std::move(http));
    std::string error;
    if (!client->init(&error)) logWarn("archive '" + std::string(context.id()) + "': " + error);
    transport = std::move(client);
  }
  startWith(context, std::move(transport));
}

void ArchiveOutput::startWith(ComponentContext& context,
                              std::shared_ptr<HttpTransport> upload_transport) {
  context_ = &context;
  id_ = std::string(context.id());
  if (uploader_) uploader_->start(context, std::move(upload_transport));
  auto& registry = context.metricsRegistry();
  std::string id(context.id());
  ratio_ = &prometheus::BuildGauge()
                .Name("logship_archive_compression_ratio")
                .Help("Raw NDJSON bytes per compressed byte written by the archive.")
                .Register(registry)
                .Add({{"component_id", id}});
  segments_sealed_ = &prometheus::BuildCounter()
                          .Name("logship_archive_segments_sealed_total")
                          .Help("Archive segments sealed into their tier's manifest.")
                          .Register(registry)
                          .Add({{"component_id", id}});
  deletions_ = &prometheus::BuildCounter()
                    .Name("logship_archive_retention_deletions_total")
                    .Help("Archive segments deleted because their tier's retention passed.")
                    .Register(registry)
                    .Add({{"component_id", id}});
  std::error_code ec;
  fs::create_directories(config_.path, ec);
  fsync_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  sweep_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  age_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  // Tiers already on disk get their chain back and their unsealed segments sealed.
  for (auto& entry : fs::directory_iterator(config_.path, ec)) {
    if (!entry.is_directory()) continue;
    std::string name = entry.path().filename().string();
    int index = -1;
    for (size_t i = 0; i < tier_specs_.size(); ++i) {
      if (tier_specs_[i].name == name) index = static_cast<int>(i);
    }
    if (index >= 0 || name == kUntiered) tierFor(index < 0 ? kNoTier : static_cast<uint8_t>(index));
  }
  chain_ok_ = &prometheus::BuildGauge()
                   .Name("logship_archive_chain_ok")
                   .Help("1 when the archive's last self-verification found every chain and "
                         "segment intact, 0 when it found a problem (the agent's log names it).")
                   .Register(registry)
                   .Add({{"component_id", id}});
  verified_at_ = &prometheus::BuildGauge()
                      .Name("logship_archive_last_verify_timestamp_seconds")
                      .Help("When the archive last verified itself (Unix time).")
                      .Register(registry)
                      .Add({{"component_id", id}});
  verify_problems_ = &prometheus::BuildGauge()
                          .Name("logship_archive_verify_problems")
                          .Help("Problems the archive's last self-verification found.")
                          .Register(registry)
                          .Add({{"component_id", id}});
  resumeUploads();
  scheduleSweep();
  verify_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  if (config_.verify_interval.count() > 0) {
    scheduleVerify(std::min<Duration>(std::chrono::minutes(1), config_.verify_interval));
  }
}

void ArchiveOutput::scheduleVerify(Duration after) {
  verify_timer_->expires_after(after);
  verify_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (!verifying_.exchange(true)) {
      if (verifier_.joinable()) verifier_.join();
      verifier_ = std::thread([this] { verifyInBackground(); });
    }
    scheduleVerify(config_.verify_interval);
  });
}

void ArchiveOutput::verifyInBackground() {
  archive::VerifyReport report;
  if (!archive::directoryStore(config_.path)->tiers().empty()) {  // else nothing written yet
    report = archive::verifyArchive(config_.path, hmac_key_, &stopping_);
  }
  if (!report.problems.empty() && !report.cancelled) {
    // The output may have been appending to a MANIFEST or its HMAC as they were read: what is
    // real is still there a moment later.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    report = archive::verifyArchive(config_.path, hmac_key_, &stopping_);
  }
  if (!report.cancelled) {
    for (const std::string& p : report.problems) {
      logError("archive '" + id_ + "': verification: " + p);
    }
    chain_ok_->Set(report.problems.empty() ? 1 : 0);
    verify_problems_->Set(static_cast<double>(report.problems.size()));
    verified_at_->Set(static_cast<double>(timestamp::nowNs()) / 1e9);
  }
  verifying_ = false;
}

int64_t ArchiveOutput::retainUntil(const Tier& tier, int64_t last_ns) const {
  if (tier.retention.count() <= 0) return 0;  // kept for ever: no end to lock until
  // S3 takes no retain-until in the past: what is already due (a backfill) is held a day.
  constexpr int64_t kDayNs = 86400LL * 1'000'000'000;
  return std::max(last_ns + tier.retention.count(), clock_() + kDayNs);
}

void ArchiveOutput::resumeUploads() {
  if (!uploader_) return;
  for (auto& [name, tier] : tiers_) {
    std::map<std::string, int64_t> live;
    for (const Record& r : tier.records) {
      if (r.kind == Record::Kind::kSegment) {
        live[r.file] = retainUntil(tier, r.last_ns);
      } else {
        live.erase(r.file);
      }
    }
    uploader_->resume(name, {live.begin(), live.end()}, retainUntil(tier, clock_()));
  }
}

ArchiveOutput::Tier& ArchiveOutput::tierFor(uint8_t index) {
  std::string name = index < tier_specs_.size() ? tier_specs_[index].name : kUntiered;
  auto it = tiers_.find(name);
  if (it != tiers_.end()) return it->second;
  Tier& t = tiers_[name];
  t.name = name;
  t.dir = config_.path + "/" + name;
  if (index < tier_specs_.size()) {
    t.retention = tier_specs_[index].retention;
    t.legal_hold = tier_specs_[index].legal_hold;
  }
  auto& written = prometheus::BuildCounter()
                      .Name("logship_archive_written_bytes_total")
                      .Help("Compressed bytes the archive wrote, per tier.")
                      .Register(context_->metricsRegistry());
  auto& raw = prometheus::BuildCounter()
                  .Name("logship_archive_raw_bytes_total")
                  .Help("NDJSON bytes the archive compressed, per tier.")
                  .Register(context_->metricsRegistry());
  t.written_bytes = &written.Add({{"component_id", std::string(context_->id())}, {"tier", name}});
  t.raw_bytes = &raw.Add({{"component_id", std::string(context_->id())}, {"tier", name}});
  loadTier(t);
  return t;
}

void ArchiveOutput::loadTier(Tier& tier) {
  std::error_code ec;
  fs::create_directories(tier.dir, ec);
  std::string error;
  tier.records = archive::readManifest(tier.dir, &error);
  if (!error.empty()) {
    logWarn("archive '" + std::string(context_->id()) + "': " + tier.dir + "/MANIFEST " + error);
  }
  for (const Record& r : tier.records) {
    tier.next_seq = std::max(tier.next_seq, r.seq + 1);
    tier.chain = r.chain;
  }
  recoverOpenSegments(tier);
}

void ArchiveOutput::recoverOpenSegments(Tier& tier) {
  std::error_code ec;
  for (auto& day : fs::directory_iterator(tier.dir, ec)) {
    if (!day.is_directory()) continue;
    for (auto& f : fs::directory_iterator(day.path(), ec)) {
      std::string name = f.path().filename().string();
      if (!name.ends_with(kOpenSuffix)) continue;
      // Keep the whole frames; a frame cut by a crash is dropped (its batch was never acked).
      std::ifstream in(f.path(), std::ios::binary);
      std::string data((std::istreambuf_iterator<char>(in)), {});
      size_t valid = 0;
      Segment s;
      s.tier = tier.name;
      s.day = day.path().filename().string();
      s.rel = s.day + "/" + name.substr(0, name.size() - std::strlen(kOpenSuffix));
      s.seq = std::strtoull(name.c_str(), nullptr, 10);
      std::string plain;
      std::string error;
      for (;;) {
        const archive::FrameRead read = archive::readFrame(
            data, valid, keys_ ? &*keys_ : nullptr, s.rel, plain, &error);
        if (read == archive::FrameRead::kNoKey) {
          // Cannot be read, so cannot be counted: sealed as it is, never cut.
          logWarn("archive: " + f.path().string() + ": " + error);
          valid = data.size();
          break;
        }
        if (read != archive::FrameRead::kOk) break;
        s.raw_bytes += plain.size();
        for (size_t at = 0; at < plain.size();) {
          size_t nl = plain.find('\n', at);
          if (nl == std::string::npos) break;
          ++s.events;
          // Lines start with {"@timestamp":"<RFC 3339>"; keys are sorted.
          if (auto ts = timestamp::parseRfc3339(std::string_view(plain).substr(at + 15, 30))) {
            if (s.first_ns == 0 || *ts < s.first_ns) s.first_ns = *ts;
            s.last_ns = std::max(s.last_ns, *ts);
          }
          at = nl + 1;
        }
      }
      if (valid < data.size()) {
        logWarn("archive: " + f.path().string() + ": dropped " +
                std::to_string(data.size() - valid) + " bytes of a frame cut short");
        ::truncate(f.path().c_str(), static_cast<off_t>(valid));
      }
      s.bytes = valid;
      s.fd = ::open(f.path().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
      tier.next_seq = std::max(tier.next_seq, s.seq + 1);
      seal(s);
    }
  }
}

ArchiveOutput::Segment& ArchiveOutput::segmentFor(Tier& tier, const std::string& day) {
  std::string key = tier.name + "/" + day;
  auto it = open_.find(key);
  if (it != open_.end()) {
    Segment& s = it->second;
    bool full = s.bytes >= config_.max_segment_bytes.bytes;
    bool old = clock_() - s.opened_ns >= config_.max_segment_age.count();
    if (!full && !old) return s;
    seal(s);
    open_.erase(it);
  }
  Segment s;
  s.tier = tier.name;
  s.day = day;
  s.seq = tier.next_seq++;
  char name[32];
  std::snprintf(name, sizeof name, "%08llu.ndjson.zst", static_cast<unsigned long long>(s.seq));
  s.rel = day + "/" + name;
  std::error_code ec;
  fs::create_directories(tier.dir + "/" + day, ec);
  std::string path = tier.dir + "/" + s.rel + kOpenSuffix;
  s.fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  s.opened_ns = clock_();
  return open_[key] = s;
}

bool ArchiveOutput::appendFrame(Segment& segment, std::string_view ndjson, size_t events,
                                int64_t first, int64_t last) {
  if (segment.fd < 0) return false;
  frame_buffer_.resize(ZSTD_compressBound(ndjson.size()));
  size_t n = ZSTD_compress2(zstd_, frame_buffer_.data(), frame_buffer_.size(), ndjson.data(),
                            ndjson.size());
  if (ZSTD_isError(n)) return false;
  std::string_view frame(frame_buffer_.data(), n);
  std::string sealed;
  if (keys_) {
    sealed = archive::sealFrame(frame, keys_->currentId(), *keys_->key(keys_->currentId()),
                                segment.rel, segment.bytes);
    frame = sealed;
    n = sealed.size();
  }
  if (writeAll(segment.fd, frame) != n) {
    // Never leave half a frame behind: cut the segment back to where it was.
    int ignored = ::ftruncate(segment.fd, static_cast<off_t>(segment.bytes));
    (void)ignored;
    return false;
  }
  segment.bytes += n;
  segment.raw_bytes += ndjson.size();
  segment.events += events;
  if (segment.first_ns == 0 || first < segment.first_ns) segment.first_ns = first;
  segment.last_ns = std::max(segment.last_ns, last);
  Tier& tier = tiers_[segment.tier];
  tier.written_bytes->Increment(static_cast<double>(n));
  tier.raw_bytes->Increment(static_cast<double>(ndjson.size()));
  total_raw_ += ndjson.size();
  total_written_ += n;
  ratio_->Set(static_cast<double>(total_raw_) / static_cast<double>(total_written_));
  dirty_fds_.push_back(segment.fd);
  return true;
}

void ArchiveOutput::consume(SharedBatch batch, AckToken ack) {
  // Group the batch by tier and day; nearly always a single group.
  struct Group {
    uint8_t tier;
    std::string day;
    std::vector<const Event*> events;
  };
  std::vector<Group> groups;
  for (const Event& e : batch->events()) {
    std::string day = timestamp::utcDate(e.timestamp_ns);
    Group* g = nullptr;
    for (Group& candidate : groups) {
      if (candidate.tier == e.tier && candidate.day == day) g = &candidate;
    }
    if (g == nullptr) g = &groups.emplace_back(Group{e.tier, day, {}});
    g->events.push_back(&e);
  }
  for (Group& g : groups) {
    line_buffer_.clear();
    int64_t first = g.events.front()->timestamp_ns, last = first;
    for (const Event* e : g.events) {
      encoder_.encodeEvent(*batch, *e, line_buffer_);
      first = std::min(first, e->timestamp_ns);
      last = std::max(last, e->timestamp_ns);
    }
    Tier& tier = tierFor(g.tier);
    Segment& segment = segmentFor(tier, g.day);
    if (!appendFrame(segment, line_buffer_, g.events.size(), first, last)) {
      // Disk full or gone: the batch stays unacknowledged and is read again after a restart;
      // the output reports itself unhealthy so /readyz and the alert rules show it.
      healthy_ = false;
      context_->metrics().error("write_failed");
      std::string why =
          "cannot write " + tier.dir + "/" + segment.rel + ": " + std::strerror(errno);
      logWarn("archive '" + std::string(context_->id()) + "': " + why);
      last_error_.set(why);
      ack.resolve(AckStatus::kErrored);
      return;
    }
  }
  healthy_ = true;
  context_->metrics().sent(batch->events().size(), line_buffer_.size());
  unsynced_.push_back(std::move(ack));
  if (config_.fsync_interval.count() == 0) {
    flushAcks();
  } else {
    scheduleFsync();
  }
  scheduleAgeCheck();
}

void ArchiveOutput::scheduleAgeCheck() {
  if (age_check_scheduled_ || open_.empty() || !age_timer_) return;
  int64_t oldest = std::numeric_limits<int64_t>::max();
  for (auto& [key, s] : open_) oldest = std::min(oldest, s.opened_ns);
  const int64_t wait = std::max<int64_t>(0, oldest + config_.max_segment_age.count() - clock_());
  age_check_scheduled_ = true;
  age_timer_->expires_after(std::chrono::nanoseconds(wait));
  age_timer_->async_wait([this](const boost::system::error_code& ec) {
    age_check_scheduled_ = false;
    if (ec) return;
    const int64_t now = clock_();
    for (auto it = open_.begin(); it != open_.end();) {
      if (now - it->second.opened_ns >= config_.max_segment_age.count()) {
        seal(it->second);
        it = open_.erase(it);
      } else {
        ++it;
      }
    }
    flushAcks();
    scheduleAgeCheck();
  });
}

void ArchiveOutput::flushAcks() {
  std::sort(dirty_fds_.begin(), dirty_fds_.end());
  dirty_fds_.erase(std::unique(dirty_fds_.begin(), dirty_fds_.end()), dirty_fds_.end());
  for (int fd : dirty_fds_) ::fdatasync(fd);
  dirty_fds_.clear();
  for (AckToken& a : unsynced_) a.resolve(AckStatus::kDelivered);
  unsynced_.clear();
}

void ArchiveOutput::scheduleFsync() {
  if (fsync_scheduled_) return;
  fsync_scheduled_ = true;
  fsync_timer_->expires_after(config_.fsync_interval);
  fsync_timer_->async_wait([this](const boost::system::error_code& ec) {
    fsync_scheduled_ = false;
    if (!ec) flushAcks();
  });
}

void ArchiveOutput::scheduleSweep() {
  sweep_timer_->expires_after(config_.retention_check_interval);
  sweep_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    sweepRetention();
    scheduleSweep();
  });
}

void ArchiveOutput::seal(Segment& segment) {
  if (segment.fd >= 0) {
    ::fdatasync(segment.fd);
    std::erase(dirty_fds_, segment.fd);
    ::close(segment.fd);
    segment.fd = -1;
  }
  Tier& tier = tiers_[segment.tier];
  std::string open_path = tier.dir + "/" + segment.rel + kOpenSuffix;
  std::string path = tier.dir + "/" + segment.rel;
  if (segment.events == 0) {
    ::unlink(open_path.c_str());
    return;
  }
  ::rename(open_path.c_str(), path.c_str());
  fsyncDir(tier.dir + "/" + segment.day);
  Record r;
  r.seq = segment.seq;
  r.file = segment.rel;
  r.sha256 = fileSha256(path, &r.bytes).value_or("");
  r.raw_bytes = segment.raw_bytes;
  r.events = segment.events;
  r.first_ns = segment.first_ns;
  r.last_ns = segment.last_ns;
  r.at_ns = clock_();
  if (keys_) r.key_id = keys_->currentId();
  const std::string file = r.file;
  const int64_t retain_until = retainUntil(tier, r.last_ns);
  appendRecord(tier, std::move(r));
  if (segments_sealed_) segments_sealed_->Increment();
  if (uploader_) uploader_->segmentSealed(tier.name, file, retain_until);
}

void ArchiveOutput::appendRecord(Tier& tier, Record record) {
  record.chain = archive::chainNext(tier.chain, record);
  std::string manifest = tier.dir + "/" + archive::kManifestName;
  int fd = ::open(manifest.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  std::string line = record.toJson() + "\n";
  if (fd < 0 || writeAll(fd, line) != line.size() || ::fdatasync(fd) != 0) {
    std::string why = "cannot append to " + manifest + ": " + std::strerror(errno);
    logError("archive: " + why);
    last_error_.set(why);
    healthy_ = false;
  }
  if (fd >= 0) ::close(fd);
  tier.chain = record.chain;
  tier.records.push_back(std::move(record));
  if (!hmac_key_.empty()) {
    std::ifstream in(manifest, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    std::string tmp = tier.dir + "/" + archive::kManifestHmacName + ".tmp";
    std::ofstream(tmp, std::ios::trunc) << hmacSha256Hex(hmac_key_, text) << "\n";
    ::rename(tmp.c_str(), (tier.dir + "/" + archive::kManifestHmacName).c_str());
  }
}

void ArchiveOutput::sealAll() {
  for (auto& [key, s] : open_) seal(s);
  open_.clear();
  flushAcks();
}

size_t ArchiveOutput::sweepRetention() {
  size_t deleted = 0;
  if (verifying_) return 0;  // the next sweep deletes it
  int64_t now = clock_();
  for (auto& [name, tier] : tiers_) {
    if (tier.retention.count() <= 0 || tier.legal_hold) continue;
    std::map<std::string, Record> live;
    for (const Record& r : tier.records) {
      if (r.kind == Record::Kind::kSegment) {
        live[r.file] = r;
      } else {
        live.erase(r.file);
      }
    }
    for (auto& [file, r] : live) {
      if (r.last_ns >= now - tier.retention.count()) continue;
      // Not deleted before the upload bucket has its copy.
      if (uploader_ && uploader_->waiting(name, file)) continue;
      ::unlink((tier.dir + "/" + file).c_str());
      Record d;
      d.kind = Record::Kind::kDeleted;
      d.seq = r.seq;
      d.file = file;
      d.at_ns = now;
      d.reason = "retention";
      appendRecord(tier, std::move(d));
      if (deletions_) deletions_->Increment();
      ++deleted;
      if (uploader_) uploader_->manifestChanged(name, retainUntil(tier, now));
    }
  }
  return deleted;
}

void ArchiveOutput::stop() {
  if (fsync_timer_) fsync_timer_->cancel();
  if (sweep_timer_) sweep_timer_->cancel();
  if (age_timer_) age_timer_->cancel();
  if (verify_timer_) verify_timer_->cancel();
  stopping_ = true;  // a verification running now ends at its next segment
  if (verifier_.joinable()) verifier_.join();
  // What the last seals queue is uploaded at the next start (the bucket is listed then).
  if (uploader_) uploader_->stop();
  sealAll();
}

}  // namespace logship
