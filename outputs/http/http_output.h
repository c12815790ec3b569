#pragma once

#include <memory>
#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "outputs/common/http_sink.h"
#include "outputs/common/ndjson_encoder.h"
#include "outputs/http/http_encoder.h"
#include "outputs/http/http_output_config.h"

namespace logship {

// What a response means to the http output: 2xx delivered; 413 split; 429, 408 and 5xx (and no
// response) retried; 401/403 retried and unhealthy; any other 4xx refused for good
// (dead-lettered) with what the receiver said.
Verdict classifyHttpOutputResponse(const HttpResponse& response);

// Posts events to one URL (the endpoint, path and query included) through the shared HTTP
// sender: batching, concurrency, compression, auth, TLS, retries, dead letters.
class HttpOutput final : public Sink, public HttpSinkDriver {
 public:
  HttpOutput(HttpOutputConfig config, BuildContext& ctx);

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
  std::string destination() const override { return sink_->destination() + target_; }

  void encode(const HttpSinkRequest& request, HttpRequest& out) override;
  Verdict classify(const HttpSinkRequest&, const HttpResponse& response) override {
    return classifyHttpOutputResponse(response);
  }

 private:
  HttpOutputConfig config_;
  HttpEncoding encoding_;
  std::string target_;  // "/" when the endpoint's path ends in one (the settings drop it)
  NdjsonEncoder ndjson_;
  std::unique_ptr<HttpSink> sink_;
};

}  // namespace logship
