#pragma once

#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"

namespace logship {

struct ArchiveAnchorConfig {
  std::string path;  // the archive's root, as in its output's `path`
  Duration interval = std::chrono::minutes(1);

  static const OptionTable<ArchiveAnchorConfig>& options();
};

// Anchors an archive's chains outside the host: at start and whenever a tier's MANIFEST has grown
// (checked every `interval`), emits the tier's chain head as an event (`archive anchor tier=T
// records=N chain=H`, with archive.tier, archive.records, archive.seq, archive.file and
// archive.chain) for an output off the host to record. Whoever rewrites the archive and its
// manifest on the host cannot rewrite the anchors too; `logship archive verify --anchors` finds
// the difference.
class ArchiveAnchorSource final : public Source {
 public:
  ArchiveAnchorSource(ArchiveAnchorConfig config, BuildContext& ctx);
  ~ArchiveAnchorSource() override;

  void start(SourceContext& context) override;
  void stop() override;
  std::string statusJson() const override;

  // Reads every tier's manifest and emits the heads that moved; returns how many it emitted.
  size_t anchorNow();

 private:
  void schedule();

  ArchiveAnchorConfig config_;
  SourceContext* context_ = nullptr;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  mutable std::mutex mutex_;  // anchored_ is read by /status
  std::map<std::string, size_t> anchored_;  // tier -> records in the last anchor emitted
  bool stopped_ = false;
};

void registerArchiveAnchorSource(Registry& registry);

}  // namespace logship
