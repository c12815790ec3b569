#include "outputs/opentelemetry/opentelemetry_service.h"

#include <google/protobuf/stubs/logging.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>

#include "agent/core/log.h"

namespace logship {

Verdict classifyOtlpResponse(const HttpResponse& response, int64_t* rejected,
                             std::string* rejected_message) {
  *rejected = 0;
  const int s = response.status;
  if (s >= 200 && s < 300) {
    if (response.body.empty()) return Verdict::success();
    otlp::ExportLogsServiceResponse answer;
    std::string error;
    google::protobuf::LogSilencer quiet;  // a receiver's bad UTF-8 is not for the agent's stderr
    bool read = response.content_type.starts_with("application/json")
                    ? otlp::parseJson(response.body, &answer, &error)
                    : answer.ParseFromString(response.body);
    // The records were accepted whatever the body says: an unreadable one changes nothing.
    if (read && answer.partial_success().rejected_log_records() > 0) {
      *rejected = answer.partial_success().rejected_log_records();
      *rejected_message = answer.partial_success().error_message();
    }
    return Verdict::success();
  }
  if (s == 413) {
    Verdict v;
    v.kind = Verdict::Kind::kSplit;
    v.status = s;
    v.reason = "too_large";
    return v;
  }
  Verdict v = classifyStatus(response);
  if (v.kind == Verdict::Kind::kReject) {
    // What the receiver said, from its google.rpc.Status; the body as it is when it sent none.
    std::string message =
        otlp::statusMessage(response.body, response.content_type.starts_with("application/json"));
    v.detail = (message.empty() ? response.body : message).substr(0, 1000);
  }
  return v;
}

OpenTelemetryOutput::OpenTelemetryOutput(OpenTelemetryConfig config, BuildContext& ctx)
    : config_(std::move(config)), id_(ctx.id) {
  HttpSettings settings;
  parseHttpSettings(config_, ctx.node, Compression::kGzip, ctx.diag, &settings);
  if (settings.compression == Compression::kZstd) {
    ctx.diag.error(ctx.node["compression"].location(),
                   "OTLP/HTTP receivers accept gzip (or none), not zstd");
  }
  if (!config_.path.starts_with("/")) {
    ctx.diag.error(ctx.node["path"].location(), "path must start with '/'");
  }
  OpenTelemetryEncoderOptions options;
  options.json = config_.encoding == "json";
  options.resource_fields = config_.resource_fields;
  encoder_.emplace(ctx.global, std::move(options));
  sink_ = std::make_unique<HttpSink>(std::move(settings), *this);
}

void OpenTelemetryOutput::onStart(ComponentContext& context) {
  partially_rejected_ = &rejectedEventsFamily(context.metricsRegistry())
                             .Add({{"output", id_}, {"reason", "partial_success"}});
}

void OpenTelemetryOutput::encode(const HttpSinkRequest& request, HttpRequest& out) {
  out.method = "POST";
  out.target = config_.path;
  encoder_->encode(request.events, out.body);
  out.headers.emplace_back("Content-Type", std::string(encoder_->contentType()));
}

Verdict OpenTelemetryOutput::classify(const HttpSinkRequest& request,
                                      const HttpResponse& response) {
  int64_t rejected = 0;
  std::string message;
  Verdict verdict = classifyOtlpResponse(response, &rejected, &message);
  if (rejected > 0) {
    partially_rejected_->Increment(static_cast<double>(rejected));
    logWarn("output '" + id_ + "': the receiver dropped " + std::to_string(rejected) + " of " +
            std::to_string(request.events.size()) + " log records: " + message);
  }
  return verdict;
}

}  // namespace logship
