#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "agent/api/component.h"
#include "outputs/common/backoff.h"
#include "outputs/common/compression.h"
#include "outputs/common/dead_letter.h"
#include "outputs/common/http_config.h"
#include "outputs/common/http_transport.h"
#include "outputs/common/scheduler.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <class T>
class Family;
}  // namespace prometheus

namespace logship {

// One input batch while its events travel in requests. Its token resolves once every request
// holding some of its events finished: Delivered, or the worst of Rejected/Errored.
struct HttpSinkInput {
  SharedBatch batch;
  AckToken ack;
  uint32_t next = 0;      // first event not yet put into a request
  uint32_t requests = 0;  // requests holding some of its events
  bool taken_all = false;
  AckStatus worst = AckStatus::kDelivered;
  size_t estimated_bytes = 0;
};

struct EventRef {
  HttpSinkInput* input;
  uint32_t index;
  const Batch& batch() const { return *input->batch; }
  const Event& event() const { return input->batch->events()[index]; }
};

struct HttpSinkRequest {
  std::vector<EventRef> events;
  std::string partition;  // what all its events share (a Loki tenant), "" if nothing
  std::shared_ptr<const HttpRequest> http;
  uint32_t attempt = 0;
  size_t payload_bytes = 0;  // before Content-Encoding
  Scheduler::Clock::time_point sent_at;
};

struct EventRejection {
  uint32_t index;  // into HttpSinkRequest::events
  int status;
  std::string reason;  // short and of few values: a metric label
  std::string detail;  // what the receiver said, for the dead-letter file
};

// How a response ends a request.
struct Verdict {
  enum class Kind { kSuccess, kRetry, kPartial, kReject, kSplit };
  Kind kind = Kind::kSuccess;
  // Retrying alone will not fix it (credentials, an unreachable receiver): /readyz fails.
  bool unhealthy = false;
  int status = 0;
  std::string reason;                    // metric label and log text for kRetry / kReject
  std::string detail;                    // kReject: what the receiver said
  std::vector<uint32_t> retry;           // kPartial: events to send again
  std::vector<EventRejection> rejected;  // kPartial: events refused for good

  static Verdict success() { return {}; }
  static Verdict retryAll(int status, std::string reason, bool unhealthy) {
    Verdict v;
    v.kind = Kind::kRetry;
    v.status = status;
    v.reason = std::move(reason);
    v.unhealthy = unhealthy;
    return v;
  }
  static Verdict rejectAll(int status, std::string reason) {
    Verdict v;
    v.kind = Kind::kReject;
    v.status = status;
    v.reason = std::move(reason);
    return v;
  }
  // 413: the request is sent again as two halves (a single event too large is refused).
  static Verdict tooLarge() {
    Verdict v;
    v.kind = Kind::kSplit;
    v.status = 413;
    v.reason = "too_large";
    return v;
  }
};

// The part of an HTTP output that knows its destination: how to encode a request and what a
// response means. Everything else (batching, concurrency, retries, acks, dead letters, metrics)
// is HttpSink's.
class HttpSinkDriver {
 public:
  using Parts = std::vector<std::pair<std::string, std::vector<EventRef>>>;
  virtual ~HttpSinkDriver() = default;
  // Groups events that must travel in separate requests (Loki tenants). Default: one group.
  virtual void partition(std::vector<EventRef>&& events, Parts& out);
  // Fills target, content type and body (before Content-Encoding) for `request`.
  virtual void encode(const HttpSinkRequest& request, HttpRequest& out) = 0;
  virtual Verdict classify(const HttpSinkRequest& request, const HttpResponse& response) = 0;
  // About how many payload bytes one event adds, for batch.max_bytes.
  virtual size_t estimateBytes(const Batch& batch, const Event& event) const;
};

// The shared machinery of the HTTP outputs: merges input batches into requests cut by bytes,
// events or time; keeps up to `concurrency` requests open (sent, or waiting to be retried, so a
// receiver that is down holds the rest unencoded and lets backpressure pause the sources);
// retries with jittered exponential backoff honouring Retry-After; dead-letters permanent
// refusals; resolves each input's token once all its events are settled.
class HttpSink {
 public:
  HttpSink(HttpSettings settings, HttpSinkDriver& driver);
  ~HttpSink();

  // Transport and scheduler are injected so tests drive time and responses themselves.
  void start(ComponentContext& context, std::unique_ptr<HttpTransport> transport,
             std::unique_ptr<Scheduler> scheduler, std::function<double()> jitter = {});
  // Starts with the Beast client and asio timers on the context's io_context.
  void start(ComponentContext& context);
  void consume(SharedBatch batch, AckToken ack);
  // Drops what is still open: those inputs resolve as Errored and are read again after a restart.
  void stop();
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
  std::string lastError() const { return last_error_.get(); }
  std::string destination() const { return settings_.endpoint.url(); }

  size_t activeRequests() const { return active_; }
  size_t queuedEvents() const { return unassigned_events_; }
  const HttpSettings& settings() const { return settings_; }
  // The scheduler the sink runs its timers on (after start()), for its owner's own timers.
  Scheduler& scheduler() { return *scheduler_; }

 private:
  void pump();
  void assemble();
  void launch(HttpSinkRequest* request);
  void prepare(HttpSinkRequest* request);
  void send(HttpSinkRequest* request);
  void onResponse(HttpSinkRequest* request, HttpResponse&& response);
  void retryLater(HttpSinkRequest* request, const Verdict& verdict, const HttpResponse& response);
  void reject(HttpSinkRequest* request, const std::vector<EventRejection>& rejected);
  HttpSinkRequest* child(const HttpSinkRequest& parent, std::vector<EventRef> events);
  void complete(HttpSinkRequest* request);
  void finishInput(HttpSinkInput* input);
  void setHealthy(bool healthy, const std::string& why);
  bool refreshAuth();

  HttpSettings settings_;
  HttpSinkDriver& driver_;
  ComponentContext* context_ = nullptr;
  std::string id_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<Scheduler> scheduler_;
  std::optional<Backoff> backoff_;
  std::optional<DeadLetterFile> dead_letter_;
  Compressor compressor_;
  std::string authorization_;
  bool auth_ok_ = false;

  std::vector<HttpSinkInput*> queue_;  // inputs with events not yet in a request, oldest first
  size_t queue_head_ = 0;
  std::unordered_set<HttpSinkInput*> inputs_;
  std::unordered_set<HttpSinkRequest*> requests_;
  size_t unassigned_events_ = 0;
  size_t unassigned_bytes_ = 0;
  size_t active_ = 0;
  Scheduler::TaskId batch_timer_ = 0;
  bool flush_due_ = false;
  bool pumping_ = false;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::atomic<bool> healthy_{true};
  LastError last_error_;

  // Metrics, labelled with the output id.
  prometheus::Family<prometheus::Counter>* requests_family_ = nullptr;
  prometheus::Family<prometheus::Counter>* rejected_family_ = nullptr;
  prometheus::Histogram* latency_ = nullptr;
  prometheus::Counter* retries_ = nullptr;
  prometheus::Gauge* in_flight_ = nullptr;
};

// An output that sends through an HttpSink it drives: the Sink calls go to the sink, which the
// output builds in its constructor with itself as the driver.
class HttpOutput : public Sink, public HttpSinkDriver {
 public:
  void start(ComponentContext& context) override {
    onStart(context);
    sink_->start(context);
  }
  // For tests: a scripted transport and a manual clock.
  void startWith(ComponentContext& context, std::unique_ptr<HttpTransport> transport,
                 std::unique_ptr<Scheduler> scheduler, std::function<double()> jitter = {}) {
    onStart(context);
    sink_->start(context, std::move(transport), std::move(scheduler), std::move(jitter));
  }
  void consume(SharedBatch batch, AckToken ack) override {
    sink_->consume(std::move(batch), std::move(ack));
  }
  void stop() override { sink_->stop(); }
  bool healthy() const override { return sink_->healthy(); }
  std::string lastError() const override { return sink_->lastError(); }
  std::string destination() const override { return sink_->destination(); }

 protected:
  // Before the sink starts: what the output itself needs from the context (its own metrics).
  virtual void onStart(ComponentContext&) {}

  std::unique_ptr<HttpSink> sink_;
};

// Metric families every HTTP output shares (registered by each, merged by the registry).
prometheus::Family<prometheus::Counter>& httpRequestsFamily(prometheus::Registry& registry);
prometheus::Family<prometheus::Counter>& rejectedEventsFamily(prometheus::Registry& registry);
prometheus::Family<prometheus::Counter>& httpRetriesFamily(prometheus::Registry& registry);

// The usual meaning of a whole-request status: 2xx success; 429, 408 and 5xx (and no response)
// retried; 401/403 retried but unhealthy; other 4xx rejected.
Verdict classifyStatus(const HttpResponse& response);

}  // namespace logship
