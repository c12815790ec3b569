#include "agent/sources/stdin/stdin_source.h"

#include <poll.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>

#include "agent/core/line_reader.h"

namespace logship {

const OptionTable<StdinSourceConfig>& StdinSourceConfig::options() {
  static const OptionTable<StdinSourceConfig> table = [] {
    OptionTable<StdinSourceConfig> t;
    t.optional("max_line_bytes", &StdinSourceConfig::max_line_bytes,
               "Longer lines are truncated to this size, flagged and counted.")
        .optional("batch_bytes", &StdinSourceConfig::batch_bytes,
                  "Bytes read into one batch at most.");
    return t;
  }();
  return table;
}

StdinSource::StdinSource(StdinSourceConfig config, BuildContext&) : config_(std::move(config)) {}

StdinSource::~StdinSource() { stop(); }

void StdinSource::start(SourceContext& context) {
  context_ = &context;
  reader_ = std::thread([this] { readLoop(); });
}

// Waits for the reader: once stopped, the source no longer touches its context, which the
// topology may then tear down. The reader notices within its 100 ms poll.
void StdinSource::stop() {
  stopped_ = true;
  if (reader_.joinable()) reader_.join();
}

void StdinSource::readLoop() {
  LineReader reader(config_.max_line_bytes.bytes, 0);
  // Each batch is emitted on the worker; waiting for that keeps at most one batch in hand and
  // lets backpressure reach the writer of the pipe.
  auto emitOnWorker = [this](LineReader::Chunk chunk) -> bool {
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    auto batch = std::make_shared<Batch>(std::move(chunk.batch));
    boost::asio::post(context_->io(), [this, batch, done] {
      context_->metrics().received(batch->events().size(), batch->raw().size());
      context_->emit(std::move(*batch));
      done->set_value();
    });
    // The worker stops at shutdown without running what is queued: do not wait for it then.
    while (future.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
      if (stopped_) return false;
    }
    return true;
  };
  while (!stopped_) {
    while (!stopped_ && context_->downstreamFull()) ::usleep(5000);
    pollfd p{STDIN_FILENO, POLLIN, 0};
    int ready = ::poll(&p, 1, 100);
    if (ready == 0) continue;
    if (ready < 0 && errno == EINTR) continue;
    ssize_t n = 0;
    int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    auto chunk = reader.read(STDIN_FILENO, config_.batch_bytes.bytes, now, &n);
    if (chunk) {
      if (!emitOnWorker(std::move(*chunk))) return;
      continue;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    // End of input (or an unreadable stdin): ship the unterminated last line, then finish.
    if (auto last = reader.flushPartial(now)) emitOnWorker(std::move(*last));
    break;
  }
  boost::asio::post(context_->io(), [this] { context_->finished(); });
}

void registerStdinSource(Registry& registry) {
  registry.addSource<StdinSourceConfig, StdinSource>(
      "stdin", "Reads lines from standard input until it closes.");
}

}  // namespace logship
