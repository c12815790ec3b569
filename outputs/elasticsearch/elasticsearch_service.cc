#include "outputs/elasticsearch/elasticsearch_service.h"

#include <simdjson.h>

namespace logship {
namespace {

bool sameText(std::string_view a, std::string_view b) { return a == b; }

}  // namespace

Verdict classifyBulkResponse(const HttpResponse& response, size_t events, bool create) {
  if (response.status == 413) return Verdict::tooLarge();
  if (response.status < 200 || response.status >= 300) return classifyStatus(response);

  simdjson::ondemand::parser parser;
  simdjson::padded_string body(response.body);
  simdjson::ondemand::document doc;
  auto unreadable = [&] {
    // Without item statuses nothing is known to be stored; ids make sending again harmless.
    return Verdict::retryAll(response.status, "unreadable_response", false);
  };
  if (parser.iterate(body).get(doc)) return unreadable();
  simdjson::ondemand::object root;
  if (doc.get_object().get(root)) return unreadable();
  bool errors = false;
  bool saw_errors = false;
  std::vector<int> statuses;
  std::vector<std::pair<std::string, std::string>> problems;  // type, reason per item
  statuses.reserve(events);
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return unreadable();
    if (sameText(key, "errors")) {
      if (field.value().get_bool().get(errors)) return unreadable();
      saw_errors = true;
    } else if (sameText(key, "items")) {
      simdjson::ondemand::array items;
      if (field.value().get_array().get(items)) return unreadable();
      for (auto item_value : items) {
        simdjson::ondemand::object item;
        if (item_value.get_object().get(item)) return unreadable();
        int status = 0;
        std::string type, reason;
        for (auto action : item) {  // {"create": {...}}: one key
          simdjson::ondemand::object result;
          if (action.value().get_object().get(result)) return unreadable();
          for (auto part : result) {
            std::string_view name;
            if (part.unescaped_key().get(name)) return unreadable();
            if (sameText(name, "status")) {
              int64_t s = 0;
              if (part.value().get_int64().get(s)) return unreadable();
              status = static_cast<int>(s);
            } else if (sameText(name, "error")) {
              simdjson::ondemand::object error;
              if (part.value().get_object().get(error)) {
                continue;
              }
              for (auto e : error) {
                std::string_view ename;
                if (e.unescaped_key().get(ename)) return unreadable();
                std::string_view text;
                if (sameText(ename, "type") && !e.value().get_string().get(text)) {
                  type = std::string(text);
                } else if (sameText(ename, "reason") && !e.value().get_string().get(text)) {
                  reason = std::string(text.substr(0, 500));
                }
              }
            }
          }
        }
        statuses.push_back(status);
        problems.emplace_back(std::move(type), std::move(reason));
      }
    }
  }
  if (!saw_errors) return unreadable();
  if (!errors) return Verdict::success();
  if (statuses.size() != events) return unreadable();

  Verdict v;
  v.kind = Verdict::Kind::kPartial;
  v.status = response.status;
  for (uint32_t i = 0; i < statuses.size(); ++i) {
    int s = statuses[i];
    if (s >= 200 && s < 300) continue;
    if (s == 409 && create) continue;  // already stored under this id
    if (s == 429 || s >= 500 || s == 0) {
      v.retry.push_back(i);
      continue;
    }
    auto& [type, reason] = problems[i];
    std::string why = type.empty() ? "http_" + std::to_string(s) : type;
    v.rejected.push_back({i, s, std::move(why), std::move(reason)});
  }
  if (v.retry.empty() && v.rejected.empty()) return Verdict::success();
  v.reason = v.retry.empty() ? "rejected_items" : "retry_items";
  return v;
}

ElasticsearchOutput::ElasticsearchOutput(ElasticsearchConfig config, BuildContext& ctx)
    : config_(std::move(config)) {
  HttpSettings settings;
  parseHttpSettings(config_, ctx.node, Compression::kGzip, ctx.diag, &settings);
  OutputTemplate index;
  std::string error;
  if (!index.compile(config_.index, true, &error)) {
    ctx.diag.error(ctx.node["index"].location(), error);
  }
  if (index.text().empty()) ctx.diag.error(ctx.node["index"].location(), "index is empty");
  std::vector<std::string> tiers;
  for (const TierSpec& t : ctx.global.tiers) tiers.push_back(t.name);
  index.setTierNames(tiers);
  if (!config_.path.starts_with("/")) {
    ctx.diag.error(ctx.node["path"].location(), "path must start with '/'");
  }
  target_ = config_.path + "?filter_path=errors,items.*.error,items.*.status";
  encoder_.emplace(ctx.global, std::move(index), config_.mode == "data_stream");
  sink_ = std::make_unique<HttpSink>(std::move(settings), *this);
}

void ElasticsearchOutput::encode(const HttpSinkRequest& request, HttpRequest& out) {
  out.method = "POST";
  out.target = target_;
  encoder_->encode(request.events, out.body);
  out.headers.emplace_back("Content-Type", "application/x-ndjson");
}

}  // namespace logship
