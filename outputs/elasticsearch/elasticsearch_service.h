#pragma once

#include <memory>
#include <optional>
#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "outputs/common/http_sink.h"
#include "outputs/elasticsearch/elasticsearch_config.h"
#include "outputs/elasticsearch/elasticsearch_encoder.h"

namespace logship {

// What a _bulk response means for the `events` items it answers (in request order): per item,
// <300 delivered, 409 on create delivered (already stored under its deterministic id), 429 and
// >=500 sent again, any other status refused for good with the error's type as the reason.
// Whole request: 413 split, 429/5xx retried, 401/403 retried and unhealthy, other 4xx refused.
Verdict classifyBulkResponse(const HttpResponse& response, size_t events, bool create);

class ElasticsearchOutput final : public Sink, public HttpSinkDriver {
 public:
  ElasticsearchOutput(ElasticsearchConfig config, BuildContext& ctx);

  void start(ComponentContext& context) override { sink_->start(context); }
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
  std::string destination() const override { return sink_->destination(); }

  void encode(const HttpSinkRequest& request, HttpRequest& out) override;
  Verdict classify(const HttpSinkRequest& request, const HttpResponse& response) override {
    return classifyBulkResponse(response, request.events.size(), encoder_->create());
  }
  size_t estimateBytes(const Batch& batch, const Event& event) const override {
    // The action line and the id come on top of the document.
    return HttpSinkDriver::estimateBytes(batch, event) + 80;
  }

 private:
  ElasticsearchConfig config_;
  std::string target_;
  std::optional<ElasticsearchEncoder> encoder_;
  std::unique_ptr<HttpSink> sink_;
};

}  // namespace logship
