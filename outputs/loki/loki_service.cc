#include "outputs/loki/loki_service.h"

#include <algorithm>

namespace logship {
namespace {

// Loki allows 15 label names per stream by default (3.x).
constexpr size_t kMaxLabels = 15;

std::string rejectionReason(std::string_view body) {
  auto has = [&](std::string_view s) { return body.find(s) != std::string_view::npos; };
  if (has("too old") || has("too far behind")) return "too_old";
  if (has("too new") || has("in the future")) return "too_new";
  if (has("line too long") || has("max line size") || has("exceeds max line")) {
    return "line_too_long";
  }
  if (has("label names") || has("too many labels")) return "too_many_labels";
  if (has("label") || has("parsing")) return "invalid_labels";
  if (has("out of order")) return "out_of_order";
  return "http_400";
}

}  // namespace

Verdict classifyLokiResponse(const HttpResponse& response) {
  if (response.status == 400) {
    Verdict v = Verdict::rejectAll(400, rejectionReason(response.body));
    v.detail = response.body.substr(0, 1000);
    return v;
  }
  if (response.status == 413) return Verdict::tooLarge();
  return classifyStatus(response);
}

LokiOutput::LokiOutput(LokiConfig config, BuildContext& ctx) : config_(std::move(config)) {
  HttpSettings settings;
  Compression auto_compression =
      config_.encoding == "json" ? Compression::kGzip : Compression::kNone;
  parseHttpSettings(config_, ctx.node, auto_compression, ctx.diag, &settings);

  std::vector<std::string> tiers;
  for (const TierSpec& t : ctx.global.tiers) tiers.push_back(t.name);
  LokiEncoderOptions options;
  options.json = config_.encoding == "json";
  options.raw_message = config_.line_format == "message";
  ConfigNode labels_node = ctx.node["labels"];
  auto keyLocation = [&](const ConfigNode& map, const std::string& name) {
    for (auto& [key, value] : map.entries()) {
      if (key.yaml().Scalar() == name) return key.location();
    }
    return map.defined() ? map.location() : ctx.node.location();
  };
  auto locationOf = [&](const std::string& name) { return keyLocation(labels_node, name); };
  if (config_.labels.size() > kMaxLabels) {
    ctx.diag.error(labels_node.location(), "Loki accepts at most " + std::to_string(kMaxLabels) +
                                               " labels per stream, got " +
                                               std::to_string(config_.labels.size()));
  }
  for (auto& [name, text] : config_.labels) {
    if (!isValidLokiLabelName(name)) {
      ctx.diag.error(locationOf(name), "label name '" + name +
                                           "' is not valid for Loki ([a-zA-Z_][a-zA-Z0-9_]*, "
                                           "not starting with __)");
      continue;
    }
    OutputTemplate tmpl;
    std::string error;
    if (!tmpl.compile(text, false, &error)) {
      ctx.diag.error(locationOf(name), error);
      continue;
    }
    tmpl.setTierNames(tiers);
    options.labels.emplace_back(name, std::move(tmpl));
  }
  for (auto& [name, field] : config_.structured_metadata) {
    const Location where = keyLocation(ctx.node["structured_metadata"], name);
    if (!isValidLokiLabelName(name)) {
      ctx.diag.error(where, "structured metadata name '" + name +
                                "' is not valid for Loki ([a-zA-Z_][a-zA-Z0-9_]*, not starting "
                                "with __)");
    } else if (name == "correlation_id" || name == "trace_id") {
      ctx.diag.error(where, "structured metadata '" + name + "' is always sent");
    } else if (field.empty()) {
      ctx.diag.error(where, "structured metadata '" + name + "' names no field");
    } else {
      options.structured_metadata.emplace_back(name, field);
    }
  }
  std::string error;
  if (!tenant_.compile(config_.tenant, false, &error)) {
    ctx.diag.error(ctx.node["tenant"].location(), error);
  }
  tenant_.setTierNames(tiers);
  if (!config_.path.starts_with("/")) {
    ctx.diag.error(ctx.node["path"].location(), "path must start with '/'");
  }
  encoder_.emplace(ctx.global, std::move(options));
  sink_ = std::make_unique<HttpSink>(std::move(settings), *this);
}

void LokiOutput::partition(std::vector<EventRef>&& events, Parts& out) {
  if (tenant_.isConstant()) {
    out.emplace_back(tenant_.text(), std::move(events));
    return;
  }
  for (const EventRef& ref : events) {
    scratch_.clear();
    tenant_.render(ref.batch(), ref.event(), scratch_);
    // A tenant id goes into a header: no control characters.
    std::erase_if(scratch_, [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    auto it = std::find_if(out.begin(), out.end(), [&](auto& p) { return p.first == scratch_; });
    if (it == out.end()) {
      out.emplace_back(scratch_, std::vector<EventRef>{});
      it = out.end() - 1;
    }
    it->second.push_back(ref);
  }
}

void LokiOutput::encode(const HttpSinkRequest& request, HttpRequest& out) {
  out.method = "POST";
  out.target = config_.path;
  encoder_->encode(request.events, out.body);
  out.headers.emplace_back("Content-Type", std::string(encoder_->contentType()));
  if (!request.partition.empty()) out.headers.emplace_back("X-Scope-OrgID", request.partition);
}

}  // namespace logship
