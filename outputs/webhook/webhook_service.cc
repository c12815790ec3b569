#include "outputs/webhook/webhook_service.h"

#include <algorithm>

#include "outputs/common/http_client.h"
#include "agent/support/timestamp.h"

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

constexpr int64_t kMillisecond = 1'000'000;

HttpSettings settingsOf(const WebhookConfig& config, BuildContext& ctx) {
  HttpSettings settings;
  parseHttpSettings(config, ctx.node, Compression::kNone, ctx.diag, &settings);
  // A generic webhook (a chat, a pager) takes one message per request.
  if (config.format == "json") settings.batch.max_events = 1;
  return settings;
}

}  // namespace

WebhookOutput::WebhookOutput(WebhookConfig config, BuildContext& ctx)
    : config_(std::move(config)), sink_(settingsOf(config_, ctx), *this) {
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
  context_ = &context;
  sink_.start(context);
  if (config_.format == "alertmanager") scheduleResend();
}

void WebhookOutput::startWith(ComponentContext& context, std::unique_ptr<HttpTransport> transport,
                              std::unique_ptr<Scheduler> scheduler,
                              std::function<double()> jitter) {
  context_ = &context;
  sink_.start(context, std::move(transport), std::move(scheduler), std::move(jitter));
  if (config_.format == "alertmanager") scheduleResend();
}

void WebhookOutput::consume(SharedBatch batch, AckToken ack) {
  if (stopped_) return;
  const auto now = sink_.scheduler().now();
  auto records = std::make_shared<Batch>();
  std::string body;
  const auto& events = batch->events();
  for (const Event& event : events) {
    AlertInfo alert;
    if (!alertFromEvent(*batch, event, &alert)) {
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
    body.clear();
    if (!config_.template_text.empty())
      renderJsonTemplate(config_.template_text, *batch, event, body);
    addAlertRecord(alert, body, *records);
  }
  if (records->events().empty()) {
    ack.resolve(AckStatus::kDelivered);
    return;
  }
  sink_.consume(std::move(records), std::move(ack));
}

AlertInfo WebhookOutput::deliverable(AlertInfo alert, int64_t now, std::string* ends_at) const {
  const int64_t ends = alert.resolved
                           ? now - kMillisecond  // just past: resolved now
                           // Alertmanager keeps an alert active until endsAt; re-sends push it
                           // forward. Four intervals survive a few lost re-sends, and an agent
                           // that died lets its alerts end on their own.
                           : now + 4 * config_.resend_interval.count();
  int64_t starts = timestamp::parseRfc3339(alert.starts_at).value_or(now);
  if (starts > now) {
    // A log dated ahead of this clock: the alert starts now, and says when its events were.
    alert.annotations.emplace_back("event_start", alert.starts_at);
    std::sort(alert.annotations.begin(), alert.annotations.end());
    starts = now;
  }
  starts = std::min(starts, ends - kMillisecond);
  alert.starts_at = rfc3339(starts);
  *ends_at = rfc3339(ends);
  return alert;
}

void WebhookOutput::encode(const HttpSinkRequest& request, HttpRequest& out) {
  out.method = "POST";
  out.headers.emplace_back("Content-Type", "application/json");
  const int64_t now = wallNowNs();
  std::string ends_at;
  if (config_.format == "json") {
    const EventRef& ref = request.events.front();  // one alert per request
    if (!ref.event().message.empty()) {
      out.body = ref.event().message;
      return;
    }
    const AlertInfo alert = deliverable(alertFromRecord(ref.batch(), ref.event()), now, &ends_at);
    appendJsonAlert(alert, alert.resolved ? ends_at : std::string(), out.body);
    return;
  }
  out.body.push_back('[');
  for (const EventRef& ref : request.events) {
    if (out.body.size() > 1) out.body.push_back(',');
    const AlertInfo alert = deliverable(alertFromRecord(ref.batch(), ref.event()), now, &ends_at);
    appendAlertmanagerAlert(alert, ends_at, config_.generator_url, out.body);
  }
  out.body.push_back(']');
}

Verdict WebhookOutput::classify(const HttpSinkRequest&, const HttpResponse& response) {
  return classifyStatus(response);
}

void WebhookOutput::acknowledge(uint64_t, AckStatus) { resend_pending_ = false; }

void WebhookOutput::scheduleResend() {
  sink_.scheduler().after(
      std::chrono::duration_cast<Scheduler::Clock::duration>(config_.resend_interval), [this] {
        resend();
        scheduleResend();
      });
}

void WebhookOutput::resend() {
  if (active_.empty() || stopped_ || resend_pending_) return;
  auto records = std::make_shared<Batch>();
  for (auto& [fingerprint, a] : active_) addAlertRecord(a.info, {}, *records);
  resend_pending_ = true;
  sink_.consume(std::move(records), AckToken(this, 0));
}

void WebhookOutput::stop() {
  if (stopped_) return;
  stopped_ = true;
  sink_.stop();
}

}  // namespace logship
