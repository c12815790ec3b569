#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "agent/core/http_receiver.h"
#include "agent/sources/opentelemetry/opentelemetry_config.h"
#include "agent/sources/opentelemetry/otlp_decoder.h"

namespace logship {

// Receives OTLP/HTTP logs on the HTTP receiver: protobuf (application/x-protobuf) or JSON
// (application/json) ExportLogsServiceRequests, one event per LogRecord (see OtlpDecoder). A
// request is answered 200 with an ExportLogsServiceResponse in its own encoding once every output
// holds its events; 400 with a Status naming the problem for a body that is not a request, 415
// for another Content-Type; 429 and 503 with Retry-After when an output is full or failed, which
// OTLP exporters retry.
class OpenTelemetrySource final : public Source {
 public:
  OpenTelemetrySource(OpenTelemetrySourceConfig config, BuildContext& ctx);
  ~OpenTelemetrySource() override;

  void start(SourceContext& context) override;
  void stop() override;
  std::string statusJson() const override;
  uint16_t port() const { return port_; }

 private:
  HttpDecoded decode(ReceivedHttpRequest& request);

  OpenTelemetrySourceConfig config_;
  std::string id_;
  HttpReceiverSettings settings_;
  std::string token_file_;
  OtlpDecoder decoder_;
  std::unique_ptr<HttpReceiver> receiver_;
  std::atomic<uint16_t> port_{0};  // read by statusJson() from the admin thread
};

}  // namespace logship
