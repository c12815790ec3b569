#pragma once

#include <memory>
#include <optional>
#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "outputs/common/http_sink.h"
#include "outputs/common/template.h"
#include "outputs/loki/loki_config.h"
#include "outputs/loki/loki_encoder.h"

namespace logship {

// What a Loki push response means: 2xx delivered; 400 refused for good (too old, too new, line
// too long, bad labels: dead-lettered, never retried); 413 split; 429, 5xx and no response retried.
Verdict classifyLokiResponse(const HttpResponse& response);

// The Loki output: events grouped by tenant, each tenant's share pushed as one request.
class LokiOutput final : public Sink, public HttpSinkDriver {
 public:
  LokiOutput(LokiConfig config, BuildContext& ctx);

  void start(ComponentContext& context) override { sink_->start(context); }
  // For tests: a scripted transport and a manual clock.
  void startWith(ComponentContext& context, std::unique_ptr<HttpTransport> transport,
                 std::unique_ptr<Scheduler> scheduler, std::function<double()> jitter = {}) {
    sink_->start(context, std::move(transport), std::move(scheduler), std::move(jitter));
  }
  void consume(SharedBatch batch, AckToken ack) override {
    sink_->consume(std::move(batch), std::move(ack));
  }
  void stop() override { sink_->stop(); }
  bool healthy() const override { return sink_->healthy(); }
  std::string lastError() const override { return sink_->lastError(); }
  std::string destination() const override { return sink_->destination() + config_.path; }

  void partition(std::vector<EventRef>&& events, Parts& out) override;
  void encode(const HttpSinkRequest& request, HttpRequest& out) override;
  Verdict classify(const HttpSinkRequest& request, const HttpResponse& response) override {
    return classifyLokiResponse(response);
  }

 private:
  LokiConfig config_;
  OutputTemplate tenant_;
  std::optional<LokiEncoder> encoder_;
  std::unique_ptr<HttpSink> sink_;
  std::string scratch_;
};

}  // namespace logship
