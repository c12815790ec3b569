#pragma once

#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "outputs/common/backoff.h"
#include "outputs/common/compression.h"
#include "outputs/common/dead_letter.h"
#include "outputs/common/http_config.h"
#include "outputs/common/ndjson_encoder.h"
#include "outputs/common/s3_client.h"
#include "outputs/common/template.h"
#include "outputs/s3/s3_config.h"

namespace prometheus {
class Counter;
}

namespace logship {

// Writes events as objects of NDJSON to S3. Events are grouped by their rendered key_prefix; a
// group's object is stored once it holds max_object_bytes or max_object_age passed (or at
// shutdown), with PutObject, or multipart when its compressed size exceeds part_bytes. A batch is
// acknowledged when every object holding some of its events is stored (Delivered), or refused for
// good (Rejected, the events dead-lettered); uploads are retried with backoff.
class S3Output final : public Sink {
 public:
  S3Output(S3OutputConfig config, BuildContext& ctx);
  ~S3Output() override;

  void start(ComponentContext& context) override;
  // Tests give their own transport.
  void startWith(ComponentContext& context, std::shared_ptr<HttpTransport> transport,
                 S3Client::Clock clock, std::function<double()> jitter);
  void consume(SharedBatch batch, AckToken ack) override;
  void flush() override;
  void stop() override;
  bool healthy() const override { return healthy_; }
  std::string lastError() const override { return last_error_.get(); }
  std::string destination() const override;

 private:
  struct Input {
    SharedBatch batch;
    AckToken ack;
    uint32_t objects = 0;  // objects holding some of its events, not yet settled
    AckStatus worst = AckStatus::kDelivered;
  };
  struct Object {
    std::string prefix;
    std::string ndjson;
    std::vector<std::pair<Input*, uint32_t>> events;
    std::vector<Input*> inputs;
    int64_t retain_ns = 0;  // the longest retention of its events' tiers
    std::chrono::steady_clock::time_point opened;
    // Upload state.
    std::string key;
    std::shared_ptr<const std::string> body;
    std::string upload_id;
    std::vector<std::string> etags;
    uint32_t attempt = 0;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  void seal(const std::string& prefix);
  void pump();
  void upload(Object* object);
  void step(Object* object);
  void onResult(Object* object, S3Result&& result, std::function<void()> next);
  void finish(Object* object, AckStatus status, const std::string& why);
  void armAgeTimer();
  S3ObjectOptions optionsFor(const Object& object) const;

  S3OutputConfig config_;
  S3ObjectLockConfig lock_;
  HttpRetryConfig retry_;
  S3Settings settings_;
  std::vector<Duration> tier_retention_;
  Duration longest_retention_{0};
  OutputTemplate prefix_;
  NdjsonEncoder encoder_;
  Compression compression_ = Compression::kGzip;
  ComponentContext* context_ = nullptr;
  std::string id_;
  std::shared_ptr<HttpTransport> transport_;
  std::optional<S3Client> client_;
  std::optional<Backoff> backoff_;
  std::optional<DeadLetterFile> dead_letter_;
  Compressor compressor_;
  std::mt19937_64 random_;

  std::map<std::string, std::unique_ptr<Object>> open_;  // by prefix
  std::deque<std::unique_ptr<Object>> sealed_;            // waiting for an upload slot
  std::map<Object*, std::unique_ptr<Object>> uploading_;
  std::unique_ptr<boost::asio::steady_timer> age_timer_;
  bool age_timer_armed_ = false;
  bool stopped_ = false;
  std::atomic<bool> healthy_{true};
  LastError last_error_;
  std::string scratch_;
  prometheus::Counter* stored_ = nullptr;
  prometheus::Counter* rejected_ = nullptr;
  prometheus::Counter* stored_bytes_ = nullptr;
  prometheus::Counter* retries_ = nullptr;
};

}  // namespace logship
