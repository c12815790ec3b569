#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/config.h"

namespace boost::asio {
class io_context;
}
namespace prometheus {
class Registry;
}

namespace logship {

// Per-component counters every stage reports (`logship_component_*`).
class ComponentMetrics {
 public:
  virtual ~ComponentMetrics() = default;
  virtual void received(uint64_t events, uint64_t bytes) = 0;
  virtual void sent(uint64_t events, uint64_t bytes) = 0;
  // Events a stage dropped or could not handle, by reason (`logship_component_discarded_events_total`).
  virtual void discarded(std::string_view reason, uint64_t events) = 0;
  virtual void error(std::string_view reason) = 0;
};

// What every component can reach at runtime.
class ComponentContext {
 public:
  virtual ~ComponentContext() = default;
  virtual std::string_view id() const = 0;
  virtual const GlobalConfig& global() const = 0;
  virtual ComponentMetrics& metrics() = 0;
  virtual prometheus::Registry& metricsRegistry() = 0;
  // The worker this component runs on; every callback of the component happens on its thread.
  virtual boost::asio::io_context& io() = 0;
};

class SourceContext : public ComponentContext {
 public:
  // Runs `batch` through the transforms downstream, on the calling (worker) thread, and hands it
  // to the outputs.
  virtual void emit(Batch&& batch) = 0;
  // True while an output downstream holds more bytes than its queue allows: stop reading and check
  // again later; the log file itself is the buffer.
  virtual bool downstreamFull() const = 0;
  // A finite source (stdin) has delivered all it will; the agent exits when all sources have.
  virtual void finished() = 0;
};

// The most recent failure a component reported, with its time; written on the component's worker,
// read by /status from any thread.
class LastError {
 public:
  void set(std::string_view what);
  std::string get() const;  // "" until a failure; then "<RFC 3339 time> <what>"

 private:
  mutable std::mutex mutex_;
  std::string text_;
};

// Reads from outside and emits batches. Constructed from validated config (no I/O in the
// constructor: `validate` builds components too); start() opens files and schedules reads.
class Source {
 public:
  virtual ~Source() = default;
  virtual void start(SourceContext& context) = 0;
  // Stop reading (called on the source's worker). Acknowledgements may still arrive afterwards.
  virtual void stop() = 0;
  // Persist positions of acknowledged data; called after outputs drained and on an interval.
  virtual void saveState() {}
  // JSON object describing what the source reads (files, offsets, lag) for /status.
  virtual std::string statusJson() const { return "{}"; }
};

class Emitter {
 public:
  virtual ~Emitter() = default;
  // Passes `batch` on through `port` ("" is the default output).
  virtual void emit(Batch&& batch, std::string_view port = {}) = 0;
};

// Changes batches in place and emits them. Called on worker threads, possibly several at once for
// different batches (a transform can have inputs on several workers): a stateful transform guards
// its state per batch, never per event.
class Transform {
 public:
  virtual ~Transform() = default;
  virtual void start(ComponentContext&) {}
  // Whatever of `batch` is not emitted when process() returns counts as consumed.
  virtual void process(Batch& batch, Emitter& out) = 0;
  // Named outputs other than the default one, referenced as `<id>.<port>` in `inputs`.
  virtual std::vector<std::string> ports() const { return {}; }
  // True for transforms whose output holds no personal data they were set to remove: what
  // passed one may be shown (tap) without a warning.
  virtual bool removesPersonalData() const { return false; }
  // Persist what the transform keeps between batches (detection windows); called at shutdown,
  // after the sources saved their positions. Stateful transforms also save on their own timer.
  virtual void saveState() {}
};

// Writes frozen batches to a destination. consume() is called on the sink's own worker in routing
// order; the sink resolves `ack` when the destination accepted the batch (Delivered), refused it
// for good (Rejected, after dead-lettering) or when it gives up for now (Errored).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void start(ComponentContext& context) = 0;
  virtual void consume(SharedBatch batch, AckToken ack) = 0;
  // Send now what is held back to fill an object or a request (shutdown: the sources have
  // stopped, nothing more is coming).
  virtual void flush() {}
  // Flush and release; pending acks not resolved by now count as Errored.
  virtual void stop() = 0;
  virtual bool healthy() const { return true; }
  // The latest delivery failure, for /status and `logship status` ("" when none yet).
  virtual std::string lastError() const { return {}; }
  // Where the data goes (a path, an endpoint), for the start-up message and /status.
  virtual std::string destination() const { return {}; }
};

}  // namespace logship
