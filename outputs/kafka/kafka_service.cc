#include "outputs/kafka/kafka_service.h"

#include <cstring>

#include "agent/core/log.h"

namespace logship {

KafkaOutcome classifyKafkaError(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return KafkaOutcome::kDelivered;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return KafkaOutcome::kQueueFull;
    case RD_KAFKA_RESP_ERR__FATAL:
      return KafkaOutcome::kFatal;
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
      return KafkaOutcome::kPurged;
    // The message itself can never be accepted: retrying would stall the output forever.
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return KafkaOutcome::kRejected;
    // Everything else (timeouts, unknown topic or partition, authorization, brokers down) may
    // heal: the message is produced again after a backoff.
    default:
      return KafkaOutcome::kRetry;
  }
}

std::string_view kafkaRejectReason(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return "message_too_large";
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
      return "invalid_topic";
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
      return "invalid_timestamp";
    default:
      return "invalid_message";
  }
}

KafkaProducer::KafkaProducer(KafkaProducerSettings settings, KafkaDeliveryListener& listener)
    : settings_(std::move(settings)), listener_(listener) {}

KafkaProducer::~KafkaProducer() { close(); }

rd_kafka_conf_t* KafkaProducer::buildConf(std::string* error) const {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  std::vector<std::pair<std::string, std::string>> all = {
      {"bootstrap.servers", settings_.brokers},
      {"enable.idempotence", "true"},
      {"compression.codec", settings_.compression},
  };
  for (auto& kv : settings_.librdkafka) all.emplace_back(kv);
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

std::string KafkaProducer::validate(const KafkaProducerSettings& settings) {
  struct Ignore final : KafkaDeliveryListener {
    void onDelivery(void*, rd_kafka_resp_err_t) override {}
    void onKafkaError(rd_kafka_resp_err_t, std::string_view) override {}
  } ignore;
  KafkaProducer probe(settings, ignore);
  std::string error;
  rd_kafka_conf_t* conf = probe.buildConf(&error);
  if (conf) rd_kafka_conf_destroy(conf);
  return error;
}

bool KafkaProducer::open(std::string* error) {
  if (rk_) return true;
  rd_kafka_conf_t* conf = buildConf(error);
  if (!conf) return false;
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaProducer::onDeliveryReport);
  rd_kafka_conf_set_error_cb(conf, &KafkaProducer::onError);
  rd_kafka_conf_set_log_cb(conf, &KafkaProducer::onLog);
  char errstr[512];
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk_) {
    *error = errstr;
    rd_kafka_conf_destroy(conf);
    return false;
  }
  return true;
}

void KafkaProducer::close() {
  for (auto& [name, rkt] : topics_) rd_kafka_topic_destroy(rkt);
  topics_.clear();
  if (rk_) rd_kafka_destroy(rk_);
  rk_ = nullptr;
}

rd_kafka_topic_t* KafkaProducer::topicHandle(std::string_view name) {
  for (auto& [known, rkt] : topics_) {
    if (known == name) return rkt;
  }
  std::string copy(name);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, copy.c_str(), nullptr);
  if (rkt) topics_.emplace_back(std::move(copy), rkt);
  return rkt;
}

rd_kafka_resp_err_t KafkaProducer::produce(const KafkaRecord& record, void* opaque) {
  rd_kafka_topic_t* rkt = topicHandle(record.topic);
  if (!rkt) return rd_kafka_last_error();
  vus_.clear();
  auto add = [this](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
    rd_kafka_vu_t& vu = vus_.emplace_back();
    vu.vtype = type;
    return vu;
  };
  add(RD_KAFKA_VTYPE_RKT).u.rkt = rkt;
  add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
  rd_kafka_vu_t& value = add(RD_KAFKA_VTYPE_VALUE);
  value.u.mem.ptr = const_cast<char*>(record.value.data());
  value.u.mem.size = record.value.size();
  if (!record.key.empty()) {
    rd_kafka_vu_t& key = add(RD_KAFKA_VTYPE_KEY);
    key.u.mem.ptr = const_cast<char*>(record.key.data());
    key.u.mem.size = record.key.size();
  }
  for (size_t i = 0; i < record.header_count; ++i) {
    rd_kafka_vu_t& h = add(RD_KAFKA_VTYPE_HEADER);
    h.u.header.name = record.headers[i].name.data();  // names are NUL-terminated std::strings
    h.u.header.val = record.headers[i].value.data();
    h.u.header.size = static_cast<ssize_t>(record.headers[i].value.size());
  }
  add(RD_KAFKA_VTYPE_OPAQUE).u.ptr = opaque;
  rd_kafka_error_t* error = rd_kafka_produceva(rk_, vus_.data(), vus_.size());
  if (!error) return RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_resp_err_t err = rd_kafka_error_code(error);
  rd_kafka_error_destroy(error);
  return err;
}

int KafkaProducer::poll(int timeout_ms) { return rk_ ? rd_kafka_poll(rk_, timeout_ms) : 0; }

rd_kafka_resp_err_t KafkaProducer::flush(int timeout_ms) {
  return rk_ ? rd_kafka_flush(rk_, timeout_ms) : RD_KAFKA_RESP_ERR_NO_ERROR;
}

void KafkaProducer::purge() {
  if (rk_) rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

int KafkaProducer::outstanding() const { return rk_ ? rd_kafka_outq_len(rk_) : 0; }

rd_kafka_resp_err_t KafkaProducer::fatalError(std::string* reason) const {
  if (!rk_) return RD_KAFKA_RESP_ERR_NO_ERROR;
  char errstr[512] = "";
  rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk_, errstr, sizeof errstr);
  if (reason) *reason = errstr;
  return err;
}

void KafkaProducer::onDeliveryReport(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  static_cast<KafkaProducer*>(opaque)->listener_.onDelivery(msg->_private, msg->err);
}

void KafkaProducer::onError(rd_kafka_t*, int err, const char* reason, void* opaque) {
  static_cast<KafkaProducer*>(opaque)->listener_.onKafkaError(static_cast<rd_kafka_resp_err_t>(err),
                                                              reason ? reason : "");
}

void KafkaProducer::onLog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  // Runs on librdkafka's threads; the agent's log is safe to call from any thread.
  if (level > 4) return;  // notices and debug chatter stay out of the agent log
  auto* self = static_cast<KafkaProducer*>(rd_kafka_opaque(rk));
  std::string line = (self ? self->settings_.log_prefix : std::string("kafka: ")) + "librdkafka " +
                     fac + ": " + buf;
  // Broker connection failures come at LOG_ERR; the agent keeps going, so they are warnings.
  if (level <= 2) {
    logError(line);
  } else {
    logWarn(line);
  }
}

}  // namespace logship
