#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "outputs/common/dead_letter.h"
#include "outputs/kafka/kafka_config.h"
#include "outputs/kafka/kafka_encoder.h"
#include "outputs/kafka/kafka_service.h"

namespace logship {

// Produces every event as one message through an idempotent producer. A batch's acknowledgement
// follows the delivery reports of all its messages: Delivered when every one was acknowledged,
// Rejected when some were refused for good (those are dead-lettered), and nothing (Errored) when
// the output stops before the reports came. A full librdkafka queue keeps the batch in hand, so
// the output's queue grows and the sources pause; a fatal idempotence error recreates the producer
// and produces what was not yet acknowledged again.
class KafkaOutput final : public Sink, KafkaDeliveryListener {
 public:
  KafkaOutput(KafkaOutputConfig config, BuildContext& ctx);
  ~KafkaOutput() override;

  void start(ComponentContext& context) override;
  void consume(SharedBatch batch, AckToken ack) override;
  void stop() override;
  bool healthy() const override { return healthy_; }
  std::string lastError() const override { return last_error_.get(); }
  std::string destination() const override;

  // The current producer handle, for diagnostics (nullptr while there is none).
  rd_kafka_t* producerHandle() { return producer_.handle(); }

 private:
  struct InFlight;
  enum class SlotState : uint8_t { kUnsent, kQueued, kDelivered, kRejected, kAbandoned };
  struct Slot {
    InFlight* owner;
    SlotState state;
    rd_kafka_resp_err_t error;  // why a rejected message was refused
  };
  struct InFlight {
    SharedBatch batch;
    AckToken ack;
    std::unique_ptr<Slot[]> slots;
    uint32_t count = 0;
    uint32_t cursor = 0;      // no unsent slot before this one
    uint32_t unfinished = 0;  // neither delivered nor rejected yet
    uint32_t rejected = 0;
    uint64_t bytes = 0;
    std::chrono::steady_clock::time_point retry_at{};
  };

  void onDelivery(void* opaque, rd_kafka_resp_err_t err) override;
  void onKafkaError(rd_kafka_resp_err_t err, std::string_view reason) override;

  void pump();
  void tick();
  void schedule(std::chrono::nanoseconds after);
  bool ensureProducer();
  void recreateProducer();
  void requeue(Slot& slot);
  void reject(Slot& slot, rd_kafka_resp_err_t err);
  void resolveFinished();
  bool deadLetter(const InFlight& batch);
  std::chrono::nanoseconds backoff();

  KafkaOutputConfig config_;
  std::string id_;
  std::unique_ptr<DeadLetterFile> dead_letter_;
  std::optional<KafkaEncoder> encoder_;
  KafkaProducer producer_;
  ComponentContext* context_ = nullptr;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool timer_armed_ = false;
  std::chrono::steady_clock::time_point timer_due_{};
  std::deque<std::unique_ptr<InFlight>> batches_;
  size_t queued_ = 0;  // messages handed to librdkafka without a report yet
  bool stopping_ = false;
  bool fatal_ = false;
  bool queue_full_ = false;
  int failures_ = 0;  // consecutive retryable failures, for the backoff
  std::atomic<bool> healthy_{true};
  LastError last_error_;
};

}  // namespace logship
