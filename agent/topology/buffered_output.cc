#include "agent/topology/buffered_output.h"

#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "agent/core/log.h"
#include "agent/support/timestamp.h"

namespace logship {

BufferOptions readBufferOptions(const ConfigNode& node, Diagnostics& diag) {
  BufferOptions o;
  if (!node.defined()) return o;
  if (!node.isMap()) {
    diag.error(node.location(), "buffer must be a map like {type: disk, max_bytes: 10GiB}");
    return o;
  }
  for (auto& [k, v] : node.entries()) {
    std::string key = k.yaml().Scalar();
    if (key == "type") {
      readValue(v, o.type, diag);
      if (o.type != "memory" && o.type != "disk") {
        diag.error(v.location(), "'" + o.type + "' is not one of: memory, disk");
      }
    } else if (key == "max_bytes") {
      ByteSize b;
      if (readValue(v, b, diag)) o.max_bytes = b.bytes;
    } else if (key == "when_full") {
      readValue(v, o.when_full, diag);
      if (o.when_full != "block" && o.when_full != "drop_newest") {
        diag.error(v.location(), "'" + o.when_full + "' is not one of: block, drop_newest");
      }
    } else if (key == "fsync_interval") {
      readValue(v, o.fsync_interval, diag);
    } else if (key == "encryption_key_file") {
      std::string path, error;
      auto keys = std::make_shared<KeyRing>();
      if (readValue(v, path, diag)) {
        if (KeyRing::load(path, keys.get(), &error)) {
          o.keys = std::move(keys);
        } else {
          diag.error(v.location(), error);
        }
      }
    } else {
      diag.error(k.location(), "unknown option '" + key +
                                   "' (known: type, max_bytes, when_full, fsync_interval, "
                                   "encryption_key_file)");
    }
  }
  if (o.type == "memory" && o.when_full != "block") {
    diag.error(node.location(), "a memory buffer only blocks; drop_newest needs type: disk");
  }
  if (o.type == "memory" && o.keys) {
    diag.error(node.location(), "encryption_key_file is for type: disk (memory is not at rest)");
  }
  return o;
}

// Routes a replayed frame's acknowledgement back to the buffer, on the sink's worker.
class BufferedOutput::ReplayAck final : public AckReceiver {
 public:
  explicit ReplayAck(BufferedOutput& owner) : owner_(owner) {}
  struct Pending {
    AckToken frame;
    uint64_t bytes;
  };
  void acknowledge(uint64_t cookie, AckStatus status) override {
    auto* p = reinterpret_cast<Pending*>(cookie);
    p->frame.resolve(status);
    uint64_t bytes = p->bytes;
    delete p;
    boost::asio::post(owner_.context_.io(), [o = &owner_, bytes] { o->frameFinished(bytes); });
  }

 private:
  BufferedOutput& owner_;
};

BufferedOutput::BufferedOutput(Sink& sink, ComponentContext& context, const BufferOptions& options,
                               uint64_t replay_window_bytes)
    : sink_(sink),
      context_(context),
      options_(options),
      replay_window_(replay_window_bytes),
      buffer_(
          DiskBuffer::Options{context.global().data_dir + "/buffers/" + std::string(context.id()),
                              options.max_bytes ? options.max_bytes : (1ull << 30), 32ull << 20,
                              options.keys}),
      replay_ack_(std::make_unique<ReplayAck>(*this)) {}

BufferedOutput::~BufferedOutput() = default;

bool BufferedOutput::open(std::string* error) {
  if (!buffer_.open(error)) return false;
  auto& registry = context_.metricsRegistry();
  prometheus::Labels labels{{"component_id", std::string(context_.id())}};
  auto gauge = [&](const char* name, const char* help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add(labels);
  };
  bytes_ = gauge("logship_buffer_bytes", "Bytes in an output's disk buffer not yet delivered.");
  events_ = gauge("logship_buffer_events", "Events in an output's disk buffer not yet delivered.");
  oldest_ = gauge("logship_buffer_oldest_age_seconds",
                  "Age of the oldest undelivered batch in an output's disk buffer.");
  replayed_ = gauge("logship_buffer_replayed_frames",
                    "Frames found undelivered in the disk buffer at start and replayed.");
  corrupt_ = gauge("logship_buffer_corrupt_frames",
                   "Torn or corrupt disk-buffer frames skipped since start.");
  auto stats = buffer_.stats();
  if (stats.frames_replayed || stats.corrupt_frames) {
    logInfo("output '" + std::string(context_.id()) + "': disk buffer holds " +
            std::to_string(stats.events) + " undelivered events; replaying" +
            (stats.corrupt_frames
                 ? " (skipped " + std::to_string(stats.corrupt_frames) + " corrupt frames)"
                 : ""));
  }
  sync_timer_ = std::make_unique<boost::asio::steady_timer>(context_.io());
  tick_timer_ = std::make_unique<boost::asio::steady_timer>(context_.io());
  boost::asio::post(context_.io(), [this] {
    replay();
    tick();
  });
  return true;
}

void BufferedOutput::accept(SharedBatch batch, AckToken ack) {
  // Behind a held batch, keep the order.
  if (!blocked_.empty() || !tryAppend(batch, ack)) {
    blocked_.emplace_back(std::move(batch), std::move(ack));
  }
}

bool BufferedOutput::tryAppend(const SharedBatch& batch, AckToken& ack) {
  DiskBuffer::Append result = buffer_.append(*batch, timestamp::nowNs());
  if (result == DiskBuffer::Append::kFull) {
    // Frames delivered since the last tick still count until collected: collect them now rather
    // than drop (or hold) a batch there is room for.
    buffer_.collect();
    result = buffer_.append(*batch, timestamp::nowNs());
  }
  switch (result) {
    case DiskBuffer::Append::kOk:
      if (write_failing_) {
        write_failing_ = false;
        logInfo("output '" + std::string(context_.id()) + "': disk buffer writable again");
      }
      unsynced_.push_back(std::move(ack));
      syncSoon();
      replay();
      return true;
    case DiskBuffer::Append::kFull:
      if (options_.when_full == "drop_newest") {
        context_.metrics().discarded("buffer_full", batch->events().size());
        drop_warning_.log(LogLevel::kWarn,
                          "output '" + std::string(context_.id()) + "': disk buffer full (" +
                              std::to_string(buffer_.stats().bytes) + " bytes); dropping " +
                              std::to_string(batch->events().size()) +
                              " events (when_full: drop_newest)");
        ack.resolve(AckStatus::kDelivered);  // dropped by configuration: the source moves on
        return true;
      }
      return false;
    case DiskBuffer::Append::kError:
      if (!write_failing_) {
        write_failing_ = true;
        context_.metrics().error("buffer_write_failed");
        logWarn("output '" + std::string(context_.id()) +
                "': cannot write its disk buffer (disk full?); holding batches, sources paused");
      }
      return false;
  }
  return false;
}

void BufferedOutput::syncSoon() {
  if (sync_scheduled_) return;
  sync_scheduled_ = true;
  sync_timer_->expires_after(options_.fsync_interval);
  sync_timer_->async_wait([this](const boost::system::error_code& ec) {
    sync_scheduled_ = false;
    if (ec) return;
    if (!buffer_.sync()) {
      context_.metrics().error("buffer_sync_failed");
      syncSoon();
      return;
    }
    while (!unsynced_.empty()) {
      unsynced_.front().resolve(AckStatus::kDelivered);
      unsynced_.pop_front();
    }
  });
}

void BufferedOutput::replay() {
  while (!stopped_ && in_flight_bytes_ < replay_window_) {
    std::optional<Batch> batch = buffer_.next();
    if (!batch) return;
    uint64_t bytes = batch->memoryBytes();
    auto* pending = new ReplayAck::Pending{batch->takeAck(), bytes};
    in_flight_bytes_ += bytes;
    sink_.consume(std::make_shared<const Batch>(std::move(*batch)),
                  AckToken(replay_ack_.get(), reinterpret_cast<uint64_t>(pending)));
  }
}

void BufferedOutput::frameFinished(uint64_t bytes) {
  in_flight_bytes_ -= bytes;
  replay();
}

void BufferedOutput::retryBlocked() {
  while (!blocked_.empty() && tryAppend(blocked_.front().first, blocked_.front().second)) {
    blocked_.pop_front();
  }
}

void BufferedOutput::tick() {
  if (stopped_) return;
  buffer_.collect();
  retryBlocked();
  replay();
  auto s = buffer_.stats();
  bytes_->Set(static_cast<double>(s.bytes));
  events_->Set(static_cast<double>(s.events));
  oldest_->Set(s.oldest_ns ? static_cast<double>(timestamp::nowNs() - s.oldest_ns) / 1e9 : 0.0);
  replayed_->Set(static_cast<double>(s.frames_replayed));
  corrupt_->Set(static_cast<double>(s.corrupt_frames));
  tick_timer_->expires_after(std::chrono::milliseconds(100));
  tick_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void BufferedOutput::stop() {
  stopped_ = true;
  if (sync_timer_) sync_timer_->cancel();
  if (tick_timer_) tick_timer_->cancel();
  if (buffer_.sync()) {
    for (AckToken& a : unsynced_) a.resolve(AckStatus::kDelivered);
  }
  unsynced_.clear();
  blocked_.clear();  // never written: their sources read them again after a restart
  buffer_.collect();
}

uint64_t BufferedOutput::storedBytes() const {
  return bytes_ ? static_cast<uint64_t>(bytes_->Value()) : 0;
}

}  // namespace logship
