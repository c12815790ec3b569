#pragma once

// In-process peers for the kafka tests: librdkafka's mock cluster (the real protocol, no mock of
// ours), a plain consumer that reads a topic back, and a component context running on a thread.
#include <librdkafka/rdkafka.h>
// After rdkafka.h, which it relies on.
#include <librdkafka/rdkafka_mock.h>
#include <prometheus/registry.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/component.h"

namespace logship::testing {

class MockCluster {
 public:
  explicit MockCluster(int brokers = 3) : brokers_(brokers) {
    char errstr[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof errstr);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    cluster_ = rd_kafka_mock_cluster_new(rk_, brokers);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(rk_);
  }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void createTopic(const std::string& name, int partitions) {
    rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, brokers_);
  }
  void setAllBrokers(bool up) {
    for (int id = 1; id <= brokers_; ++id) {
      if (up) {
        rd_kafka_mock_broker_set_up(cluster_, id);
      } else {
        rd_kafka_mock_broker_set_down(cluster_, id);
      }
    }
  }
  void setRtt(int ms) {
    for (int id = 1; id <= brokers_; ++id) rd_kafka_mock_broker_set_rtt(cluster_, id, ms);
  }
  rd_kafka_mock_cluster_t* get() { return cluster_; }

 private:
  int brokers_;
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

struct ReadMessage {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// Reads `topic` from the beginning of every partition until `want` messages arrived or `timeout`.
inline std::vector<ReadMessage> readTopic(
    const std::string& bootstraps, const std::string& topic, size_t want,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "group.id", ("reader-" + topic).c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  rd_kafka_poll_set_consumer(rk);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  rd_kafka_metadata(rk, 0, rkt, &md, 5000);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(8);
  if (md && md->topic_cnt == 1) {
    for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
      rd_kafka_topic_partition_list_add(parts, topic.c_str(), md->topics[0].partitions[i].id)
          ->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  std::vector<ReadMessage> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (!m->err) {
      ReadMessage r;
      r.partition = m->partition;
      r.offset = m->offset;
      if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); ++i) {
          r.headers[name] = std::string(static_cast<const char*>(value), size);
        }
      }
      out.push_back(std::move(r));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

class RecordingMetrics final : public ComponentMetrics {
 public:
  void received(uint64_t, uint64_t) override {}
  void sent(uint64_t events, uint64_t) override { sent_events += events; }
  void discarded(std::string_view reason, uint64_t events) override {
    std::lock_guard lock(mutex);
    discards[std::string(reason)] += events;
  }
  void error(std::string_view reason) override {
    std::lock_guard lock(mutex);
    errors[std::string(reason)]++;
  }
  uint64_t errorCount(const std::string& reason) {
    std::lock_guard lock(mutex);
    return errors[reason];
  }
  uint64_t discardCount(const std::string& reason) {
    std::lock_guard lock(mutex);
    return discards[reason];
  }
  std::atomic<uint64_t> sent_events{0};
  std::mutex mutex;
  std::map<std::string, uint64_t> discards;
  std::map<std::string, uint64_t> errors;
};

// A component context whose io_context runs on a thread of its own; a source's batches are kept.
class ThreadContext final : public SourceContext {
 public:
  ThreadContext(GlobalConfig global, std::string id = "kafka")
      : global_(std::move(global)), id_(std::move(id)), work_(io_.get_executor()) {
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ThreadContext() override {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  std::string_view id() const override { return id_; }
  const GlobalConfig& global() const override { return global_; }
  ComponentMetrics& metrics() override { return metrics_; }
  prometheus::Registry& metricsRegistry() override { return registry_; }
  boost::asio::io_context& io() override { return io_; }
  void emit(Batch&& batch) override {
    std::lock_guard lock(mutex_);
    batches_.push_back(std::move(batch));
  }
  bool downstreamFull() const override { return full_.load(); }
  void finished() override {}

  // Runs `fn` on the context's thread and waits for it.
  template <class Fn>
  void run(Fn fn) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }
  std::vector<Batch> takeBatches() {
    std::lock_guard lock(mutex_);
    return std::move(batches_);
  }
  size_t eventCount() {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (auto& b : batches_) n += b.events().size();
    return n;
  }

  RecordingMetrics metrics_;
  std::atomic<bool> full_{false};

 private:
  GlobalConfig global_;
  std::string id_;
  prometheus::Registry registry_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Batch> batches_;
};

// Waits until `predicate` holds or `timeout` passes; returns the predicate's last value.
template <class Predicate>
bool eventually(Predicate predicate,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

}  // namespace logship::testing
