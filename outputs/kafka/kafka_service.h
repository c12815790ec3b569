#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "outputs/kafka/kafka_encoder.h"

namespace logship {

// What a produce() call or a delivery report means for the message.
enum class KafkaOutcome : uint8_t {
  kDelivered,  // acknowledged by all in-sync replicas
  kQueueFull,  // librdkafka's local queue is full: keep the message, poll, try again
  kRetry,      // transient: produce the message again after a backoff
  kRejected,   // permanent for this message (too large, invalid topic): dead-letter it
  kFatal,      // the idempotent producer is unusable: recreate it, re-produce what is unacked
  kPurged,     // removed from the queue on request (shutdown or recreation)
};

KafkaOutcome classifyKafkaError(rd_kafka_resp_err_t err);
// The `reason` label for a rejected message.
std::string_view kafkaRejectReason(rd_kafka_resp_err_t err);

// Receives delivery reports and errors; called from poll(), on the caller's thread.
class KafkaDeliveryListener {
 public:
  virtual void onDelivery(void* opaque, rd_kafka_resp_err_t err) = 0;
  virtual void onKafkaError(rd_kafka_resp_err_t err, std::string_view reason) = 0;

 protected:
  ~KafkaDeliveryListener() = default;
};

struct KafkaProducerSettings {
  std::string brokers;
  std::string compression = "zstd";
  std::map<std::string, std::string> librdkafka;  // applied last, so they win
  std::string log_prefix;
};

// An idempotent librdkafka producer: one handle, cached topic handles, delivery reports routed to a
// listener. Not thread-safe: one thread produces and polls.
class KafkaProducer {
 public:
  KafkaProducer(KafkaProducerSettings settings, KafkaDeliveryListener& listener);
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // Checks every option against librdkafka without connecting; returns the first error or "".
  static std::string validate(const KafkaProducerSettings& settings);

  bool open(std::string* error);
  // Destroys the handle; call purge() and poll() first so no report is left behind.
  void close();
  bool isOpen() const { return rk_ != nullptr; }

  // Queues one message; `opaque` comes back in its delivery report.
  rd_kafka_resp_err_t produce(const KafkaRecord& record, void* opaque);
  int poll(int timeout_ms);
  rd_kafka_resp_err_t flush(int timeout_ms);
  // Removes queued and in-flight messages; each gets a purge report on the next poll().
  void purge();
  int outstanding() const;
  // The underlying fatal error, if one was raised.
  rd_kafka_resp_err_t fatalError(std::string* reason) const;
  rd_kafka_t* handle() { return rk_; }

 private:
  rd_kafka_conf_t* buildConf(std::string* error) const;
  rd_kafka_topic_t* topicHandle(std::string_view name);
  static void onDeliveryReport(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  static void onError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static void onLog(const rd_kafka_t* rk, int level, const char* fac, const char* buf);

  KafkaProducerSettings settings_;
  KafkaDeliveryListener& listener_;
  rd_kafka_t* rk_ = nullptr;
  std::vector<std::pair<std::string, rd_kafka_topic_t*>> topics_;
  std::vector<rd_kafka_vu_t> vus_;
};

}  // namespace logship
