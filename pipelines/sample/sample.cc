#include "pipelines/sample/sample.h"

#include <vector>

namespace logship {

Sample::Sample(SampleConfig config, BuildContext& ctx)
    : rate_(static_cast<uint64_t>(config.rate < 1 ? 1 : config.rate)),
      reason_(std::move(config.reason)) {
  if (!config.key.empty()) {
    key_ = FieldTemplate::parse(config.key, ctx.node["key"], tierNames(ctx.global), ctx.diag);
  }
}

void Sample::process(Batch& batch, Emitter& out) {
  thread_local std::string key;
  std::vector<Event>& events = batch.events();
  // Events without a key are counted first so the shared counter moves once per batch.
  uint64_t unkeyed = 0;
  thread_local std::vector<uint8_t> has_key;
  has_key.assign(events.size(), 0);
  if (key_) {
    for (size_t i = 0; i < events.size(); ++i) {
      key.clear();
      if (key_->render(batch, events[i], key) && !key.empty()) {
        has_key[i] = stableHash(key) % rate_ == 0 ? 2 : 1;  // 2: keep
      } else {
        ++unkeyed;
      }
    }
  } else {
    unkeyed = events.size();
  }
  uint64_t count = unkeyed ? unkeyed_seen_.fetch_add(unkeyed, std::memory_order_relaxed) : 0;
  size_t kept = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    bool keep = has_key[i] ? has_key[i] == 2 : (count++ % rate_ == 0);
    if (keep) events[kept++] = events[i];
  }
  size_t dropped = events.size() - kept;
  events.resize(kept);
  if (dropped > 0 && context_ != nullptr) context_->metrics().discarded(reason_, dropped);
  if (kept > 0) out.emit(std::move(batch));
}

}  // namespace logship
