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
class LokiOutput final : public HttpOutput {
 public:
  LokiOutput(LokiConfig config, BuildContext& ctx);

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
  std::string scratch_;
};

}  // namespace logship
