#include "pipelines/filter/filter.h"

namespace logship {

Filter::Filter(FilterConfig config, BuildContext& ctx)
    : when_(Condition::compile(config.when, tierNames(ctx.global), ctx.diag, &ctx.global.lists)),
      keep_matching_(config.action == "keep"),
      reason_(std::move(config.reason)) {}

void Filter::process(Batch& batch, Emitter& out) {
  std::vector<Event>& events = batch.events();
  size_t kept = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (when_->matches(batch, events[i]) == keep_matching_) events[kept++] = events[i];
  }
  size_t dropped = events.size() - kept;
  events.resize(kept);
  if (dropped > 0 && context_ != nullptr) context_->metrics().discarded(reason_, dropped);
  // A batch left empty ends here: releasing it resolves its token as consumed on purpose.
  if (kept > 0) out.emit(std::move(batch));
}

}  // namespace logship
