#pragma once

#include <map>
#include <memory>
#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "outputs/common/http_sink.h"
#include "outputs/common/scheduler.h"
#include "outputs/webhook/webhook_config.h"
#include "outputs/webhook/webhook_encoder.h"

namespace logship {

// Sends alerts to Alertmanager (API v2 arrays) or a generic JSON webhook, through the shared HTTP
// sender (batching, concurrency, compression, retries, dead letters). Remembers active alerts by
// fingerprint: re-sends them every `resend_interval` (Alertmanager expires alerts nobody
// repeats), resolves one with a past endsAt when its `event.type: end` arrives, skips an
// unchanged alert sent less than `min_interval` ago, and drops alerts below `min_severity`.
//
// Every alert is deliverable whatever its event time: startsAt is never later than the moment
// it is sent (an alert of a future-dated log carries its event time in the `event_start`
// annotation instead) and endsAt is always after startsAt; Alertmanager refuses anything else.
class WebhookOutput final : public Sink, private HttpSinkDriver, private AckReceiver {
 public:
  WebhookOutput(WebhookConfig config, BuildContext& ctx);
  ~WebhookOutput() override;

  void start(ComponentContext& context) override;
  void startWith(ComponentContext& context, std::unique_ptr<HttpTransport> transport,
                 std::unique_ptr<Scheduler> scheduler, std::function<double()> jitter = {});
  void consume(SharedBatch batch, AckToken ack) override;
  void stop() override;
  bool healthy() const override { return sink_.healthy(); }
  std::string lastError() const override { return sink_.lastError(); }
  std::string destination() const override { return sink_.destination(); }

  size_t activeAlerts() const { return active_.size(); }

 private:
  struct Active {
    AlertInfo info;
    Scheduler::Clock::time_point last_sent;
  };

  // HttpSinkDriver: a request's alert records as one Alertmanager array, or one JSON body.
  void encode(const HttpSinkRequest& request, HttpRequest& out) override;
  Verdict classify(const HttpSinkRequest& request, const HttpResponse& response) override;
  // AckReceiver: the latest re-send was settled.
  void acknowledge(uint64_t cookie, AckStatus status) override;

  // The alert as it can be delivered now: startsAt no later than now, endsAt after it.
  AlertInfo deliverable(AlertInfo alert, int64_t now_ns, std::string* ends_at) const;
  void scheduleResend();
  void resend();

  WebhookConfig config_;
  HttpSink sink_;
  Severity min_severity_ = Severity::kDebug;
  ComponentContext* context_ = nullptr;
  std::map<std::string, Active> active_;
  bool resend_pending_ = false;  // one re-send at a time: a queued one carries the latest state
  bool stopped_ = false;
};

}  // namespace logship
