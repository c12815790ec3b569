#pragma once

#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <string>

#include "agent/api/component.h"
#include "agent/core/disk_buffer.h"
#include "agent/core/log.h"
#include "agent/support/aead.h"

namespace prometheus {
class Counter;
class Gauge;
}  // namespace prometheus

namespace logship {

class Metrics;

// `buffer: {type: disk, ...}` of an output.
struct BufferOptions {
  std::string type = "memory";
  uint64_t max_bytes = 0;  // 0: the default of the type
  std::string when_full = "block";
  Duration fsync_interval = std::chrono::milliseconds(200);
  std::shared_ptr<const KeyRing> keys;  // disk: encrypt frames at rest (encryption_key_file)
};
// Reads an output's `buffer` map; errors go to `diag`.
BufferOptions readBufferOptions(const ConfigNode& node, Diagnostics& diag);

// Puts a disk buffer in front of a sink, on the sink's worker: batches are appended to the buffer
// and their sources acknowledged once the buffer is synced, so sources keep reading while the
// destination is down; the buffer is replayed to the sink in order, a bounded number of bytes at a
// time. When the buffer is full: `block` holds batches (their sources pause) or `drop_newest`
// drops them, counted.
class BufferedOutput final {
 public:
  BufferedOutput(Sink& sink, ComponentContext& context, const BufferOptions& options,
                 uint64_t replay_window_bytes);
  ~BufferedOutput();

  bool open(std::string* error);
  // On the sink's worker.
  void accept(SharedBatch batch, AckToken ack);
  void stop();
  // Bytes held on disk, from any thread.
  uint64_t storedBytes() const;

 private:
  class ReplayAck;
  // Appends (or drops, when so configured); false when the batch must wait.
  bool tryAppend(const SharedBatch& batch, AckToken& ack);
  void syncSoon();
  void replay();
  void retryBlocked();
  void tick();
  void frameFinished(uint64_t bytes);

  Sink& sink_;
  ComponentContext& context_;
  BufferOptions options_;
  uint64_t replay_window_;
  DiskBuffer buffer_;
  std::unique_ptr<ReplayAck> replay_ack_;
  std::deque<AckToken> unsynced_;
  std::deque<std::pair<SharedBatch, AckToken>> blocked_;
  uint64_t in_flight_bytes_ = 0;
  std::unique_ptr<boost::asio::steady_timer> sync_timer_;
  std::unique_ptr<boost::asio::steady_timer> tick_timer_;
  bool sync_scheduled_ = false;
  bool stopped_ = false;
  bool write_failing_ = false;
  LogThrottle drop_warning_;  // drop_newest: one line per interval while batches are dropped
  prometheus::Gauge* bytes_ = nullptr;
  prometheus::Gauge* events_ = nullptr;
  prometheus::Gauge* oldest_ = nullptr;
  prometheus::Gauge* replayed_ = nullptr;
  prometheus::Gauge* corrupt_ = nullptr;
};

}  // namespace logship
