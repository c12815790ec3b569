#include "agent/sources/kafka/kafka_source.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstring>

#include "agent/core/log.h"
#include "agent/support/json_writer.h"
#include "agent/support/stable_hash.h"

namespace logship {

KafkaSource::KafkaSource(KafkaSourceConfig config, BuildContext& ctx)
    : config_(std::move(config)), id_(ctx.id), decoder_(ctx.global) {}

KafkaSource::~KafkaSource() {
  // The context may be gone already; closing still commits, without metrics.
  context_ = nullptr;
  closeConsumer();
}

rd_kafka_conf_t* KafkaSource::buildConf(std::string* error) const {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  std::vector<std::pair<std::string, std::string>> all = {
      {"bootstrap.servers", config_.brokers},
      {"group.id", config_.group_id},
      {"partition.assignment.strategy", "cooperative-sticky"},
      // Offsets are committed by the source, only for delivered messages.
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", config_.start_at == "end" ? "latest" : "earliest"},
      // librdkafka prefetches up to 64 MiB per consumer by default: a quarter keeps the agent's
      // memory bounded and still hides the fetch latency.
      {"queued.max.messages.kbytes", "16384"},
  };
  for (auto& kv : config_.librdkafka) all.emplace_back(kv);
  for (auto& [key, value] : all) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      *error = "librdkafka option '" + key + "': " + errstr;
      rd_kafka_conf_destroy(conf);
      return nullptr;
    }
  }
  return conf;
}

std::string KafkaSource::validate(const KafkaSourceConfig& config) {
  GlobalConfig global;
  Diagnostics diag;
  ConfigNode node;
  BuildContext ctx{"", global, diag, node};
  KafkaSource probe(config, ctx);
  std::string error;
  if (rd_kafka_conf_t* conf = probe.buildConf(&error)) rd_kafka_conf_destroy(conf);
  return error;
}

bool KafkaSource::open() {
  std::string error;
  rd_kafka_conf_t* conf = buildConf(&error);
  if (!conf) {
    logError("kafka source '" + id_ + "': " + error);
    return false;
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(conf, &KafkaSource::rebalanceCallback);
  rd_kafka_conf_set_offset_commit_cb(conf, &KafkaSource::commitCallback);
  rd_kafka_conf_set_log_cb(conf, &KafkaSource::logCallback);
  char errstr[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    logError("kafka source '" + id_ + "': cannot create the consumer: " + errstr);
    return false;
  }
  rd_kafka_poll_set_consumer(rk_);
  rd_kafka_topic_partition_list_t* topics =
      rd_kafka_topic_partition_list_new(static_cast<int>(config_.topics.size()));
  for (const std::string& t : config_.topics) {
    rd_kafka_topic_partition_list_add(topics, t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err) {
    logError("kafka source '" + id_ + "': cannot subscribe: " + rd_kafka_err2str(err));
    return false;
  }
  return true;
}

void KafkaSource::start(SourceContext& context) {
  context_ = &context;
  pump_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  commit_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  if (!open()) {
    context.metrics().error("consumer_create_failed");
    return;
  }
  schedulePump(std::chrono::nanoseconds(0));
  scheduleCommit();
}

void KafkaSource::schedulePump(std::chrono::nanoseconds after) {
  pump_timer_->expires_after(after);
  pump_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopped_) pump();
  });
}

void KafkaSource::scheduleCommit() {
  commit_timer_->expires_after(config_.commit_interval);
  commit_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    commit(nullptr, true);
    {
      // Retired partitions whose batches all came back are gone for good. Only here, between
      // poll rounds: a round may still hold a partition retired during it.
      std::lock_guard lock(partitions_mutex_);
      std::erase_if(retired_, [](const std::unique_ptr<Partition>& p) {
        return !p->tracker || p->tracker->pending() == 0;
      });
    }
    scheduleCommit();
  });
}

KafkaSource::Partition& KafkaSource::partitionFor(const char* topic, int32_t partition) {
  std::lock_guard lock(partitions_mutex_);
  auto& slot = active_[{topic, partition}];
  if (!slot) {
    // A message of a partition the rebalance callback has not announced (eager protocol races):
    // track it all the same.
    slot = std::make_unique<Partition>();
    slot->topic = topic;
    slot->partition = partition;
  }
  return *slot;
}

void KafkaSource::pump() {
  setPaused(context_->downstreamFull());
  // Messages of one poll round, grouped by partition in read order.
  std::vector<std::pair<Partition*, std::vector<rd_kafka_message_t*>>> groups;
  size_t count = 0;
  size_t bytes = 0;
  while (count < static_cast<size_t>(config_.batch_events) && bytes < config_.batch_bytes.bytes) {
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk_, 0);
    if (!msg) break;
    if (msg->err) {
      if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        context_->metrics().error("consumer_error");
        logWarn("kafka source '" + id_ + "': " + rd_kafka_message_errstr(msg));
      }
      rd_kafka_message_destroy(msg);
      continue;
    }
    Partition& p = partitionFor(rd_kafka_topic_name(msg->rkt), msg->partition);
    auto it = groups.begin();
    while (it != groups.end() && it->first != &p) ++it;
    if (it == groups.end()) it = groups.insert(groups.end(), {&p, {}});
    it->second.push_back(msg);
    ++count;
    bytes += msg->len;
  }
  for (auto& [p, messages] : groups) emit(*p, messages);
  if (stopped_) return;
  bool more =
      count >= static_cast<size_t>(config_.batch_events) || bytes >= config_.batch_bytes.bytes;
  schedulePump(more && !paused_ ? std::chrono::nanoseconds(0) : config_.poll_interval);
}

void KafkaSource::emit(Partition& p, std::vector<rd_kafka_message_t*>& messages) {
  const size_t max_message = config_.max_message_bytes.bytes;
  auto kept = [max_message](const rd_kafka_message_t* m) { return std::min(m->len, max_message); };
  size_t size = 0;
  for (auto* m : messages) size += kept(m);
  // simdjson reads up to its padding past the last payload.
  size_t capacity = size + simdjson::SIMDJSON_PADDING;
  auto raw = std::make_unique_for_overwrite<char[]>(capacity);
  std::memset(raw.get() + size, 0, simdjson::SIMDJSON_PADDING);
  size_t at = 0;
  for (auto* m : messages) {
    if (m->len) std::memcpy(raw.get() + at, m->payload, kept(m));
    at += kept(m);
  }
  int64_t first = messages.front()->offset;
  int64_t last = messages.back()->offset;
  if (!p.tracker) {
    p.tracker = std::make_unique<OrderedAckTracker>(
        static_cast<uint64_t>(first),
        [&p](uint64_t end) { p.acked.store(static_cast<int64_t>(end)); });
  }
  p.read = last + 1;
  Batch batch(std::move(raw), size, p.tracker->track(static_cast<uint64_t>(last + 1)));
  // Offsets count per partition: what detect knows it counted, after a rebalance or a restart.
  batch.setStream(stableHash(p.topic + ":" + std::to_string(p.partition)) | 1);
  batch.events().reserve(messages.size());
  std::string_view all = batch.raw();
  at = 0;
  size_t parse_errors = 0;
  size_t truncated = 0;
  for (auto* m : messages) {
    Event& e = batch.events().emplace_back();
    std::string_view payload = all.substr(at, kept(m));
    if (m->len > max_message) {
      e.message = payload;
      e.flags |= Event::kTruncated;
      ++truncated;
    } else if (config_.format == "json") {
      if (!decoder_.decode(batch, e, payload, capacity - at)) ++parse_errors;
    } else {
      e.message = payload;
    }
    if (e.timestamp_ns == 0) {
      int64_t ms = rd_kafka_message_timestamp(m, nullptr);
      e.timestamp_ns = ms > 0 ? ms * 1000000 : 0;
    }
    e.offset = static_cast<uint64_t>(m->offset);
    at += kept(m);
    rd_kafka_message_destroy(m);
  }
  messages.clear();
  messages_read_ += batch.events().size();
  if (parse_errors) context_->metrics().error("json_parse_error");
  if (truncated) context_->metrics().discarded("truncated_line", truncated);
  context_->metrics().received(batch.events().size(), size);
  context_->emit(std::move(batch));
}

void KafkaSource::setPaused(bool paused) {
  if (paused == paused_ || !rk_) return;
  rd_kafka_topic_partition_list_t* assignment = nullptr;
  if (rd_kafka_assignment(rk_, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR && assignment) {
    if (paused) {
      rd_kafka_pause_partitions(rk_, assignment);
    } else {
      rd_kafka_resume_partitions(rk_, assignment);
    }
    rd_kafka_topic_partition_list_destroy(assignment);
  }
  paused_ = paused;
}

void KafkaSource::commit(const rd_kafka_topic_partition_list_t* only, bool async) {
  if (!rk_) return;
  rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(8);
  {
    std::lock_guard lock(partitions_mutex_);
    for (auto& [key, p] : active_) {
      if (only && !rd_kafka_topic_partition_list_find(only, p->topic.c_str(), p->partition)) {
        continue;
      }
      int64_t acked = p->acked.load();
      if (acked <= p->committed) continue;
      rd_kafka_topic_partition_list_add(offsets, p->topic.c_str(), p->partition)->offset = acked;
      p->committed = acked;
    }
  }
  if (offsets->cnt > 0) {
    rd_kafka_resp_err_t err = rd_kafka_commit(rk_, offsets, async ? 1 : 0);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      if (context_) context_->metrics().error("commit_failed");
      logWarn("kafka source '" + id_ + "': offset commit failed: " + rd_kafka_err2str(err));
      std::lock_guard lock(partitions_mutex_);
      for (auto& [key, p] : active_) p->committed = -1;  // committed again next time
    }
  }
  rd_kafka_topic_partition_list_destroy(offsets);
}

void KafkaSource::onRebalance(rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t* partitions) {
  bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    {
      std::lock_guard lock(partitions_mutex_);
      for (int i = 0; i < partitions->cnt; ++i) {
        auto& slot = active_[{partitions->elems[i].topic, partitions->elems[i].partition}];
        if (slot) continue;
        slot = std::make_unique<Partition>();
        slot->topic = partitions->elems[i].topic;
        slot->partition = partitions->elems[i].partition;
      }
    }
    logInfo("kafka source '" + id_ + "': assigned " + std::to_string(partitions->cnt) +
            " partition(s)");
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_, partitions)) {
        logWarn("kafka source '" + id_ + "': assign failed: " + rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(rk_, partitions);
    }
    if (paused_) rd_kafka_pause_partitions(rk_, partitions);
    return;
  }
  // Revoked or lost: commit what was delivered (unless the partitions are already someone
  // else's), then retire them: acks of their batches still in flight commit nothing.
  if (!rd_kafka_assignment_lost(rk_)) commit(partitions, false);
  {
    std::lock_guard lock(partitions_mutex_);
    for (int i = 0; i < partitions->cnt; ++i) {
      auto it = active_.find({partitions->elems[i].topic, partitions->elems[i].partition});
      if (it == active_.end()) continue;
      retired_.push_back(std::move(it->second));
      active_.erase(it);
    }
  }
  logInfo("kafka source '" + id_ + "': revoked " + std::to_string(partitions->cnt) +
          " partition(s)");
  if (cooperative) {
    if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk_, partitions)) {
      rd_kafka_error_destroy(e);
    }
  } else {
    rd_kafka_assign(rk_, nullptr);
  }
}

void KafkaSource::stop() {
  stopped_ = true;
  if (pump_timer_) pump_timer_->cancel();
  if (commit_timer_) commit_timer_->cancel();
}

void KafkaSource::saveState() {
  if (!rk_) return;
  commit(nullptr, false);
  if (stopped_) closeConsumer();
}

void KafkaSource::closeConsumer() {
  if (!rk_) return;
  // Leaving the group now hands the partitions over at once instead of after a session timeout;
  // the revocation it triggers commits what was delivered.
  rd_kafka_consumer_close(rk_);
  rd_kafka_destroy(rk_);
  rk_ = nullptr;
}

std::string KafkaSource::statusJson() const {
  std::string out = "{\"messages_read\":" + std::to_string(messages_read_) + ",\"partitions\":[";
  std::lock_guard lock(partitions_mutex_);
  bool first = true;
  for (auto& [key, p] : active_) {
    if (!first) out += ',';
    first = false;
    out += "{\"topic\":";
    json::appendString(out, p->topic);
    out += ",\"partition\":" + std::to_string(p->partition) +
           ",\"read\":" + std::to_string(p->read) +
           ",\"acked\":" + std::to_string(p->acked.load()) +
           ",\"committed\":" + std::to_string(p->committed) + "}";
  }
  out += "],\"paused\":";
  out += paused_ ? "true" : "false";
  return out + "}";
}

void KafkaSource::rebalanceCallback(rd_kafka_t*, rd_kafka_resp_err_t err,
                                    rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<KafkaSource*>(opaque)->onRebalance(err, partitions);
}

void KafkaSource::commitCallback(rd_kafka_t*, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t*, void* opaque) {
  if (!err || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  auto* self = static_cast<KafkaSource*>(opaque);
  if (self->context_) self->context_->metrics().error("commit_failed");
  logWarn("kafka source '" + self->id_ + "': offset commit failed: " + rd_kafka_err2str(err));
  std::lock_guard lock(self->partitions_mutex_);
  for (auto& [key, p] : self->active_) p->committed = -1;
}

void KafkaSource::logCallback(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  if (level > 4) return;
  auto* self = static_cast<KafkaSource*>(rd_kafka_opaque(rk));
  std::string line =
      "kafka source '" + (self ? self->id_ : std::string()) + "': librdkafka " + fac + ": " + buf;
  // Broker connection failures come at LOG_ERR; the agent keeps going, so they are warnings.
  if (level <= 2) {
    logError(line);
  } else {
    logWarn(line);
  }
}

}  // namespace logship
