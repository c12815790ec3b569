#pragma once

#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "outputs/common/ndjson_encoder.h"

namespace logship {

struct ConsoleOutputConfig {
  std::string target = "stdout";

  static const OptionTable<ConsoleOutputConfig>& options();
};

// Writes events as NDJSON to standard output or standard error (for `logship run` by hand and for
// containers whose runtime collects stdout).
class ConsoleOutput final : public Sink {
 public:
  ConsoleOutput(ConsoleOutputConfig config, BuildContext& ctx);
  void start(ComponentContext& context) override;
  void consume(SharedBatch batch, AckToken ack) override;
  std::string destination() const override { return config_.target; }
  void stop() override {}

 private:
  ConsoleOutputConfig config_;
  ComponentContext* context_ = nullptr;
  NdjsonEncoder encoder_;
  std::string buffer_;
  int fd_;
};

void registerConsoleOutput(Registry& registry);

}  // namespace logship
