#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"

namespace logship {

// The agent's metrics registry: per-component traffic, output queues and acknowledgements, and
// the process itself. Rendered in the Prometheus text format for /metrics.
class Metrics {
 public:
  Metrics();

  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> sharedRegistry() { return registry_; }
  std::unique_ptr<ComponentMetrics> forComponent(const std::string& id, ComponentKind kind,
                                                 const std::string& type);
  prometheus::Gauge& outputQueueBytes(const std::string& id);
  prometheus::Counter& outputAcks(const std::string& id, const char* status);
  std::string render();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& received_events_;
  prometheus::Family<prometheus::Counter>& received_bytes_;
  prometheus::Family<prometheus::Counter>& sent_events_;
  prometheus::Family<prometheus::Counter>& sent_bytes_;
  prometheus::Family<prometheus::Counter>& discarded_events_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Gauge>& queue_bytes_;
  prometheus::Family<prometheus::Counter>& acks_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  friend class ComponentMetricsImpl;
};

}  // namespace logship
