#pragma once

// The parts of the running graph, shared by topology.cc (building and running it) and
// topology_reload.cc (taking over from a running one). Internal to agent/topology.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "agent/core/metrics.h"
#include "agent/topology/buffered_output.h"
#include "agent/topology/topology.h"

namespace logship {

namespace asio = boost::asio;
// An output holding more than this in unacknowledged batches pauses the sources feeding it. The
// events of those batches take about three times their raw bytes in memory (fields, encoded
// output), so this bounds the agent's RSS: 16 MiB keeps the full security pipeline under 48 MB
// at the same throughput as 64 MiB (measured); HTTP outputs' batches in flight fit well within.
constexpr size_t kDefaultOutputQueueBytes = 16u << 20;

// Holds the route lock shared for the outermost routing call of this thread: a transform emitting
// inside a source's emit is covered by the source's hold.
class RouteLock {
 public:
  explicit RouteLock(std::shared_mutex& routes) : routes_(depth_++ == 0 ? &routes : nullptr) {
    if (routes_) routes_->lock_shared();
  }
  ~RouteLock() {
    --depth_;
    if (routes_) routes_->unlock_shared();
  }
  RouteLock(const RouteLock&) = delete;
  RouteLock& operator=(const RouteLock&) = delete;

 private:
  static inline thread_local int depth_ = 0;
  std::shared_mutex* routes_;
};

struct Topology::Consumers {
  std::vector<TransformNode*> transforms;
  std::vector<OutputNode*> outputs;
};

// Listeners of `logship tap` on one component; checked with one relaxed load per batch.
struct TapPoint {
  std::atomic<bool> active{false};
  std::mutex mutex;
  std::vector<std::shared_ptr<Topology::TapFn>> listeners;

  void publish(const Batch& batch) {
    if (!active.load(std::memory_order_relaxed)) return;
    std::lock_guard lock(mutex);
    for (auto& fn : listeners) (*fn)(batch);
  }
};

// Each node declares its component after the context (and routes) the component uses: members go
// in reverse order, so the component, and any thread of its own, is gone before what it refers to.
struct Topology::Node {
  virtual ~Node() = default;
  std::string id;
  std::string identity;  // identityOf() its config
  TapPoint tap;
  std::string type;
  ComponentKind kind;
  ConfigNode config;
  std::vector<InputRef> inputs;
  std::unique_ptr<ComponentMetrics> metrics;
  asio::io_context* io = nullptr;
};

class ContextBase {
 public:
  ContextBase(std::string_view id, const GlobalConfig& global, ComponentMetrics& metrics,
              Metrics& registry, asio::io_context& io)
      : id_(id), global_(global), metrics_(metrics), registry_(registry), io_(io) {}

 protected:
  std::string_view id_;
  const GlobalConfig& global_;
  ComponentMetrics& metrics_;
  Metrics& registry_;
  asio::io_context& io_;
};

// Context handed to transforms and outputs.
class ComponentContextImpl final : public ComponentContext, ContextBase {
 public:
  using ContextBase::ContextBase;
  std::string_view id() const override { return id_; }
  const GlobalConfig& global() const override { return global_; }
  ComponentMetrics& metrics() override { return metrics_; }
  prometheus::Registry& metricsRegistry() override { return registry_.registry(); }
  asio::io_context& io() override { return io_; }
};

struct Topology::OutputNode final : Node, AckReceiver {
  std::unique_ptr<ComponentContextImpl> context;
  std::unique_ptr<Sink> sink;
  BufferOptions buffer_options;
  std::unique_ptr<BufferedOutput> buffered;  // with `buffer: {type: disk}`
  std::atomic<int64_t> queue_bytes{0};
  std::atomic<bool> closed{false};  // stopped: batches still queued are dropped (left un-acked)
  // Set on the output's worker once the sink started; batches routed before wait for it.
  std::atomic<bool> running{false};
  std::vector<std::pair<SharedBatch, AckToken>> waiting;
  size_t max_queue_bytes = kDefaultOutputQueueBytes;
  prometheus::Gauge* queue_gauge = nullptr;
  prometheus::Counter* acks[3] = {};

  struct Pending {
    AckToken upstream;
    int64_t bytes;
  };

  bool full() const {
    return queue_bytes.load(std::memory_order_relaxed) > static_cast<int64_t>(max_queue_bytes);
  }

  void enqueue(SharedBatch batch, AckToken upstream) {
    int64_t bytes = static_cast<int64_t>(batch->memoryBytes());
    queue_bytes.fetch_add(bytes, std::memory_order_relaxed);
    queue_gauge->Increment(static_cast<double>(bytes));
    metrics->received(batch->events().size(), batch->raw().size());
    auto* pending = new Pending{std::move(upstream), bytes};
    AckToken token(this, reinterpret_cast<uint64_t>(pending));
    asio::post(*io, [this, batch = std::move(batch), token = std::move(token)]() mutable {
      if (closed) return;
      if (!running) {
        waiting.emplace_back(std::move(batch), std::move(token));
        return;
      }
      deliver(std::move(batch), std::move(token));
    });
  }

  void deliver(SharedBatch batch, AckToken token) {
    if (buffered) {
      buffered->accept(std::move(batch), std::move(token));
    } else {
      sink->consume(std::move(batch), std::move(token));
    }
  }

  // Starts the sink (and opens its disk buffer) on the output's worker, or before the workers run.
  // Throws when the disk buffer cannot open.
  void open() {
    sink->start(*context);
    if (buffer_options.type == "disk") {
      buffered = std::make_unique<BufferedOutput>(*sink, *context, buffer_options, max_queue_bytes);
      std::string error;
      if (!buffered->open(&error)) {
        buffered.reset();  // never opened: nothing of it may be used or stopped
        throw std::runtime_error("output '" + id + "': " + error);
      }
    }
    running = true;
    for (auto& [batch, token] : std::exchange(waiting, {})) deliver(batch, std::move(token));
  }

  void stop() {
    sink->stop();
    if (buffered) buffered->stop();
    closed = true;
  }

  void acknowledge(uint64_t cookie, AckStatus status) override {
    auto* pending = reinterpret_cast<Pending*>(cookie);
    queue_bytes.fetch_sub(pending->bytes, std::memory_order_relaxed);
    queue_gauge->Decrement(static_cast<double>(pending->bytes));
    acks[static_cast<int>(status)]->Increment();
    pending->upstream.resolve(status);
    delete pending;
  }
};

struct Topology::TransformNode final : Node {
  std::map<std::string, Consumers, std::less<>> ports;  // "" is the default output
  std::unique_ptr<ComponentContextImpl> context;
  std::unique_ptr<TransformEmitter> emitter;
  std::unique_ptr<Transform> transform;
};

struct Topology::SourceNode final : Node {
  // `fields: {env: prod, chain: cere}`: static fields of every event the source emits.
  std::vector<std::pair<std::string, std::string>> static_fields;
  Consumers consumers;
  std::vector<OutputNode*> reachable_outputs;
  std::unique_ptr<SourceContextImpl> context;
  std::unique_ptr<Source> source;
};

class Topology::TransformEmitter final : public Emitter {
 public:
  TransformEmitter(Topology& topology, TransformNode& node)
      : topology_(&topology), routes_(topology.routes_), node_(node) {}
  // Called from process() and from the transform's own timers (detect's alerts).
  void emit(Batch&& batch, std::string_view port) override {
    RouteLock lock(*routes_);
    if (retired_) return;  // a reload removed this transform: what it emits now is dropped
    auto it = node_.ports.find(port);
    node_.metrics->sent(batch.events().size(), 0);
    node_.tap.publish(batch);
    if (it == node_.ports.end()) return;  // nobody reads this port: consumed
    topology_->dispatch(it->second, std::move(batch));
  }
  // Under the exclusive route lock.
  void rebind(Topology& topology) { topology_ = &topology; }
  void retire() { retired_ = true; }

 private:
  Topology* topology_;
  std::shared_ptr<std::shared_mutex> routes_;
  TransformNode& node_;
  bool retired_ = false;
};

class Topology::SourceContextImpl final : public SourceContext, ContextBase {
 public:
  SourceContextImpl(Topology& topology, SourceNode& node, const GlobalConfig& global,
                    Metrics& registry)
      : ContextBase(node.id, global, *node.metrics, registry, *node.io),
        topology_(&topology),
        routes_(topology.routes_),
        node_(node) {}
  std::string_view id() const override { return id_; }
  const GlobalConfig& global() const override { return global_; }
  ComponentMetrics& metrics() override { return metrics_; }
  prometheus::Registry& metricsRegistry() override { return registry_.registry(); }
  asio::io_context& io() override { return io_; }

  void emit(Batch&& batch) override {
    if (batch.events().empty()) return;  // nothing to deliver; the token resolves as consumed
    RouteLock lock(*routes_);
    if (retired_) return;  // a reload removed this source after it stopped: re-read later
    node_.metrics->sent(batch.events().size(), batch.raw().size());
    batch.setSourceName(node_.id);
    for (const auto& [key, value] : node_.static_fields) batch.addSharedString(key, value);
    node_.tap.publish(batch);
    topology_->dispatch(node_.consumers, std::move(batch));
  }
  bool downstreamFull() const override {
    RouteLock lock(*routes_);
    if (retired_ || topology_->paused_.load(std::memory_order_relaxed)) return true;
    for (OutputNode* o : node_.reachable_outputs) {
      if (o->full()) return true;
    }
    return false;
  }
  void finished() override { finished_ = true; }
  bool isFinished() const { return finished_; }
  // Under the exclusive route lock.
  void rebind(Topology& topology) { topology_ = &topology; }
  void retire() { retired_ = true; }

 private:
  Topology* topology_;
  std::shared_ptr<std::shared_mutex> routes_;
  bool retired_ = false;
  SourceNode& node_;
  std::atomic<bool> finished_{false};
};

// Runs `fn` on `io` and waits for it until `deadline`.
inline bool runOn(asio::io_context& io, std::function<void()> fn,
                  std::chrono::steady_clock::time_point deadline) {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  asio::post(io, [fn = std::move(fn), done] {
    fn();
    done->set_value();
  });
  return future.wait_until(deadline) == std::future_status::ready;
}

}  // namespace logship
