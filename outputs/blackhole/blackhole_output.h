#pragma once

#include "agent/api/component.h"
#include "agent/api/registry.h"

namespace logship {

struct BlackholeOutputConfig {
  static const OptionTable<BlackholeOutputConfig>& options();
};

// Accepts and acknowledges everything, counting it: for benchmarks and for measuring the pipeline
// without a destination.
class BlackholeOutput final : public Sink {
 public:
  BlackholeOutput(BlackholeOutputConfig, BuildContext&) {}
  void start(ComponentContext& context) override { context_ = &context; }
  void consume(SharedBatch batch, AckToken ack) override {
    context_->metrics().sent(batch->events().size(), batch->raw().size());
    ack.resolve(AckStatus::kDelivered);
  }
  void stop() override {}

 private:
  ComponentContext* context_ = nullptr;
};

void registerBlackholeOutput(Registry& registry);

}  // namespace logship
