#include "outputs/http/http_output.h"

namespace logship {

Verdict classifyGenericHttpResponse(const HttpResponse& response) {
  if (response.status == 413) return Verdict::tooLarge();
  Verdict v = classifyStatus(response);
  if (v.kind == Verdict::Kind::kReject) v.detail = response.body.substr(0, 1000);
  return v;
}

GenericHttpOutput::GenericHttpOutput(GenericHttpConfig config, BuildContext& ctx)
    : config_(std::move(config)),
      encoding_(config_.encoding == "json" ? HttpEncoding::kJson : HttpEncoding::kNdjson),
      ndjson_(ctx.global) {
  HttpSettings settings;
  parseHttpSettings(config_, ctx.node, Compression::kNone, ctx.diag, &settings);
  const std::string& url = config_.endpoint;
  if (url.ends_with('/') && url.find('?') == std::string::npos &&
      !settings.endpoint.base_path.empty()) {
    target_ = "/";
  }
  sink_ = std::make_unique<HttpSink>(std::move(settings), *this);
}

void GenericHttpOutput::encode(const HttpSinkRequest& request, HttpRequest& out) {
  out.method = config_.method;
  out.target = target_;
  encodeHttpBody(ndjson_, encoding_, request.events, out.body);
  out.headers.emplace_back("Content-Type", std::string(httpContentType(encoding_)));
}

}  // namespace logship
