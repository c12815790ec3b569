#include "pipelines/throttle/throttle.h"

namespace logship {

Throttle::Throttle(ThrottleConfig config, BuildContext& ctx, const Clock& clock)
    : threshold_(static_cast<uint64_t>(config.threshold < 1 ? 1 : config.threshold)),
      window_ns_(config.window.count()),
      max_keys_(static_cast<size_t>(config.max_keys < 1 ? 1 : config.max_keys)),
      reason_(std::move(config.reason)),
      clock_(clock) {
  if (!config.key.empty()) {
    key_ = FieldTemplate::parse(config.key, ctx.node["key"], tierNames(ctx.global), ctx.diag);
  }
}

bool Throttle::admit(Bucket& bucket, int64_t now) {
  if (bucket.count == 0 || now - bucket.window_start >= window_ns_) {
    bucket.window_start = now;
    bucket.count = 0;
  }
  if (bucket.count >= threshold_) return false;
  ++bucket.count;
  return true;
}

void Throttle::evictExpired(int64_t now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (now - it->second.window_start >= window_ns_) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

void Throttle::process(Batch& batch, Emitter& out) {
  thread_local std::string key;
  std::vector<Event>& events = batch.events();
  size_t kept = 0;
  {
    std::lock_guard lock(mutex_);
    const int64_t now = clock_.nowNs();
    bool evicted = false;
    for (size_t i = 0; i < events.size(); ++i) {
      Bucket* bucket = &unkeyed_;
      key.clear();
      if (key_ && key_->render(batch, events[i], key)) {
        auto it = buckets_.find(std::string_view(key));
        if (it != buckets_.end()) {
          bucket = &it->second;
        } else {
          if (buckets_.size() >= max_keys_ && !evicted) {
            evictExpired(now);
            evicted = true;
          }
          bucket = buckets_.size() < max_keys_ ? &buckets_[key] : &overflow_;
        }
      }
      if (admit(*bucket, now)) events[kept++] = events[i];
    }
  }
  size_t dropped = events.size() - kept;
  events.resize(kept);
  if (dropped > 0 && context_ != nullptr) context_->metrics().discarded(reason_, dropped);
  if (kept > 0) out.emit(std::move(batch));
}

}  // namespace logship
