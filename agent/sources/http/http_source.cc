#include "agent/sources/http/http_source.h"

#include <chrono>

#include "agent/core/log.h"
#include "agent/support/files.h"
#include "agent/support/json_writer.h"

namespace logship {

static_assert(kHttpBodyPadding >= simdjson::SIMDJSON_PADDING,
              "bodies are parsed in place by simdjson");

namespace {

LokiPushOptions lokiOptions(const HttpSourceConfig& config) {
  LokiPushOptions options;
  options.label_fields.insert(config.label_fields.begin(), config.label_fields.end());
  options.json_lines = config.loki_line_format == "json";
  return options;
}

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

HttpSource::HttpSource(HttpSourceConfig config, BuildContext& ctx)
    : config_(std::move(config)),
      id_(ctx.id),
      plain_(ctx.global),
      loki_(ctx.global, lokiOptions(config_)) {
  settings_ = httpReceiverSettings(config_, &token_file_);
  settings_.name = id_;
  settings_.address = config_.address;
}

HttpSource::~HttpSource() = default;

void HttpSource::start(SourceContext& context) {
  context_ = &context;
  HttpReceiverSettings settings = settings_;
  std::string error;
  if (!token_file_.empty() &&
      !readSecretFile(token_file_, SecretForm::kLine, settings.token, error)) {
    logError("http source '" + id_ + "': " + error + "; not listening");
    context.metrics().error("token_unreadable");
    return;
  }
  receiver_ = std::make_unique<HttpReceiver>(std::move(settings), context);
  receiver_->route(std::string(kLokiPushPath),
                   [this](ReceivedHttpRequest& request) { return decodeLoki(request); });
  receiver_->route(config_.path.empty() ? "*" : config_.path,
                   [this](ReceivedHttpRequest& request) { return decodePlain(request); });
  if (!receiver_->start(&error)) {
    logError("http source '" + id_ + "': " + error + "; not listening");
    context.metrics().error("listen_failed");
    receiver_.reset();
    return;
  }
  port_ = receiver_->port();
  logInfo("http source '" + id_ + "': " + (settings_.tls_cert_file.empty() ? "http" : "https") +
          " on " + config_.address + " (port " + std::to_string(port_) + "), plain data on " +
          (config_.path.empty() ? std::string("any path") : config_.path) + ", Loki on " +
          std::string(kLokiPushPath) + (token_file_.empty() ? "" : ", bearer token required"));
}

void HttpSource::stop() {
  if (receiver_) receiver_->stop();
}

std::string HttpSource::statusJson() const {
  std::string out = "{\"address\":";
  json::appendString(out, config_.address);
  return out + ",\"port\":" + std::to_string(port_.load()) + "}";
}

Batch HttpSource::batchOf(HttpBody body, std::string_view peer_ip) {
  const size_t size = body.size;
  Batch batch(std::move(body.data), size, {});
  if (!peer_ip.empty()) batch.addSharedString("source.ip", peer_ip);
  return batch;
}

HttpDecoded HttpSource::refusal(int status, std::string message) {
  HttpDecoded out;
  out.reply = {status, "text/plain; charset=utf-8", std::to_string(status) + " " + message + "\n"};
  return out;
}

HttpDecoded HttpSource::decodePlain(ReceivedHttpRequest& request) {
  const auto format = bodyFormatFor(config_.format, request.media_type);
  if (!format) {
    return refusal(415, "unsupported Content-Type '" + std::string(request.media_type) +
                            "': send application/x-ndjson, application/json or text/plain");
  }
  HttpDecoded out;
  out.batch = batchOf(std::move(request.body), request.peer_ip);
  size_t malformed = 0;
  if (std::string error = plain_.decode(*format, out.batch, nowNs(), &malformed); !error.empty()) {
    return refusal(400, error);
  }
  for (size_t i = 0; i < malformed; ++i) context_->metrics().error("json_parse_error");
  return out;
}

HttpDecoded HttpSource::decodeLoki(ReceivedHttpRequest& request) {
  // As Loki reads it: JSON when it says so, else (application/x-protobuf, or no type) protobuf.
  const bool protobuf = request.media_type != "application/json";
  HttpDecoded out;
  if (protobuf) {
    // Loki's protobuf bodies are snappy blocks whatever Content-Encoding says.
    HttpBody plain;
    switch (decompressBody(BodyEncoding::kSnappy, request.body.view(), config_.max_body_bytes.bytes,
                           plain)) {
      case DecompressStatus::kOk:
        break;
      case DecompressStatus::kTooLarge:
        return refusal(413, "decompressed body larger than max_body_bytes");
      case DecompressStatus::kCorrupt:
        return refusal(400,
                       "the body is neither JSON (application/json) nor a snappy-compressed "
                       "(block format) protobuf PushRequest");
    }
    out.batch = batchOf(std::move(plain), request.peer_ip);
  } else {
    out.batch = batchOf(std::move(request.body), request.peer_ip);
  }
  std::string error = protobuf ? loki_.decodeProtobuf(out.batch) : loki_.decodeJson(out.batch);
  if (!error.empty()) return refusal(400, error);
  out.reply = {204, {}, {}};
  return out;
}

}  // namespace logship
