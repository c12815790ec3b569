#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "agent/core/ack_tracker.h"
#include "agent/core/json_event_decoder.h"
#include "agent/sources/kafka/kafka_config.h"

namespace logship {

// Consumes topics as a member of a consumer group (cooperative rebalancing). Each partition has
// an ordered ack tracker; only offsets whose messages every output acknowledged are committed
// (periodically, on revocation and at shutdown), so a crash re-delivers at most the uncommitted
// window. The consumer is polled by timers on the source's worker, never blocking it; while an
// output downstream is full the assigned partitions are paused.
class KafkaSource final : public Source {
 public:
  KafkaSource(KafkaSourceConfig config, BuildContext& ctx);
  ~KafkaSource() override;

  // Checks every librdkafka option without connecting; returns the first error or "".
  static std::string validate(const KafkaSourceConfig& config);

  void start(SourceContext& context) override;
  void stop() override;
  void saveState() override;
  std::string statusJson() const override;

 private:
  struct Partition {
    std::string topic;
    int32_t partition = 0;
    std::unique_ptr<OrderedAckTracker> tracker;  // from the first message read
    std::atomic<int64_t> acked{-1};              // next offset after the delivered prefix
    int64_t committed = -1;
    int64_t read = -1;  // next offset after the last message read
  };

  rd_kafka_conf_t* buildConf(std::string* error) const;
  bool open();
  void pump();
  void schedulePump(std::chrono::nanoseconds after);
  void scheduleCommit();
  void emit(Partition& p, std::vector<rd_kafka_message_t*>& messages);
  void setPaused(bool paused);
  // Commits acked offsets of the given (or all active) partitions.
  void commit(const rd_kafka_topic_partition_list_t* only, bool async);
  Partition& partitionFor(const char* topic, int32_t partition);
  void onRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  void closeConsumer();

  static void rebalanceCallback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void commitCallback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* offsets, void* opaque);
  static void logCallback(const rd_kafka_t* rk, int level, const char* fac, const char* buf);

  KafkaSourceConfig config_;
  std::string id_;
  JsonEventDecoder decoder_;
  SourceContext* context_ = nullptr;
  rd_kafka_t* rk_ = nullptr;
  std::unique_ptr<boost::asio::steady_timer> pump_timer_;
  std::unique_ptr<boost::asio::steady_timer> commit_timer_;
  // Partitions this member owns now; revoked ones are retired (their late acks commit nothing)
  // and freed once none of their batches is outstanding.
  mutable std::mutex partitions_mutex_;  // for statusJson() from the admin thread
  std::map<std::pair<std::string, int32_t>, std::unique_ptr<Partition>> active_;
  std::vector<std::unique_ptr<Partition>> retired_;
  bool paused_ = false;
  bool stopped_ = false;
  uint64_t messages_read_ = 0;
};

}  // namespace logship
