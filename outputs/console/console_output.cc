#include "outputs/console/console_output.h"

#include <unistd.h>

#include <cerrno>

#include "agent/support/files.h"

namespace logship {

const OptionTable<ConsoleOutputConfig>& ConsoleOutputConfig::options() {
  static const OptionTable<ConsoleOutputConfig> table = [] {
    OptionTable<ConsoleOutputConfig> t;
    t.oneOf("target", &ConsoleOutputConfig::target, {"stdout", "stderr"}, "Stream to write to.");
    return t;
  }();
  return table;
}

ConsoleOutput::ConsoleOutput(ConsoleOutputConfig config, BuildContext& ctx)
    : config_(std::move(config)),
      encoder_(ctx.global),
      fd_(config_.target == "stderr" ? STDERR_FILENO : STDOUT_FILENO) {}

void ConsoleOutput::start(ComponentContext& context) { context_ = &context; }

void ConsoleOutput::consume(SharedBatch batch, AckToken ack) {
  buffer_.clear();
  encoder_.encode(*batch, buffer_);
  if (writeAll(fd_, buffer_) != buffer_.size()) {
    // A closed stdout cannot take the data; it stays unacknowledged and is re-read later.
    context_->metrics().error("write_failed");
    ack.resolve(AckStatus::kErrored);
    return;
  }
  context_->metrics().sent(batch->events().size(), buffer_.size());
  ack.resolve(AckStatus::kDelivered);
}

void registerConsoleOutput(Registry& registry) {
  registry.addOutput<ConsoleOutputConfig, ConsoleOutput>(
      "console", "Writes events to stdout or stderr as NDJSON.");
}

}  // namespace logship
