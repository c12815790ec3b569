#include "outputs/webhook/webhook_service.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include "agent/core/log.h"
#include "outputs/common/http_client.h"
#include "parsers/timestamp/timestamp.h"

namespace logship {
namespace {

int64_t wallNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339(int64_t ns) {
  char buf[40];
  return std::string(buf, timestamp::formatRfc3339Millis(ns, buf));
}

}  // namespace

WebhookOutput::WebhookOutput(WebhookConfig config, BuildContext& ctx) : config_(std::move(config)) {
  parseHttpSettings(config_, ctx.node, Compression::kNone, ctx.diag, &settings_);
  min_severity_ = severityFromName(config_.min_severity);
  if (!config_.template_text.empty() && config_.format != "json") {
    ctx.diag.error(ctx.node["template"].location(), "'template' goes with format: json");
  }
  if (config_.resend_interval < std::chrono::seconds(1)) {
    ctx.diag.error(ctx.node["resend_interval"].location(), "resend_interval must be >= 1s");
  }
}

WebhookOutput::~WebhookOutput() { stop(); }

void WebhookOutput::start(ComponentContext& context) {
  HttpClientSettings client;
  client.endpoint = settings_.endpoint;
  client.tls = settings_.tls;
  client.connect_timeout = settings_.connect_timeout;
  client.request_timeout = settings_.request_timeout;
  auto transport = std::make_unique<BeastHttpClient>(context.io(), client);
  std::string error;
  if (!transport->init(&error)) {
    logError("output '" + std::string(context.id()) + "': " + error);
    last_error_.set(error);
    healthy_ = false;
  }
  startWith(context, std::move(transport), makeAsioScheduler(context.io()));
}

void WebhookOutput::startWith(ComponentContext& context, std::unique_ptr<HttpTransport> transport,
                              std::unique_ptr<Scheduler> scheduler,
                              std::function<double()> jitter) {
  context_ = &context;
  id_ = std::string(context.id());
  transport_ = std::move(transport);
  scheduler_ = std::move(scheduler);
  backoff_.emplace(settings_.retry.initial_backoff, settings_.retry.max_backoff, std::move(jitter));
  dead_letter_.emplace(context.global(), id_);
  requests_ = &httpRequestsFamily(context.metricsRegistry());
  rejected_ = &rejectedEventsFamily(context.metricsRegistry());
  retries_ = &httpRetriesFamily(context.metricsRegistry()).Add({{"output", id_}});
  std::string error;
  if (!authorizationHeader(settings_.auth, &authorization_, &error)) {
    logError("output '" + id_ + "': " + error);
    last_error_.set(error);
    healthy_ = false;
  }
  if (config_.format == "alertmanager") scheduleResend();
}

std::string WebhookOutput::endsAt(bool resolved) const {
  int64_t now = wallNowNs();
  if (resolved) return rfc3339(now - 1'000'000);  // just past: resolved now
  // Alertmanager keeps an alert active until endsAt; re-sends push it forward. Four intervals
  // survive a few lost re-sends, and an agent that died lets its alerts end on their own.
  return rfc3339(now + 4 * config_.resend_interval.count());
}

void WebhookOutput::consume(SharedBatch batch, AckToken ack) {
  if (stopped_) return;
  auto now = scheduler_->now();
  std::string array;
  std::vector<uint32_t> array_events;
  bool per_alert = config_.format == "json";
  const auto& events = batch->events();
  for (uint32_t i = 0; i < events.size(); ++i) {
    AlertInfo alert;
    if (!alertFromEvent(*batch, events[i], &alert)) {
      context_->metrics().discarded("not_an_alert", 1);
      continue;
    }
    if (alert.severity != Severity::kUnset && alert.severity < min_severity_) {
      context_->metrics().discarded("below_min_severity", 1);
      continue;
    }
    auto it = active_.find(alert.fingerprint);
    if (alert.resolved) {
      if (it != active_.end()) active_.erase(it);
    } else {
      if (it != active_.end() && now - it->second.last_sent < config_.min_interval &&
          it->second.info.annotations == alert.annotations) {
        continue;  // already told, nothing new
      }
      active_[alert.fingerprint] = Active{alert, now};
    }
    std::string ends = endsAt(alert.resolved);
    if (per_alert) {
      std::string body;
      if (config_.template_text.empty()) {
        appendJsonAlert(alert, alert.resolved ? ends : std::string(), body);
      } else {
        renderJsonTemplate(config_.template_text, *batch, events[i], body);
      }
      enqueue(std::move(body), ack.fork(), batch, {i});
    } else {
      array.push_back(array.empty() ? '[' : ',');
      appendAlertmanagerAlert(alert, ends, config_.generator_url, array);
      array_events.push_back(i);
    }
  }
  if (!array.empty()) {
    array.push_back(']');
    enqueue(std::move(array), ack.fork(), batch, std::move(array_events));
  }
  ack.resolve(AckStatus::kDelivered);  // the forks decide
  pump();
}

void WebhookOutput::enqueue(std::string body, AckToken ack, SharedBatch batch,
                            std::vector<uint32_t> events) {
  auto http = std::make_shared<HttpRequest>();
  http->method = "POST";
  http->body = std::move(body);
  http->headers.emplace_back("Content-Type", "application/json");
  for (auto& h : settings_.headers) http->headers.push_back(h);
  if (!authorization_.empty()) http->headers.emplace_back("Authorization", authorization_);
  queue_.push_back(Delivery{std::move(http), std::move(ack), std::move(batch), std::move(events)});
}

void WebhookOutput::pump() {
  if (in_flight_ || queue_.empty() || stopped_) return;
  in_flight_ = true;
  transport_->send(queue_.front().http, [this, alive = alive_](HttpResponse&& response) {
    if (!*alive) return;
    onResponse(std::move(response));
  });
}

void WebhookOutput::onResponse(HttpResponse&& response) {
  in_flight_ = false;
  requests_
      ->Add({{"output", id_},
             {"status",
              response.status == 0 ? std::string("error") : std::to_string(response.status)}})
      .Increment();
  Delivery& d = queue_.front();
  Verdict v = classifyStatus(response);
  if (v.kind == Verdict::Kind::kRetry) {
    std::string why = response.status ? "HTTP " + std::to_string(response.status) : response.error;
    if (v.unhealthy) last_error_.set(why);
    if (v.unhealthy && healthy_.exchange(false)) {
      logWarn("output '" + id_ + "' -> " + settings_.endpoint.url() + ": " + why +
              " (retrying with backoff)");
    }
    retries_->Increment();
    std::optional<Backoff::Duration> retry_after;
    if (!response.retry_after.empty()) {
      retry_after = parseRetryAfter(response.retry_after, wallNowNs() / 1'000'000'000);
    }
    auto delay = backoff_->delay(d.attempt++, retry_after);
    in_flight_ = true;  // the slot stays taken while waiting
    scheduler_->after(std::chrono::duration_cast<Scheduler::Clock::duration>(delay), [this] {
      in_flight_ = false;
      pump();
    });
    return;
  }
  if (!healthy_.exchange(true)) logInfo("output '" + id_ + "': delivering again");
  if (v.kind == Verdict::Kind::kReject) {
    std::string detail = v.reason + ": " + response.body.substr(0, 500);
    if (d.batch) {
      for (uint32_t i : d.events)
        dead_letter_->add(*d.batch, d.batch->events()[i], v.status, detail);
    }
    bool written = dead_letter_->commit();
    rejected_->Add({{"output", id_}, {"reason", v.reason}}).Increment(d.events.size());
    context_->metrics().discarded(v.reason, d.events.size());
    d.ack.resolve(written ? AckStatus::kRejected : AckStatus::kErrored);
  } else {
    context_->metrics().sent(d.events.size(), d.http->body.size());
    d.ack.resolve(AckStatus::kDelivered);
  }
  queue_.pop_front();
  pump();
}

void WebhookOutput::scheduleResend() {
  scheduler_->after(std::chrono::duration_cast<Scheduler::Clock::duration>(config_.resend_interval),
                    [this] {
                      resend();
                      scheduleResend();
                    });
}

void WebhookOutput::resend() {
  if (active_.empty() || stopped_) return;
  // One re-send at a time: if the receiver is down, the queued one carries the latest state.
  for (const Delivery& d : queue_) {
    if (!d.batch) return;
  }
  std::string array;
  std::string ends = endsAt(false);
  for (auto& [fingerprint, a] : active_) {
    array.push_back(array.empty() ? '[' : ',');
    appendAlertmanagerAlert(a.info, ends, config_.generator_url, array);
  }
  array.push_back(']');
  enqueue(std::move(array), AckToken(), nullptr, {});
  pump();
}

void WebhookOutput::stop() {
  if (stopped_) return;
  stopped_ = true;
  *alive_ = false;
  if (scheduler_) scheduler_->cancelAll();
  if (transport_) transport_->shutdown();
  queue_.clear();  // their tokens drop as Errored
}

}  // namespace logship
