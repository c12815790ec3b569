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

class ElasticsearchOutput final : public HttpOutput {
 public:
  ElasticsearchOutput(ElasticsearchConfig config, BuildContext& ctx);

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
};

}  // namespace logship
