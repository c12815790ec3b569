#include "pipelines/route/route.h"

#include "pipelines/common/batch_copy.h"

namespace logship {

Route::Route(RouteConfig config, BuildContext& ctx) {
  if (!config.routes.isMap() || config.routes.entries().empty()) {
    ctx.diag.error(config.routes.location(), "routes must be a map of output name -> condition");
    return;
  }
  TierNames tiers = tierNames(ctx.global);
  for (auto& [key, value] : config.routes.entries()) {
    std::string name = key.yaml().Scalar();
    bool valid = !name.empty() && name.front() != '_';
    for (char c : name) {
      valid = valid && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-');
    }
    if (!valid) {
      ctx.diag.error(key.location(), "route name '" + name +
                                         "' must be letters, digits, '_' or '-' and not start "
                                         "with '_'");
      continue;
    }
    ConfigNode condition = value;
    if (value.isMap() && value.entries().size() == 1 && value["when"].defined()) {
      condition = value["when"];
    }
    auto when = Condition::compile(condition, tiers, ctx.diag, &ctx.global.lists);
    if (when) routes_.push_back(Target{name, std::move(*when)});
  }
}

std::vector<std::string> Route::ports() const {
  std::vector<std::string> names;
  for (const Target& t : routes_) names.push_back(t.name);
  names.emplace_back(kUnmatched);
  return names;
}

void Route::process(Batch& batch, Emitter& out) {
  const size_t routes = routes_.size();
  const std::vector<Event>& events = batch.events();
  // Per batch, not thread_local: emitting runs the next stages on this thread, and they may be
  // another route.
  std::vector<std::vector<uint32_t>> selected(routes + 1);
  for (uint32_t i = 0; i < events.size(); ++i) {
    bool any = false;
    for (size_t r = 0; r < routes; ++r) {
      if (routes_[r].when.matches(batch, events[i])) {
        selected[r].push_back(i);
        any = true;
      }
    }
    if (!any) selected[routes].push_back(i);
  }
  auto portName = [&](size_t p) -> std::string_view {
    return p < routes ? std::string_view(routes_[p].name) : kUnmatched;
  };
  // The output with the most events keeps the original; the others get copies.
  size_t keep = routes + 1;
  for (size_t p = 0; p <= routes; ++p) {
    if (!selected[p].empty() && (keep > routes || selected[p].size() > selected[keep].size())) {
      keep = p;
    }
  }
  if (keep > routes) return;  // an empty batch: nothing to route
  for (size_t p = 0; p <= routes; ++p) {
    if (p == keep || selected[p].empty()) continue;
    out.emit(copyEvents(batch, selected[p]), portName(p));
  }
  if (selected[keep].size() != events.size()) keepEvents(batch, selected[keep]);
  out.emit(std::move(batch), portName(keep));
}

}  // namespace logship
