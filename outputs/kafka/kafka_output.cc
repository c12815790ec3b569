#include "outputs/kafka/kafka_output.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <cstring>

#include "agent/core/log.h"

namespace logship {

namespace {
using Clock = std::chrono::steady_clock;

// How long stop() keeps polling for the reports of purged messages.
constexpr auto kPurgeWait = std::chrono::seconds(2);
}  // namespace

KafkaOutput::KafkaOutput(KafkaOutputConfig config, BuildContext& ctx)
    : config_(std::move(config)),
      id_(ctx.id),
      dead_letter_(std::make_unique<DeadLetterFile>(ctx.global, ctx.id)),
      producer_(KafkaProducerSettings{config_.brokers, config_.compression, config_.librdkafka,
                                      "kafka output '" + ctx.id + "': "},
                *this) {
  std::string error;
  encoder_ = KafkaEncoder::create(config_.topic, config_.key, config_.headers, ctx.global, &error);
  if (!encoder_) ctx.diag.error(ctx.node.location(), error);
}

KafkaOutput::~KafkaOutput() {
  // Reports of a still-open producer point into the batches: the handle goes first.
  producer_.close();
}

std::string KafkaOutput::destination() const { return config_.brokers + " " + config_.topic; }

void KafkaOutput::start(ComponentContext& context) {
  context_ = &context;
  timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  ensureProducer();
}

bool KafkaOutput::ensureProducer() {
  if (producer_.isOpen()) return true;
  std::string error;
  if (producer_.open(&error)) return true;
  logError("kafka output '" + id_ + "': cannot create the producer: " + error + " (retrying)");
  last_error_.set("cannot create the producer: " + error);
  context_->metrics().error("producer_create_failed");
  healthy_ = false;
  return false;
}

void KafkaOutput::consume(SharedBatch batch, AckToken ack) {
  auto f = std::make_unique<InFlight>();
  f->count = static_cast<uint32_t>(batch->events().size());
  f->unfinished = f->count;
  f->slots = std::make_unique<Slot[]>(f->count);
  for (uint32_t i = 0; i < f->count; ++i) {
    f->slots[i] = Slot{f.get(), SlotState::kUnsent, RD_KAFKA_RESP_ERR_NO_ERROR};
  }
  f->batch = std::move(batch);
  f->ack = std::move(ack);
  batches_.push_back(std::move(f));
  if (!queue_full_) pump();
}

void KafkaOutput::pump() {
  if (stopping_) return;
  if (fatal_) recreateProducer();
  if (!ensureProducer()) {
    schedule(backoff());
    return;
  }
  queue_full_ = false;
  auto now = Clock::now();
  Clock::time_point next_retry = Clock::time_point::max();
  for (auto& f : batches_) {
    if (f->cursor == f->count) continue;
    if (f->retry_at > now) {
      next_retry = std::min(next_retry, f->retry_at);
      continue;
    }
    const auto& events = f->batch->events();
    while (f->cursor < f->count) {
      Slot& slot = f->slots[f->cursor];
      if (slot.state != SlotState::kUnsent) {
        ++f->cursor;
        continue;
      }
      KafkaRecord record = encoder_->encode(*f->batch, events[f->cursor]);
      if (!KafkaEncoder::validTopic(record.topic)) {
        reject(slot, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION);
        ++f->cursor;
        continue;
      }
      rd_kafka_resp_err_t err = producer_.produce(record, &slot);
      switch (classifyKafkaError(err)) {
        case KafkaOutcome::kDelivered:  // queued
          slot.state = SlotState::kQueued;
          f->bytes += record.value.size();
          ++queued_;
          ++f->cursor;
          continue;
        case KafkaOutcome::kQueueFull:
          // Keep the batch unresolved: its bytes stay in the output's queue, which pauses the
          // sources; the next poll frees room.
          queue_full_ = true;
          schedule(config_.poll_interval);
          return;
        case KafkaOutcome::kRejected:
          reject(slot, err);
          ++f->cursor;
          continue;
        case KafkaOutcome::kFatal:
          fatal_ = true;
          schedule(config_.poll_interval);
          return;
        case KafkaOutcome::kRetry:
        case KafkaOutcome::kPurged:
          context_->metrics().error("produce_failed");
          f->retry_at = now + backoff();
          next_retry = std::min(next_retry, f->retry_at);
          break;
      }
      break;
    }
  }
  resolveFinished();
  if (queued_ > 0) {
    schedule(config_.poll_interval);
  } else if (next_retry != Clock::time_point::max()) {
    schedule(std::max<Clock::duration>(next_retry - now, config_.poll_interval));
  }
}

void KafkaOutput::schedule(std::chrono::nanoseconds after) {
  auto due = Clock::now() + after;
  if (timer_armed_ && timer_due_ <= due) return;
  timer_armed_ = true;
  timer_due_ = due;
  timer_->expires_at(due);
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: a sooner wake-up replaced this one, or the output stopped
    timer_armed_ = false;
    tick();
  });
}

void KafkaOutput::tick() {
  if (stopping_) return;
  producer_.poll(0);
  resolveFinished();
  pump();
}

void KafkaOutput::onDelivery(void* opaque, rd_kafka_resp_err_t err) {
  auto& slot = *static_cast<Slot*>(opaque);
  if (slot.state != SlotState::kQueued) return;
  --queued_;
  switch (classifyKafkaError(err)) {
    case KafkaOutcome::kDelivered:
      slot.state = SlotState::kDelivered;
      --slot.owner->unfinished;
      failures_ = 0;
      healthy_ = true;
      return;
    case KafkaOutcome::kRejected:
      reject(slot, err);
      return;
    case KafkaOutcome::kFatal:
      fatal_ = true;
      break;
    case KafkaOutcome::kQueueFull:
    case KafkaOutcome::kRetry:
      if (!stopping_) {
        context_->metrics().error("delivery_failed");
        if (failures_++ == 0) {
          last_error_.set(std::string("delivery failed: ") + rd_kafka_err2str(err));
          logWarn("kafka output '" + id_ + "': delivery failed: " + rd_kafka_err2str(err) +
                  " (producing again)");
        }
        slot.owner->retry_at = Clock::now() + backoff();
      }
      break;
    case KafkaOutcome::kPurged:
      break;
  }
  if (stopping_) {
    slot.state = SlotState::kAbandoned;  // stays unacknowledged: re-read after a restart
  } else {
    requeue(slot);
  }
}

void KafkaOutput::onKafkaError(rd_kafka_resp_err_t err, std::string_view reason) {
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    fatal_ = true;
    return;
  }
  context_->metrics().error(err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ? "all_brokers_down"
                                                                       : "client_error");
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
      err == RD_KAFKA_RESP_ERR__RESOLVE) {
    healthy_ = false;
  }
  last_error_.set(std::string(rd_kafka_err2name(err)) + ": " + std::string(reason));
  // Connection failures are already in the log through librdkafka's own FAIL lines.
  if (err == RD_KAFKA_RESP_ERR__TRANSPORT) return;
  logWarn("kafka output '" + id_ + "': " + rd_kafka_err2name(err) + ": " + std::string(reason));
}

void KafkaOutput::requeue(Slot& slot) {
  InFlight& f = *slot.owner;
  slot.state = SlotState::kUnsent;
  f.cursor = std::min<uint32_t>(f.cursor, static_cast<uint32_t>(&slot - f.slots.get()));
}

void KafkaOutput::reject(Slot& slot, rd_kafka_resp_err_t err) {
  slot.state = SlotState::kRejected;
  slot.error = err;
  ++slot.owner->rejected;
  --slot.owner->unfinished;
}

void KafkaOutput::recreateProducer() {
  std::string reason;
  rd_kafka_resp_err_t err = producer_.fatalError(&reason);
  logError("kafka output '" + id_ + "': fatal producer error " +
           (err ? std::string(rd_kafka_err2name(err)) + ": " + reason : std::string("")) +
           "; recreating the producer and producing unacknowledged messages again");
  context_->metrics().error("producer_fatal");
  // Reports that arrive now are final for the old producer: anything not delivered goes again.
  producer_.purge();
  auto deadline = Clock::now() + kPurgeWait;
  while (queued_ > 0 && Clock::now() < deadline) producer_.poll(10);
  producer_.close();
  for (auto& f : batches_) {
    for (uint32_t i = 0; i < f->count; ++i) {
      if (f->slots[i].state == SlotState::kQueued) requeue(f->slots[i]);
    }
  }
  queued_ = 0;
  fatal_ = false;
}

void KafkaOutput::resolveFinished() {
  for (auto it = batches_.begin(); it != batches_.end();) {
    InFlight& f = **it;
    if (f.unfinished != 0) {
      ++it;
      continue;
    }
    uint32_t delivered = f.count - f.rejected;
    if (delivered) context_->metrics().sent(delivered, f.bytes);
    if (f.rejected == 0) {
      f.ack.resolve(AckStatus::kDelivered);
    } else if (deadLetter(f)) {
      f.ack.resolve(AckStatus::kRejected);
    } else {
      f.ack.resolve(AckStatus::kErrored);
    }
    it = batches_.erase(it);
  }
}

bool KafkaOutput::deadLetter(const InFlight& f) {
  for (uint32_t i = 0; i < f.count; ++i) {
    const Slot& slot = f.slots[i];
    if (slot.state != SlotState::kRejected) continue;
    context_->metrics().discarded(kafkaRejectReason(slot.error), 1);
    dead_letter_->add(*f.batch, f.batch->events()[i], static_cast<int>(slot.error),
                      rd_kafka_err2str(slot.error));
  }
  if (dead_letter_->commit()) return true;
  logError("kafka output '" + id_ + "': cannot write the dead-letter file " + dead_letter_->path() +
           ": " + std::strerror(errno));
  context_->metrics().error("dead_letter_failed");
  return false;
}

std::chrono::nanoseconds KafkaOutput::backoff() {
  auto wait = config_.retry_backoff;
  for (int i = 1; i < failures_ && wait < config_.retry_backoff_max; ++i) wait *= 2;
  return std::min(wait, config_.retry_backoff_max);
}

void KafkaOutput::stop() {
  if (stopping_) return;
  stopping_ = true;
  if (timer_) timer_->cancel();
  if (producer_.isOpen()) {
    // What is queued gets until the deadline; unsent messages are not produced any more.
    int flush_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(config_.flush_timeout).count());
    auto deadline = Clock::now() + config_.flush_timeout;
    while (queued_ > 0 && Clock::now() < deadline) {
      producer_.flush(std::min(flush_ms, 100));
    }
    // Every message still in librdkafka gets a final purge report; it stays unacknowledged.
    producer_.purge();
    deadline = Clock::now() + kPurgeWait;
    while (queued_ > 0 && Clock::now() < deadline) producer_.poll(10);
    if (queued_ > 0) {
      logWarn("kafka output '" + id_ + "': " + std::to_string(queued_) +
              " message(s) without a final report at shutdown; they will be re-read");
    }
    resolveFinished();
    producer_.close();
  }
  // Unfinished batches drop their tokens: Errored, so their sources re-read them after a restart.
  batches_.clear();
}

}  // namespace logship
