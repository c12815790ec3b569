#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "outputs/common/backoff.h"
#include "outputs/common/dead_letter.h"
#include "outputs/common/http_sink.h"
#include "outputs/common/scheduler.h"
#include "outputs/webhook/webhook_config.h"
#include "outputs/webhook/webhook_encoder.h"

namespace logship {

// Sends alerts to Alertmanager (API v2 arrays) or a generic JSON webhook. Remembers active alerts
// by fingerprint: re-sends them every `resend_interval` (Alertmanager expires alerts nobody
// repeats), resolves one with a past endsAt when its `event.type: end` arrives, skips an
// unchanged alert sent less than `min_interval` ago, and drops alerts below `min_severity`.
// Deliveries go one at a time, in order, retried with backoff until accepted; a batch's token
// resolves once every delivery made from it was accepted.
class WebhookOutput final : public Sink {
 public:
  WebhookOutput(WebhookConfig config, BuildContext& ctx);
  ~WebhookOutput() override;

  void start(ComponentContext& context) override;
  void startWith(ComponentContext& context, std::unique_ptr<HttpTransport> transport,
                 std::unique_ptr<Scheduler> scheduler, std::function<double()> jitter = {});
  void consume(SharedBatch batch, AckToken ack) override;
  void stop() override;
  bool healthy() const override { return healthy_.load(std::memory_order_relaxed); }
  std::string lastError() const override { return last_error_.get(); }
  std::string destination() const override { return settings_.endpoint.url(); }

  size_t activeAlerts() const { return active_.size(); }

 private:
  struct Active {
    AlertInfo info;
    Scheduler::Clock::time_point last_sent;
  };
  struct Delivery {
    std::shared_ptr<HttpRequest> http;
    AckToken ack;
    SharedBatch batch;
    std::vector<uint32_t> events;  // for the dead-letter file
    uint32_t attempt = 0;
  };

  std::string endsAt(bool resolved) const;
  void enqueue(std::string body, AckToken ack, SharedBatch batch, std::vector<uint32_t> events);
  void pump();
  void onResponse(HttpResponse&& response);
  void scheduleResend();
  void resend();

  WebhookConfig config_;
  HttpSettings settings_;
  Severity min_severity_ = Severity::kDebug;
  ComponentContext* context_ = nullptr;
  std::string id_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<Scheduler> scheduler_;
  std::optional<Backoff> backoff_;
  std::optional<DeadLetterFile> dead_letter_;
  std::string authorization_;
  std::map<std::string, Active> active_;
  std::deque<Delivery> queue_;
  bool in_flight_ = false;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::atomic<bool> healthy_{true};
  LastError last_error_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  prometheus::Family<prometheus::Counter>* rejected_ = nullptr;
  prometheus::Counter* retries_ = nullptr;
};

}  // namespace logship
