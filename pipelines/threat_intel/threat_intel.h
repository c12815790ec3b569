#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "pipelines/common/event_fields.h"
#include "pipelines/common/file_watch.h"
#include "pipelines/common/indicator_lists.h"
#include "pipelines/threat_intel/threat_intel_config.h"

namespace prometheus {
class Counter;
}

namespace logship {

// Marks events whose field holds an indicator of one of the configured lists (addresses and
// CIDRs, domains with their subdomains, file hashes) with ECS threat.* fields. The lists are
// loaded at start (a bad line is a config error there) and reloaded from a thread of their own
// when a file changes, then swapped in: events never wait for a reload, and one that fails keeps
// the lists it had.
class ThreatIntel final : public Transform {
 public:
  ThreatIntel(ThreatIntelConfig config, BuildContext& ctx);
  ~ThreatIntel() override;
  void start(ComponentContext& context) override;
  void process(Batch& batch, Emitter& out) override;

  // Looks at the files now and reloads them when one changed (what the watch thread does every
  // reload_interval); true when new lists were swapped in.
  bool reloadIfChanged();

 private:
  bool reload();
  std::shared_ptr<const indicators::Indicators> current() const;

  FieldRef field_;
  std::vector<indicators::ListSpec> lists_;
  std::chrono::milliseconds reload_interval_;

  mutable std::mutex indicators_mutex_;
  std::shared_ptr<const indicators::Indicators> indicators_;

  std::unique_ptr<FileWatch> watch_;
  std::vector<prometheus::Counter*> matches_;    // per list
  std::vector<prometheus::Counter*> bad_lines_;  // per list
  prometheus::Counter* reloads_ok_ = nullptr;
  prometheus::Counter* reloads_failed_ = nullptr;
};

}  // namespace logship
