#pragma once

#include <memory>
#include <optional>
#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "outputs/common/http_sink.h"
#include "outputs/opentelemetry/opentelemetry_config.h"
#include "outputs/opentelemetry/opentelemetry_encoder.h"

namespace prometheus {
class Counter;
}

namespace logship {

// What an OTLP/HTTP export response means: 2xx delivered, though an ExportLogsServiceResponse
// with partial_success names records the receiver dropped (counted in `rejected`, never sent
// again, as OTLP asks); 429, 502, 503 and 504 retried after Retry-After or a backoff, like any
// other 5xx and no response; 401/403 retried and unhealthy; other 4xx refused for good.
Verdict classifyOtlpResponse(const HttpResponse& response, int64_t* rejected,
                             std::string* rejected_message);

// The opentelemetry output: events exported as OTLP logs over HTTP.
class OpenTelemetryOutput final : public HttpOutput {
 public:
  OpenTelemetryOutput(OpenTelemetryConfig config, BuildContext& ctx);

  std::string destination() const override { return sink_->destination() + config_.path; }

  void encode(const HttpSinkRequest& request, HttpRequest& out) override;
  Verdict classify(const HttpSinkRequest& request, const HttpResponse& response) override;

 private:
  void onStart(ComponentContext& context) override;

  OpenTelemetryConfig config_;
  std::string id_;
  std::optional<OpenTelemetryEncoder> encoder_;
  prometheus::Counter* partially_rejected_ = nullptr;
};

}  // namespace logship
