#pragma once

#include <zstd.h>

#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <thread>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "outputs/archive/archive_config.h"
#include "outputs/archive/archive_manifest.h"
#include "outputs/archive/archive_upload.h"
#include "outputs/archive/segment_frames.h"
#include "outputs/common/ndjson_encoder.h"

namespace prometheus {
class Counter;
class Gauge;
}  // namespace prometheus

namespace logship {

// The local, tamper-evident archive. Events are grouped by tier and UTC day into segment files of
// zstd frames holding NDJSON (one frame per batch, so a torn write loses at most the last frame
// and `zstd -d` reads a segment as it is). A segment is sealed when it reaches its size or age:
// its SHA-256 goes into the tier's MANIFEST, chained to the previous record, and optionally the
// manifest is HMAC'd. A periodic sweep deletes segments past their tier's retention (unless the
// tier has legal_hold) and records each deletion in the chain. Batches are acknowledged once
// fsynced.
class ArchiveOutput final : public Sink {
 public:
  using Clock = std::function<int64_t()>;  // wall clock, ns since the epoch

  ArchiveOutput(ArchiveOutputConfig config, BuildContext& ctx);
  ~ArchiveOutput() override;

  void start(ComponentContext& context) override;
  void consume(SharedBatch batch, AckToken ack) override;
  void stop() override;
  bool healthy() const override { return healthy_; }
  std::string lastError() const override { return last_error_.get(); }
  std::string destination() const override { return config_.path; }

  // Deletes what retention allows as of now; returns the number of segments deleted.
  size_t sweepRetention();
  // Seals every open segment (also done at stop()).
  void sealAll();
  void setClockForTest(Clock clock) { clock_ = std::move(clock); }
  // Starts with the upload bucket reached through `transport` (tests).
  void startWith(ComponentContext& context, std::shared_ptr<HttpTransport> upload_transport);
  const ArchiveUploader* uploader() const { return uploader_.get(); }

 private:
  struct Segment {
    std::string tier;
    std::string day;
    uint64_t seq = 0;
    std::string rel;  // "<day>/<seq>.ndjson.zst"
    int fd = -1;
    uint64_t bytes = 0;
    uint64_t raw_bytes = 0;
    uint64_t events = 0;
    int64_t first_ns = 0;
    int64_t last_ns = 0;
    int64_t opened_ns = 0;
  };
  struct Tier {
    std::string name;
    std::string dir;
    Duration retention{};
    bool legal_hold = false;
    uint64_t next_seq = 1;
    std::string chain = archive::kGenesis;
    std::vector<archive::Record> records;
    prometheus::Counter* written_bytes = nullptr;
    prometheus::Counter* raw_bytes = nullptr;
  };

  Tier& tierFor(uint8_t index);
  void loadTier(Tier& tier);
  Segment& segmentFor(Tier& tier, const std::string& day);
  bool appendFrame(Segment& segment, std::string_view ndjson, size_t events, int64_t first,
                   int64_t last);
  void seal(Segment& segment);
  void appendRecord(Tier& tier, archive::Record record);
  void recoverOpenSegments(Tier& tier);
  void flushAcks();
  void scheduleFsync();
  void scheduleSweep();
  // Seals open segments once they reach max_segment_age, also when no more events come.
  void scheduleAgeCheck();
  // When the tier's retention lets `last_ns` go: the lock of an uploaded copy ends then.
  int64_t retainUntil(const Tier& tier, int64_t last_ns) const;
  void resumeUploads();
  void scheduleVerify(Duration after);
  // Runs on its own thread: verifies the archive, publishes the result.
  void verifyInBackground();

  ArchiveOutputConfig config_;
  std::vector<TierSpec> tier_specs_;
  ComponentContext* context_ = nullptr;
  NdjsonEncoder encoder_;
  std::string hmac_key_;
  std::optional<KeyRing> keys_;  // encryption at rest
  Clock clock_;
  ZSTD_CCtx* zstd_ = nullptr;
  std::map<std::string, Tier> tiers_;
  std::map<std::string, Segment> open_;  // "<tier>/<day>" -> its open segment
  std::vector<AckToken> unsynced_;       // written, waiting for the next fsync
  std::vector<int> dirty_fds_;
  std::string line_buffer_;
  std::string frame_buffer_;
  std::unique_ptr<boost::asio::steady_timer> fsync_timer_;
  std::unique_ptr<boost::asio::steady_timer> sweep_timer_;
  std::unique_ptr<boost::asio::steady_timer> age_timer_;
  bool age_check_scheduled_ = false;
  std::unique_ptr<ArchiveUploader> uploader_;
  std::unique_ptr<boost::asio::steady_timer> verify_timer_;
  std::thread verifier_;
  std::atomic<bool> verifying_{false};  // retention waits while a verification reads the files
  std::atomic<bool> stopping_{false};
  std::string id_;
  prometheus::Gauge* chain_ok_ = nullptr;
  prometheus::Gauge* verified_at_ = nullptr;
  prometheus::Gauge* verify_problems_ = nullptr;
  bool fsync_scheduled_ = false;
  std::atomic<bool> healthy_{true};
  LastError last_error_;
  prometheus::Gauge* ratio_ = nullptr;
  prometheus::Counter* segments_sealed_ = nullptr;
  prometheus::Counter* deletions_ = nullptr;
  uint64_t total_raw_ = 0;
  uint64_t total_written_ = 0;
};

}  // namespace logship
