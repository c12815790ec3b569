#include "outputs/console/console_output.h"

#include <unistd.h>

#include <cerrno>

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
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // A closed stdout cannot take the data; it stays unacknowledged and is re-read later.
      context_->metrics().error("write_failed");
      ack.resolve(AckStatus::kErrored);
      return;
    }
    done += static_cast<size_t>(n);
  }
  context_->metrics().sent(batch->events().size(), buffer_.size());
  ack.resolve(AckStatus::kDelivered);
}

void registerConsoleOutput(Registry& registry) {
  registry.addOutput<ConsoleOutputConfig, ConsoleOutput>(
      "console", "Writes events to stdout or stderr as NDJSON.");
}

}  // namespace logship
