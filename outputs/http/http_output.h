#pragma once

#include <string>

#include "agent/api/registry.h"
#include "outputs/common/http_sink.h"
#include "outputs/common/ndjson_encoder.h"
#include "outputs/http/http_encoder.h"
#include "outputs/http/http_output_config.h"

namespace logship {

// What a response means to the http output: 2xx delivered; 413 split; 429, 408 and 5xx (and no
// response) retried; 401/403 retried and unhealthy; any other 4xx refused for good
// (dead-lettered) with what the receiver said.
Verdict classifyGenericHttpResponse(const HttpResponse& response);

// Posts events to one URL (the endpoint, path and query included) through the shared HTTP
// sender: batching, concurrency, compression, auth, TLS, retries, dead letters.
class GenericHttpOutput final : public HttpOutput {
 public:
  GenericHttpOutput(GenericHttpConfig config, BuildContext& ctx);

  std::string destination() const override { return sink_->destination() + target_; }

  void encode(const HttpSinkRequest& request, HttpRequest& out) override;
  Verdict classify(const HttpSinkRequest&, const HttpResponse& response) override {
    return classifyGenericHttpResponse(response);
  }

 private:
  GenericHttpConfig config_;
  HttpEncoding encoding_;
  std::string target_;  // "/" when the endpoint's path ends in one (the settings drop it)
  NdjsonEncoder ndjson_;
};

}  // namespace logship
