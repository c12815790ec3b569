#include "outputs/s3/s3_output.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <boost/asio/io_context.hpp>

#include "agent/core/log.h"
#include "agent/support/timestamp.h"
#include "outputs/common/http_client.h"

namespace logship {

namespace {

const std::vector<std::string_view> kNoReserved;

const char* extensionOf(Compression c) {
  return c == Compression::kGzip ? ".ndjson.gz" : c == Compression::kZstd ? ".ndjson.zst" : ".ndjson";
}

}  // namespace

S3Output::S3Output(S3OutputConfig config, BuildContext& ctx)
    : config_(std::move(config)),
      encoder_(ctx.global),
      id_(ctx.id),
      random_(std::random_device{}()) {
  parseS3Settings(config_, ctx.node, ctx.diag, &settings_);
  if (config_.object_lock.defined()) {
    lock_ = S3ObjectLockConfig::options().parse(config_.object_lock, ctx.diag, kNoReserved);
  }
  if (config_.retry.defined()) {
    retry_ = HttpRetryConfig::options().parse(config_.retry, ctx.diag, kNoReserved);
  }
  parseCompression(config_.compression, &compression_);
  std::string error;
  if (!prefix_.compile(config_.key_prefix, /*with_dates=*/true, &error)) {
    ctx.diag.error(ctx.node["key_prefix"].location(), error);
  }
  std::vector<std::string> names;
  for (const TierSpec& t : ctx.global.tiers) {
    names.push_back(t.name);
    tier_retention_.push_back(t.retention);
    longest_retention_ = std::max(longest_retention_, t.retention);
  }
  prefix_.setTierNames(std::move(names));
  if (!lock_.mode.empty() && lock_.retention.count() <= 0 && longest_retention_.count() <= 0) {
    ctx.diag.error(ctx.node["object_lock"].location(),
                   "object_lock needs a retention when no tier is configured");
  }
}

S3Output::~S3Output() = default;

std::string S3Output::destination() const {
  return "s3://" + settings_.bucket + "/" + config_.key_prefix + " at " + settings_.endpoint.url();
}

void S3Output::start(ComponentContext& context) {
  HttpClientSettings http;
  http.endpoint = settings_.endpoint;
  http.tls = settings_.tls;
  http.connect_timeout = settings_.connect_timeout;
  http.request_timeout = settings_.request_timeout;
  http.max_idle_connections = static_cast<size_t>(config_.concurrency);
  auto client = std::make_shared<BeastHttpClient>(context.io(), std::move(http));
  std::string error;
  if (!client->init(&error)) {
    healthy_ = false;
    last_error_.set(error);
    logWarn("s3 output '" + id_ + "': " + error);
  }
  startWith(context, std::move(client), {}, {});
}

void S3Output::startWith(ComponentContext& context, std::shared_ptr<HttpTransport> transport,
                         S3Client::Clock clock, std::function<double()> jitter) {
  context_ = &context;
  transport_ = std::move(transport);
  client_.emplace(transport_, settings_, std::move(clock));
  backoff_.emplace(retry_.initial_backoff, retry_.max_backoff, std::move(jitter));
  dead_letter_.emplace(context.global(), id_);
  age_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  auto& objects = prometheus::BuildCounter()
                      .Name("logship_output_s3_objects_total")
                      .Help("Objects an s3 output stored, or gave up on (rejected).")
                      .Register(context.metricsRegistry());
  stored_ = &objects.Add({{"component_id", id_}, {"result", "stored"}});
  rejected_ = &objects.Add({{"component_id", id_}, {"result", "rejected"}});
  stored_bytes_ = &prometheus::BuildCounter()
                       .Name("logship_output_s3_stored_bytes_total")
                       .Help("Bytes of objects stored (compressed, as in the bucket).")
                       .Register(context.metricsRegistry())
                       .Add({{"component_id", id_}});
  retries_ = &prometheus::BuildCounter()
                  .Name("logship_output_s3_retries_total")
                  .Help("S3 requests sent again after a failure.")
                  .Register(context.metricsRegistry())
                  .Add({{"component_id", id_}});
}

void S3Output::consume(SharedBatch batch, AckToken ack) {
  if (stopped_) return;
  auto* input = new Input{batch, std::move(ack)};
  std::string prefix;
  for (uint32_t i = 0; i < batch->events().size(); ++i) {
    const Event& event = batch->events()[i];
    prefix.clear();
    prefix_.render(*batch, event, prefix);
    auto& slot = open_[prefix];
    if (!slot) {
      slot = std::make_unique<Object>();
      slot->prefix = prefix;
      slot->opened = std::chrono::steady_clock::now();
    }
    Object& object = *slot;
    if (object.inputs.empty() || object.inputs.back() != input) {
      object.inputs.push_back(input);
      ++input->objects;
    }
    object.events.emplace_back(input, i);
    encoder_.encodeEvent(*batch, event, object.ndjson);
    const Duration retention = event.tier < tier_retention_.size() ? tier_retention_[event.tier]
                                                                   : longest_retention_;
    object.retain_ns = std::max<int64_t>(object.retain_ns, retention.count());
    if (object.ndjson.size() >= config_.max_object_bytes.bytes) seal(prefix);
  }
  if (input->objects == 0) {
    input->ack.resolve(AckStatus::kDelivered);
    delete input;
    return;
  }
  armAgeTimer();
  pump();
}

void S3Output::seal(const std::string& prefix) {
  auto it = open_.find(prefix);
  if (it == open_.end()) return;
  sealed_.push_back(std::move(it->second));
  open_.erase(it);
}

void S3Output::armAgeTimer() {
  if (age_timer_armed_ || open_.empty() || stopped_) return;
  auto oldest = std::chrono::steady_clock::time_point::max();
  for (auto& [prefix, object] : open_) oldest = std::min(oldest, object->opened);
  age_timer_armed_ = true;
  age_timer_->expires_at(oldest + config_.max_object_age);
  age_timer_->async_wait([this](const boost::system::error_code& ec) {
    age_timer_armed_ = false;
    if (ec || stopped_) return;
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::string> due;
    for (auto& [prefix, object] : open_) {
      if (now - object->opened >= config_.max_object_age) due.push_back(prefix);
    }
    for (const std::string& p : due) seal(p);
    armAgeTimer();
    pump();
  });
}

void S3Output::flush() {
  std::vector<std::string> all;
  for (auto& [prefix, object] : open_) all.push_back(prefix);
  for (const std::string& p : all) seal(p);
  pump();
}

void S3Output::pump() {
  while (!stopped_ && !sealed_.empty() &&
         uploading_.size() < static_cast<size_t>(config_.concurrency)) {
    std::unique_ptr<Object> object = std::move(sealed_.front());
    sealed_.pop_front();
    Object* raw = object.get();
    uploading_.emplace(raw, std::move(object));
    upload(raw);
  }
}

S3ObjectOptions S3Output::optionsFor(const Object& object) const {
  S3ObjectOptions o;
  o.content_encoding = std::string(contentEncoding(compression_));
  o.server_side_encryption = config_.server_side_encryption;
  o.kms_key_id = config_.ssekms_key_id;
  o.storage_class = config_.storage_class;
  if (!lock_.mode.empty()) {
    o.lock_mode = lock_.mode;
    const int64_t retention = lock_.retention.count() > 0 ? lock_.retention.count()
                              : object.retain_ns > 0     ? object.retain_ns
                                                         : longest_retention_.count();
    o.lock_retain_until = timestamp::nowNs() + retention;
  }
  return o;
}

void S3Output::upload(Object* object) {
  object->timer = std::make_unique<boost::asio::steady_timer>(context_->io());
  auto body = std::make_shared<std::string>();
  if (compression_ == Compression::kNone) {
    *body = std::move(object->ndjson);
  } else if (!compressor_.compress(compression_, object->ndjson, *body)) {
    finish(object, AckStatus::kErrored, "compression failed");
    return;
  }
  object->ndjson = std::string();  // the body is what is kept now
  object->body = std::move(body);
  char random[17];
  std::snprintf(random, sizeof random, "%016llx", static_cast<unsigned long long>(random_()));
  object->key = object->prefix + std::to_string(timestamp::nowNs() / 1'000'000'000) + "-" +
                random + extensionOf(compression_);
  step(object);
}

// One request of the object's upload: a PutObject, or the next multipart step.
void S3Output::step(Object* object) {
  const S3ObjectOptions options = optionsFor(*object);
  const size_t part = config_.part_bytes.bytes;
  auto done = [this, object](std::function<void()> next) {
    return [this, object, next = std::move(next)](S3Result&& r) {
      onResult(object, std::move(r), next);
    };
  };
  if (object->body->size() <= part) {
    client_->putObject(object->key, object->body, options,
                       done([this, object] { finish(object, AckStatus::kDelivered, ""); }));
    return;
  }
  if (object->upload_id.empty()) {
    client_->createMultipartUpload(object->key, options, [this, object](S3Result&& r) {
      std::string id = r.body;
      onResult(object, std::move(r), [this, object, id] {
        object->upload_id = id;
        step(object);
      });
    });
    return;
  }
  const size_t offset = object->etags.size() * part;
  if (offset < object->body->size()) {
    auto piece = std::make_shared<const std::string>(object->body->substr(offset, part));
    const int number = static_cast<int>(object->etags.size()) + 1;
    client_->uploadPart(object->key, object->upload_id, number, std::move(piece),
                        !lock_.mode.empty(), [this, object](S3Result&& r) {
                          std::string etag = r.etag;
                          onResult(object, std::move(r), [this, object, etag] {
                            object->etags.push_back(etag);
                            step(object);
                          });
                        });
    return;
  }
  client_->completeMultipartUpload(object->key, object->upload_id, object->etags,
                                   done([this, object] { finish(object, AckStatus::kDelivered, ""); }));
}

void S3Output::onResult(Object* object, S3Result&& result, std::function<void()> next) {
  if (stopped_) return;
  if (result.ok) {
    object->attempt = 0;
    next();
    return;
  }
  const bool give_up = !result.retryable || (retry_.max_attempts > 0 &&
                                             object->attempt + 1 >= static_cast<uint32_t>(retry_.max_attempts));
  last_error_.set(object->key + ": " + result.message);
  if (give_up) {
    if (!object->upload_id.empty()) {
      client_->abortMultipartUpload(object->key, object->upload_id, [](S3Result&&) {});
    }
    finish(object, AckStatus::kRejected, result.message);
    return;
  }
  healthy_ = !(result.status == 401 || result.status == 403);
  retries_->Increment();
  const auto delay = backoff_->delay(object->attempt++);
  object->timer->expires_after(delay);
  object->timer->async_wait([this, object](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    step(object);
  });
}

void S3Output::finish(Object* object, AckStatus status, const std::string& why) {
  if (status == AckStatus::kDelivered) {
    healthy_ = true;
    stored_->Increment();
    stored_bytes_->Increment(static_cast<double>(object->body ? object->body->size() : 0));
    context_->metrics().sent(object->events.size(), object->body ? object->body->size() : 0);
  } else if (status == AckStatus::kRejected) {
    rejected_->Increment();
    for (auto& [input, index] : object->events) {
      dead_letter_->add(*input->batch, input->batch->events()[index], 0, why);
    }
    // Not written: the events stay unacknowledged (Errored) and are read again after a restart.
    if (!dead_letter_->commit()) status = AckStatus::kErrored;
    logWarn("s3 output '" + id_ + "': gave up on " + object->key + " (" + why + "); " +
            std::to_string(object->events.size()) + " event(s) dead-lettered");
  }
  for (Input* input : object->inputs) {
    if (status != AckStatus::kDelivered && input->worst == AckStatus::kDelivered) {
      input->worst = status;
    }
    if (--input->objects == 0) {
      input->ack.resolve(input->worst);
      delete input;
    }
  }
  uploading_.erase(object);
  pump();
}

void S3Output::stop() {
  stopped_ = true;
  if (age_timer_) age_timer_->cancel();
  if (transport_) transport_->shutdown();
  // What is not stored is read again after a restart.
  std::vector<Input*> inputs;
  auto collect = [&](Object& o) {
    for (Input* input : o.inputs) inputs.push_back(input);
  };
  for (auto& [prefix, object] : open_) collect(*object);
  for (auto& object : sealed_) collect(*object);
  for (auto& [raw, object] : uploading_) collect(*object);
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
  for (Input* input : inputs) {
    input->ack.resolve(AckStatus::kErrored);
    delete input;
  }
  open_.clear();
  sealed_.clear();
  uploading_.clear();
}

}  // namespace logship
