#include "outputs/common/http_sink.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>

#include "agent/core/log.h"
#include "outputs/common/http_client.h"

namespace logship {

void HttpSinkDriver::partition(std::vector<EventRef>&& events, Parts& out) {
  out.emplace_back(std::string(), std::move(events));
}

size_t HttpSinkDriver::estimateBytes(const Batch& batch, const Event& event) const {
  size_t bytes = event.message.size() + 96;
  for (uint16_t i = 0; i < event.field_count; ++i) {
    bytes += event.fields[i].key.size() + 8;
    if (event.fields[i].value.kind == FieldValue::Kind::kString) {
      bytes += event.fields[i].value.string_value.size();
    } else {
      bytes += 12;
    }
  }
  return bytes;
}

prometheus::Family<prometheus::Counter>& httpRequestsFamily(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("logship_output_http_requests_total")
      .Help("HTTP requests an output finished, by response status (\"error\": no response)")
      .Register(registry);
}

prometheus::Family<prometheus::Counter>& rejectedEventsFamily(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("logship_output_rejected_events_total")
      .Help("Events a destination refused for good (dead-lettered), by reason")
      .Register(registry);
}

prometheus::Family<prometheus::Counter>& httpRetriesFamily(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("logship_output_http_retries_total")
      .Help("Requests scheduled to be sent again")
      .Register(registry);
}

Verdict classifyStatus(const HttpResponse& response) {
  int s = response.status;
  if (s == 0) return Verdict::retryAll(0, "connection", true);
  if (s >= 200 && s < 300) return Verdict::success();
  if (s == 429) return Verdict::retryAll(s, "http_429", false);
  if (s == 408 || s >= 500) return Verdict::retryAll(s, "http_" + std::to_string(s), true);
  if (s == 401 || s == 403) return Verdict::retryAll(s, "http_" + std::to_string(s), true);
  return Verdict::rejectAll(s, "http_" + std::to_string(s));
}

// How much of a destination's answer goes into logs and dead letters.
constexpr size_t kAnswerExcerptBytes = 300;

HttpSink::HttpSink(HttpSettings settings, HttpSinkDriver& driver)
    : settings_(std::move(settings)), driver_(driver) {}

HttpSink::~HttpSink() { stop(); }

void HttpSink::start(ComponentContext& context) {
  HttpClientSettings client;
  client.endpoint = settings_.endpoint;
  client.tls = settings_.tls;
  client.connect_timeout = settings_.connect_timeout;
  client.request_timeout = settings_.request_timeout;
  client.max_idle_connections = settings_.concurrency + 2;
  auto transport = std::make_unique<BeastHttpClient>(context.io(), client);
  std::string error;
  if (!transport->init(&error)) {
    logError("output '" + std::string(context.id()) + "': " + error);
    setHealthy(false, error);
  }
  start(context, std::move(transport), makeAsioScheduler(context.io()));
}

void HttpSink::start(ComponentContext& context, std::unique_ptr<HttpTransport> transport,
                     std::unique_ptr<Scheduler> scheduler, std::function<double()> jitter) {
  context_ = &context;
  id_ = std::string(context.id());
  transport_ = std::move(transport);
  scheduler_ = std::move(scheduler);
  backoff_.emplace(settings_.retry.initial_backoff, settings_.retry.max_backoff, std::move(jitter));
  dead_letter_.emplace(context.global(), id_);
  auto& registry = context.metricsRegistry();
  requests_family_ = &httpRequestsFamily(registry);
  rejected_family_ = &rejectedEventsFamily(registry);
  latency_ = &prometheus::BuildHistogram()
                  .Name("logship_output_http_request_duration_seconds")
                  .Help("Time from sending a request to its full response")
                  .Register(registry)
                  .Add({{"output", id_}},
                       prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                               0.5, 1, 2.5, 5, 10, 30});
  retries_ = &httpRetriesFamily(registry).Add({{"output", id_}});
  in_flight_ = &prometheus::BuildGauge()
                    .Name("logship_output_http_in_flight_requests")
                    .Help("Requests sent and not yet answered")
                    .Register(registry)
                    .Add({{"output", id_}});
  refreshAuth();
}

bool HttpSink::refreshAuth() {
  if (auth_ok_) return true;
  std::string error;
  if (!authorizationHeader(settings_.auth, &authorization_, &error)) {
    setHealthy(false, error);
    return false;
  }
  auth_ok_ = true;
  return true;
}

void HttpSink::setHealthy(bool healthy, const std::string& why) {
  bool was = healthy_.exchange(healthy);
  if (!healthy) last_error_.set(why);
  if (was && !healthy) {
    logWarn("output '" + id_ + "' -> " + settings_.endpoint.url() + ": " + why +
            " (retrying with backoff)");
    if (context_ != nullptr) context_->metrics().error(why.substr(0, why.find(':')));
  } else if (!was && healthy) {
    logInfo("output '" + id_ + "' -> " + settings_.endpoint.url() + ": delivering again");
  }
}

void HttpSink::consume(SharedBatch batch, AckToken ack) {
  if (stopped_) return;  // the token drops as Errored: read again after a restart
  if (batch->events().empty()) {
    ack.resolve(AckStatus::kDelivered);
    return;
  }
  auto* input = new HttpSinkInput{std::move(batch), std::move(ack)};
  for (const Event& e : input->batch->events()) {
    input->estimated_bytes += driver_.estimateBytes(*input->batch, e);
  }
  inputs_.insert(input);
  queue_.push_back(input);
  unassigned_events_ += input->batch->events().size();
  unassigned_bytes_ += input->estimated_bytes;
  if (batch_timer_ == 0) {
    batch_timer_ = scheduler_->after(settings_.batch.timeout, [this] {
      batch_timer_ = 0;
      flush_due_ = true;
      pump();
    });
  }
  pump();
}

void HttpSink::pump() {
  if (pumping_ || stopped_) return;
  pumping_ = true;
  while (active_ < settings_.concurrency && unassigned_events_ > 0) {
    bool full = unassigned_events_ >= static_cast<size_t>(settings_.batch.max_events) ||
                unassigned_bytes_ >= settings_.batch.max_bytes.bytes;
    if (!full && !flush_due_) break;
    assemble();
  }
  if (unassigned_events_ == 0) {
    flush_due_ = false;
    if (batch_timer_ != 0) scheduler_->cancel(batch_timer_);
    batch_timer_ = 0;
  }
  pumping_ = false;
}

void HttpSink::assemble() {
  std::vector<EventRef> refs;
  size_t bytes = 0;
  size_t max_events = static_cast<size_t>(settings_.batch.max_events);
  while (queue_head_ < queue_.size() && refs.size() < max_events &&
         bytes < settings_.batch.max_bytes.bytes) {
    HttpSinkInput* input = queue_[queue_head_];
    const auto& events = input->batch->events();
    while (input->next < events.size() && refs.size() < max_events &&
           bytes < settings_.batch.max_bytes.bytes) {
      size_t b = driver_.estimateBytes(*input->batch, events[input->next]);
      bytes += b;
      input->estimated_bytes -= std::min(input->estimated_bytes, b);
      unassigned_bytes_ -= std::min(unassigned_bytes_, b);
      refs.push_back(EventRef{input, input->next++});
    }
    if (input->next == events.size()) {
      input->taken_all = true;
      ++queue_head_;
    }
  }
  unassigned_events_ -= refs.size();
  if (queue_head_ == queue_.size()) {
    queue_.clear();
    queue_head_ = 0;
  } else if (queue_head_ > 1024) {
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(queue_head_));
    queue_head_ = 0;
  }
  HttpSinkDriver::Parts parts;
  driver_.partition(std::move(refs), parts);
  for (auto& [key, events] : parts) {
    if (events.empty()) continue;
    auto* request = new HttpSinkRequest;
    request->events = std::move(events);
    request->partition = key;
    launch(request);
  }
}

void HttpSink::launch(HttpSinkRequest* request) {
  prepare(request);
  send(request);
}

// Registers a request with its inputs and encodes it.
void HttpSink::prepare(HttpSinkRequest* request) {
  requests_.insert(request);
  ++active_;
  HttpSinkInput* last = nullptr;
  for (const EventRef& ref : request->events) {
    if (ref.input != last) {
      ++ref.input->requests;
      last = ref.input;
    }
  }
  auto http = std::make_shared<HttpRequest>();
  driver_.encode(*request, *http);
  request->payload_bytes = http->body.size();
  if (settings_.compression != Compression::kNone) {
    std::string compressed;
    if (compressor_.compress(settings_.compression, http->body, compressed)) {
      http->body = std::move(compressed);
      http->headers.emplace_back("Content-Encoding",
                                 std::string(contentEncoding(settings_.compression)));
    }
  }
  for (auto& header : settings_.headers) http->headers.push_back(header);
  request->http = std::move(http);
}

void HttpSink::send(HttpSinkRequest* request) {
  if (!refreshAuth()) {
    // No credentials to send with: wait as if the request had failed.
    HttpResponse none;
    none.error = "auth secret unreadable";
    retryLater(request, Verdict::retryAll(0, "auth_secret", true), none);
    return;
  }
  if (!authorization_.empty()) {
    bool present = false;
    for (auto& [name, value] : request->http->headers) present |= name == "Authorization";
    if (!present) {
      auto copy = std::make_shared<HttpRequest>(*request->http);
      copy->headers.emplace_back("Authorization", authorization_);
      request->http = std::move(copy);
    }
  }
  request->sent_at = scheduler_->now();
  in_flight_->Increment();
  transport_->send(request->http, [this, request, alive = alive_](HttpResponse&& response) {
    if (!*alive) return;
    onResponse(request, std::move(response));
  });
}

void HttpSink::onResponse(HttpSinkRequest* request, HttpResponse&& response) {
  in_flight_->Decrement();
  std::chrono::duration<double> took = scheduler_->now() - request->sent_at;
  latency_->Observe(took.count());
  requests_family_
      ->Add({{"output", id_},
             {"status",
              response.status == 0 ? std::string("error") : std::to_string(response.status)}})
      .Increment();
  Verdict verdict = driver_.classify(*request, response);
  switch (verdict.kind) {
    case Verdict::Kind::kSuccess:
      setHealthy(true, {});
      context_->metrics().sent(request->events.size(), request->payload_bytes);
      complete(request);
      break;
    case Verdict::Kind::kRetry:
      if (verdict.unhealthy) {
        std::string why = response.status == 0 ? response.error
                                               : "HTTP " + std::to_string(response.status) + " " +
                                                     response.body.substr(0, 200);
        setHealthy(false, why);
      }
      retryLater(request, verdict, response);
      break;
    case Verdict::Kind::kReject: {
      setHealthy(true, {});
      std::vector<EventRejection> all;
      all.reserve(request->events.size());
      // What the destination said is what an operator needs to fix it.
      const std::string detail = verdict.detail.empty()
                                     ? std::string(response.body.substr(0, kAnswerExcerptBytes))
                                     : verdict.detail;
      for (uint32_t i = 0; i < request->events.size(); ++i) {
        all.push_back({i, verdict.status, verdict.reason, detail});
      }
      reject(request, all);
      complete(request);
      break;
    }
    case Verdict::Kind::kPartial: {
      setHealthy(true, {});
      reject(request, verdict.rejected);
      size_t delivered = request->events.size() - verdict.rejected.size() - verdict.retry.size();
      context_->metrics().sent(delivered, 0);
      if (!verdict.retry.empty()) {
        std::vector<EventRef> again;
        again.reserve(verdict.retry.size());
        for (uint32_t i : verdict.retry) again.push_back(request->events[i]);
        HttpSinkRequest* next = child(*request, std::move(again));
        retryLater(next, verdict, response);
      }
      complete(request);
      break;
    }
    case Verdict::Kind::kSplit: {
      if (request->events.size() <= 1) {
        reject(request,
               {{0, verdict.status, "too_large", "the receiver refused one event as too large"}});
        complete(request);
        break;
      }
      size_t half = request->events.size() / 2;
      std::vector<EventRef> first(request->events.begin(), request->events.begin() + half);
      std::vector<EventRef> second(request->events.begin() + half, request->events.end());
      HttpSinkRequest* a = child(*request, std::move(first));
      HttpSinkRequest* b = child(*request, std::move(second));
      send(a);
      send(b);
      complete(request);
      break;
    }
  }
}

// A new request for some events of `parent`: registered and encoded, not yet sent.
HttpSinkRequest* HttpSink::child(const HttpSinkRequest& parent, std::vector<EventRef> events) {
  auto* request = new HttpSinkRequest;
  request->events = std::move(events);
  request->partition = parent.partition;
  request->attempt = parent.attempt;
  prepare(request);
  return request;
}

void HttpSink::retryLater(HttpSinkRequest* request, const Verdict& verdict,
                          const HttpResponse& response) {
  uint32_t attempt = request->attempt++;
  if (settings_.retry.max_attempts > 0 &&
      request->attempt >= static_cast<uint32_t>(settings_.retry.max_attempts)) {
    std::string why = "giving up on " + std::to_string(request->events.size()) +
                      " events after " + std::to_string(request->attempt) + " attempts (" +
                      verdict.reason + "); they stay unacknowledged";
    logWarn("output '" + id_ + "': " + why);
    last_error_.set(why);
    context_->metrics().discarded("retries_exhausted", request->events.size());
    HttpSinkInput* last = nullptr;
    for (const EventRef& ref : request->events) {
      if (ref.input != last) {
        ref.input->worst = combine(ref.input->worst, AckStatus::kErrored);
        last = ref.input;
      }
    }
    complete(request);
    return;
  }
  retries_->Increment();
  std::optional<Backoff::Duration> retry_after;
  if (!response.retry_after.empty()) {
    int64_t now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    retry_after = parseRetryAfter(response.retry_after, now_unix);
  }
  auto delay = backoff_->delay(attempt, retry_after);
  scheduler_->after(std::chrono::duration_cast<Scheduler::Clock::duration>(delay),
                    [this, request] { send(request); });
}

void HttpSink::reject(HttpSinkRequest* request, const std::vector<EventRejection>& rejected) {
  if (rejected.empty()) return;
  for (const EventRejection& r : rejected) {
    const EventRef& ref = request->events[r.index];
    dead_letter_->add(ref.batch(), ref.event(), r.status,
                      r.detail.empty() ? r.reason : r.reason + ": " + r.detail);
  }
  bool written = dead_letter_->commit();
  if (!written) {
    logError("output '" + id_ + "': cannot write the dead-letter file " + dead_letter_->path() +
             "; refused events stay unacknowledged");
    context_->metrics().error("dead_letter_write");
  }
  for (const EventRejection& r : rejected) {
    HttpSinkInput* input = request->events[r.index].input;
    input->worst = combine(input->worst, written ? AckStatus::kRejected : AckStatus::kErrored);
  }
  // One metric update per reason, not per event.
  std::vector<std::pair<std::string_view, uint64_t>> counts;
  for (const EventRejection& r : rejected) {
    bool found = false;
    for (auto& [reason, n] : counts) {
      if (reason == r.reason) {
        ++n;
        found = true;
        break;
      }
    }
    if (!found) counts.emplace_back(r.reason, 1);
  }
  for (auto& [reason, n] : counts) {
    rejected_family_->Add({{"output", id_}, {"reason", std::string(reason)}})
        .Increment(static_cast<double>(n));
    context_->metrics().discarded(reason, n);
  }
}

void HttpSink::complete(HttpSinkRequest* request) {
  HttpSinkInput* last = nullptr;
  for (const EventRef& ref : request->events) {
    if (ref.input != last) {
      last = ref.input;
      finishInput(ref.input);
    }
  }
  requests_.erase(request);
  delete request;
  --active_;
  pump();
}

void HttpSink::finishInput(HttpSinkInput* input) {
  if (--input->requests > 0 || !input->taken_all) return;
  input->ack.resolve(input->worst);
  inputs_.erase(input);
  delete input;
}

void HttpSink::stop() {
  if (stopped_) return;
  stopped_ = true;
  *alive_ = false;
  if (scheduler_) scheduler_->cancelAll();
  if (transport_) transport_->shutdown();
  for (HttpSinkRequest* r : requests_) delete r;
  requests_.clear();
  // Their tokens drop unresolved, as Errored: the sources read these events again after a restart.
  for (HttpSinkInput* input : inputs_) delete input;
  inputs_.clear();
  queue_.clear();
  queue_head_ = 0;
  active_ = 0;
  unassigned_events_ = 0;
}

}  // namespace logship
