#include "agent/sources/opentelemetry/opentelemetry_source.h"

#include "agent/core/log.h"
#include "agent/support/files.h"
#include "agent/support/json_writer.h"
#include "agent/support/otlp/otlp_logs.h"
#include "agent/support/timestamp.h"

namespace logship {

namespace {

// google.rpc.Code INVALID_ARGUMENT.
constexpr int kInvalidArgument = 3;

constexpr std::string_view kProtobufType = "application/x-protobuf";
constexpr std::string_view kJsonType = "application/json";

}  // namespace

OpenTelemetrySource::OpenTelemetrySource(OpenTelemetrySourceConfig config, BuildContext& ctx)
    : config_(std::move(config)), id_(ctx.id), decoder_(ctx.global) {
  settings_ = httpReceiverSettings(config_, &token_file_);
  settings_.name = ctx.id;
  settings_.address = config_.address;
}

OpenTelemetrySource::~OpenTelemetrySource() = default;

void OpenTelemetrySource::start(SourceContext& context) {
  HttpReceiverSettings settings = settings_;
  std::string error;
  if (!token_file_.empty() &&
      !readSecretFile(token_file_, SecretForm::kLine, settings.token, error)) {
    logError("opentelemetry source '" + id_ + "': " + error);
    context.metrics().error("token_unreadable");
    return;
  }
  receiver_ = std::make_unique<HttpReceiver>(std::move(settings), context);
  receiver_->route(config_.path, [this](ReceivedHttpRequest& request) { return decode(request); });
  if (!receiver_->start(&error)) {
    logError("opentelemetry source '" + id_ + "': " + error);
    context.metrics().error("listen_failed");
    receiver_.reset();
    return;
  }
  port_ = receiver_->port();
  logInfo("opentelemetry source '" + id_ +
          "': " + (settings_.tls_cert_file.empty() ? "http" : "https") + " on " + config_.address +
          " (port " + std::to_string(port_) + "), path " + config_.path +
          (token_file_.empty() ? "" : ", bearer token required"));
}

void OpenTelemetrySource::stop() {
  if (receiver_) receiver_->stop();
}

std::string OpenTelemetrySource::statusJson() const {
  std::string out = "{\"address\":";
  json::appendString(out, config_.address);
  out.append(",\"port\":");
  json::appendInt(out, port());
  out.push_back('}');
  return out;
}

HttpDecoded OpenTelemetrySource::decode(ReceivedHttpRequest& request) {
  HttpDecoded out;
  OtlpEncoding encoding;
  if (request.media_type == kProtobufType) {
    encoding = OtlpEncoding::kProtobuf;
  } else if (request.media_type == kJsonType) {
    encoding = OtlpEncoding::kJson;
  } else {
    out.reply = {415, "text/plain; charset=utf-8",
                 "415 OTLP/HTTP takes application/x-protobuf or application/json\n"};
    return out;
  }
  const std::string_view content_type = encoding == OtlpEncoding::kJson ? kJsonType : kProtobufType;
  size_t records = 0;
  std::string error;
  if (!decoder_.decode(request.body.view(), encoding, timestamp::nowNs(), out.batch, &records,
                       &error)) {
    out.batch = Batch();
    out.reply = {400, std::string(content_type),
                 otlp::statusBody(encoding == OtlpEncoding::kJson, kInvalidArgument,
                                  "not an OTLP logs request: " + error)};
    return out;
  }
  // Everything accepted: an empty ExportLogsServiceResponse (no partial_success).
  out.reply.status = 200;
  out.reply.content_type = std::string(content_type);
  out.reply.body = encoding == OtlpEncoding::kJson ? "{}" : "";
  return out;
}

}  // namespace logship
