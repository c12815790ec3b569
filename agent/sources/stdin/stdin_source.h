#pragma once

#include <atomic>
#include <thread>

#include "agent/api/component.h"
#include "agent/api/registry.h"

namespace logship {

struct StdinSourceConfig {
  ByteSize max_line_bytes{1u << 20};
  ByteSize batch_bytes{256u << 10};

  static const OptionTable<StdinSourceConfig>& options();
};

// Reads lines from standard input until end of file; then the source is finished, and once every
// source is, the agent drains and exits. Reading happens on a thread of its own (a pipe or a
// terminal blocks); batches are handed to the source's worker.
class StdinSource final : public Source {
 public:
  StdinSource(StdinSourceConfig config, BuildContext& ctx);
  ~StdinSource() override;
  void start(SourceContext& context) override;
  void stop() override;

 private:
  void readLoop();

  StdinSourceConfig config_;
  SourceContext* context_ = nullptr;
  std::thread reader_;
  std::atomic<bool> stopped_{false};
};

void registerStdinSource(Registry& registry);

}  // namespace logship
