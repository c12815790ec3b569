#include "agent/topology/topology.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "agent/core/log.h"
#include "agent/core/metrics.h"
#include "agent/core/worker_pool.h"
#include "agent/topology/buffered_output.h"
#include "outputs/common/json_writer.h"

namespace logship {

namespace asio = boost::asio;

namespace {
// An output holding more than this in unacknowledged batches pauses the sources feeding it.
constexpr size_t kDefaultOutputQueueBytes = 64u << 20;
}  // namespace

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

struct Topology::Node {
  std::string id;
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
  std::unique_ptr<Sink> sink;
  std::unique_ptr<ComponentContextImpl> context;
  BufferOptions buffer_options;
  std::unique_ptr<BufferedOutput> buffered;  // with `buffer: {type: disk}`
  std::atomic<int64_t> queue_bytes{0};
  std::atomic<bool> closed{false};  // stopped: batches still queued are dropped (left un-acked)
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
      if (buffered) {
        buffered->accept(std::move(batch), std::move(token));
      } else {
        sink->consume(std::move(batch), std::move(token));
      }
    });
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
  std::unique_ptr<Transform> transform;
  std::map<std::string, Consumers, std::less<>> ports;  // "" is the default output
  std::unique_ptr<ComponentContextImpl> context;
  std::unique_ptr<TransformEmitter> emitter;
};

struct Topology::SourceNode final : Node {
  std::unique_ptr<Source> source;
  Consumers consumers;
  std::vector<OutputNode*> reachable_outputs;
  std::unique_ptr<SourceContextImpl> context;
};

class Topology::TransformEmitter final : public Emitter {
 public:
  TransformEmitter(Topology& topology, TransformNode& node) : topology_(topology), node_(node) {}
  void emit(Batch&& batch, std::string_view port) override {
    auto it = node_.ports.find(port);
    node_.metrics->sent(batch.events().size(), 0);
    node_.tap.publish(batch);
    if (it == node_.ports.end()) return;  // nobody reads this port: consumed
    topology_.dispatch(it->second, std::move(batch));
  }

 private:
  Topology& topology_;
  TransformNode& node_;
};

class Topology::SourceContextImpl final : public SourceContext, ContextBase {
 public:
  SourceContextImpl(Topology& topology, SourceNode& node, const GlobalConfig& global,
                    Metrics& registry)
      : ContextBase(node.id, global, *node.metrics, registry, *node.io),
        topology_(topology),
        node_(node) {}
  std::string_view id() const override { return id_; }
  const GlobalConfig& global() const override { return global_; }
  ComponentMetrics& metrics() override { return metrics_; }
  prometheus::Registry& metricsRegistry() override { return registry_.registry(); }
  asio::io_context& io() override { return io_; }

  void emit(Batch&& batch) override {
    if (batch.events().empty()) return;  // nothing to deliver; the token resolves as consumed
    node_.metrics->sent(batch.events().size(), batch.raw().size());
    batch.setSourceName(node_.id);
    node_.tap.publish(batch);
    topology_.dispatch(node_.consumers, std::move(batch));
  }
  bool downstreamFull() const override {
    for (OutputNode* o : node_.reachable_outputs) {
      if (o->full()) return true;
    }
    return false;
  }
  void finished() override {
    if (!finished_.exchange(true)) topology_.finite_sources_running_.fetch_sub(1);
  }

 private:
  Topology& topology_;
  SourceNode& node_;
  std::atomic<bool> finished_{false};
};

Topology::~Topology() {
  // Handlers still queued hold ack tokens that resolve into the nodes and sources: run them out
  // while everything is alive (components are stopped, so they only let go of their batches).
  // The io_contexts themselves go last, after the components whose timers belong to them.
  for (auto& on : outputs_) on->closed = true;
  if (workers_) {
    workers_->stop();
    for (size_t i = 0; i < workers_->size(); ++i) {
      workers_->worker(i).restart();
      workers_->worker(i).poll();
    }
  }
  outputs_.clear();
  transforms_.clear();
  sources_.clear();
}

std::unique_ptr<Topology> Topology::build(PipelineConfig config, const Registry& registry,
                                          Diagnostics& diag) {
  std::unique_ptr<Topology> t(new Topology());
  t->config_ = std::move(config);
  const GlobalConfig& global = t->config_.global;
  std::map<std::string, Node*, std::less<>> by_id;

  for (ComponentConfig& c : t->config_.components) {
    const ComponentFactory* factory = registry.find(c.kind, c.type);
    if (factory == nullptr) {
      diag.error(c.node["type"].location(), std::string("unknown ") + toString(c.kind) +
                                                " type '" + c.type +
                                                "' (known: " + registry.typesOf(c.kind) + ")");
    }
    BuildContext ctx{c.id, global, diag, c.node};
    auto fill = [&](Node& n) {
      n.id = c.id;
      n.type = c.type;
      n.kind = c.kind;
      n.config = c.node;
      n.inputs = c.inputs;
    };
    switch (c.kind) {
      case ComponentKind::kSource: {
        auto n = std::make_unique<SourceNode>();
        fill(*n);
        if (factory) n->source = factory->build_source(ctx);
        by_id[c.id] = n.get();
        t->sources_.push_back(std::move(n));
        break;
      }
      case ComponentKind::kTransform: {
        auto n = std::make_unique<TransformNode>();
        fill(*n);
        if (factory) n->transform = factory->build_transform(ctx);
        by_id[c.id] = n.get();
        t->transforms_.push_back(std::move(n));
        break;
      }
      case ComponentKind::kOutput: {
        auto n = std::make_unique<OutputNode>();
        fill(*n);
        if (factory) n->sink = factory->build_sink(ctx);
        n->buffer_options = readBufferOptions(c.node["buffer"], diag);
        // A memory buffer bounds the queue; a disk buffer's own bound is its size on disk.
        if (n->buffer_options.type == "memory" && n->buffer_options.max_bytes) {
          n->max_queue_bytes = n->buffer_options.max_bytes;
        }
        by_id[c.id] = n.get();
        t->outputs_.push_back(std::move(n));
        break;
      }
    }
  }

  // Wire inputs to consumers, reporting inputs that name nothing readable.
  auto consumersOf = [&](const InputRef& in, Node& consumer) -> Consumers* {
    std::string_view name = in.name;
    std::string_view port;
    if (size_t dot = name.find('.'); dot != std::string_view::npos) {
      port = name.substr(dot + 1);
      name = name.substr(0, dot);
    }
    auto it = by_id.find(name);
    if (it == by_id.end()) {
      diag.error(in.node.location(), "input '" + in.name + "' of '" + consumer.id +
                                         "' does not name any source or transform");
      return nullptr;
    }
    Node* producer = it->second;
    if (producer->kind == ComponentKind::kOutput) {
      diag.error(in.node.location(),
                 "input '" + in.name + "' is an output; outputs cannot feed other components");
      return nullptr;
    }
    if (producer == &consumer) {
      diag.error(in.node.location(), "'" + consumer.id + "' cannot read its own output");
      return nullptr;
    }
    if (producer->kind == ComponentKind::kSource) {
      if (!port.empty()) {
        diag.error(in.node.location(), "source '" + producer->id + "' has no output '" +
                                           std::string(port) + "'");
        return nullptr;
      }
      return &static_cast<SourceNode*>(producer)->consumers;
    }
    auto* tn = static_cast<TransformNode*>(producer);
    if (!port.empty() && tn->transform) {
      auto ports = tn->transform->ports();
      if (std::find(ports.begin(), ports.end(), port) == ports.end()) {
        std::string known;
        for (auto& p : ports) known += (known.empty() ? "" : ", ") + p;
        diag.error(in.node.location(), "transform '" + tn->id + "' has no output '" +
                                           std::string(port) + "'" +
                                           (known.empty() ? "" : " (it has: " + known + ")"));
        return nullptr;
      }
    }
    return &tn->ports[std::string(port)];
  };
  for (auto& tn : t->transforms_) {
    for (const InputRef& in : tn->inputs) {
      if (Consumers* c = consumersOf(in, *tn)) c->transforms.push_back(tn.get());
    }
  }
  for (auto& on : t->outputs_) {
    for (const InputRef& in : on->inputs) {
      if (Consumers* c = consumersOf(in, *on)) c->outputs.push_back(on.get());
    }
  }

  // Cycles among transforms: depth-first search, reporting each cycle once where it closes.
  std::map<const TransformNode*, int> color;  // 0 new, 1 on the stack, 2 done
  std::vector<const TransformNode*> stack;
  std::function<void(const TransformNode*)> visit = [&](const TransformNode* n) {
    color[n] = 1;
    stack.push_back(n);
    for (auto& [port, consumers] : n->ports) {
      for (const TransformNode* next : consumers.transforms) {
        if (color[next] == 1) {
          std::string path;
          auto from = std::find(stack.begin(), stack.end(), next);
          for (auto it = from; it != stack.end(); ++it) path += (*it)->id + " -> ";
          path += next->id;
          Location where = next->config.location();
          for (const InputRef& in : next->inputs) {
            if (in.name == n->id || in.name.starts_with(n->id + ".")) where = in.node.location();
          }
          diag.error(where, "cycle in the pipeline: " + path);
        } else if (color[next] == 0) {
          visit(next);
        }
      }
    }
    stack.pop_back();
    color[n] = 2;
  };
  for (auto& tn : t->transforms_) {
    if (color[tn.get()] == 0) visit(tn.get());
  }
  if (!diag.ok()) return nullptr;

  if (t->sources_.empty()) {
    diag.error(Location{std::make_shared<const std::string>(
                            t->config_.files.empty() ? "<config>" : t->config_.files.front()),
                        1, 1},
               "the pipeline has no sources");
    return nullptr;
  }

  // Outputs reachable from each source, for backpressure; warn about dead ends.
  for (auto& sn : t->sources_) {
    std::set<OutputNode*> outs;
    std::set<const TransformNode*> seen;
    std::function<void(const Consumers&)> walk = [&](const Consumers& c) {
      outs.insert(c.outputs.begin(), c.outputs.end());
      for (TransformNode* tn : c.transforms) {
        if (!seen.insert(tn).second) continue;
        for (auto& [port, consumers] : tn->ports) walk(consumers);
      }
    };
    walk(sn->consumers);
    sn->reachable_outputs.assign(outs.begin(), outs.end());
    if (outs.empty()) {
      diag.warning(sn->config.location(), "source '" + sn->id + "' reaches no output");
    }
  }
  return t;
}

void Topology::dispatch(const Consumers& consumers, Batch&& batch) {
  auto runTransform = [](TransformNode& node, Batch&& input) {
    Batch local = std::move(input);
    node.metrics->received(local.events().size(), 0);
    try {
      node.transform->process(local, *node.emitter);
    } catch (const std::exception& e) {
      node.metrics->error("exception");
      logError("transform '" + node.id + "' failed on a batch: " + e.what());
      local.ack().resolve(AckStatus::kErrored);
    }
  };
  if (consumers.outputs.empty() && consumers.transforms.empty()) return;
  if ((consumers.outputs.empty() || !outputs_running_) && consumers.transforms.size() == 1) {
    runTransform(*consumers.transforms.front(), std::move(batch));
    return;
  }
  // Several consumers: freeze the batch, share it with the outputs, give transforms their own copy.
  AckToken ack = batch.takeAck();
  auto frozen = std::make_shared<const Batch>(std::move(batch));
  if (outputs_running_) {
    for (OutputNode* o : consumers.outputs) o->enqueue(frozen, ack.fork());
  }
  for (TransformNode* tn : consumers.transforms) {
    Batch copy = frozen->cloneFrom(frozen);
    copy.ack() = ack.fork();
    runTransform(*tn, std::move(copy));
  }
  ack.resolve(AckStatus::kDelivered);
}

void Topology::start(Metrics& metrics) {
  size_t threads = config_.workers ? config_.workers : std::thread::hardware_concurrency();
  workers_ = std::make_unique<WorkerPool>(threads ? threads : 1);
  const GlobalConfig& global = config_.global;
  size_t next = 0;
  for (auto& sn : sources_) {
    sn->metrics = metrics.forComponent(sn->id, sn->kind, sn->type);
    sn->io = &workers_->worker(next++);
    sn->context = std::make_unique<SourceContextImpl>(*this, *sn, global, metrics);
  }
  for (auto& tn : transforms_) {
    tn->metrics = metrics.forComponent(tn->id, tn->kind, tn->type);
    tn->io = &workers_->worker(0);
    tn->context =
        std::make_unique<ComponentContextImpl>(tn->id, global, *tn->metrics, metrics, *tn->io);
    tn->emitter = std::make_unique<TransformEmitter>(*this, *tn);
    tn->transform->start(*tn->context);
  }
  // Outputs start on the last worker and go backwards, away from the first sources.
  size_t back = workers_->size() * 64 - 1;
  for (auto& on : outputs_) {
    on->metrics = metrics.forComponent(on->id, on->kind, on->type);
    on->io = &workers_->worker(back--);
    on->queue_gauge = &metrics.outputQueueBytes(on->id);
    for (int s = 0; s < 3; ++s) {
      on->acks[s] = &metrics.outputAcks(on->id, toString(static_cast<AckStatus>(s)));
    }
    on->context =
        std::make_unique<ComponentContextImpl>(on->id, global, *on->metrics, metrics, *on->io);
    on->sink->start(*on->context);
    if (on->buffer_options.type == "disk") {
      on->buffered = std::make_unique<BufferedOutput>(*on->sink, *on->context, on->buffer_options,
                                                      on->max_queue_bytes);
      std::string error;
      if (!on->buffered->open(&error)) {
        throw std::runtime_error("output '" + on->id + "': " + error);
      }
    }
  }
  outputs_running_ = true;
  finite_sources_running_ = sources_.size();
  workers_->start();
  for (auto& sn : sources_) {
    asio::post(*sn->io, [&sn] { sn->source->start(*sn->context); });
  }
  started_ = true;
}

void Topology::startTransformsOnly(Metrics& metrics) {
  workers_ = std::make_unique<WorkerPool>(1);
  for (auto& sn : sources_) sn->metrics = metrics.forComponent(sn->id, sn->kind, sn->type);
  for (auto& tn : transforms_) {
    tn->metrics = metrics.forComponent(tn->id, tn->kind, tn->type);
    tn->io = &workers_->worker(0);
    tn->context = std::make_unique<ComponentContextImpl>(tn->id, config_.global, *tn->metrics,
                                                         metrics, *tn->io);
    tn->emitter = std::make_unique<TransformEmitter>(*this, *tn);
    tn->transform->start(*tn->context);
  }
}

bool Topology::inject(std::string_view source, Batch&& batch) {
  for (auto& sn : sources_) {
    if (sn->id != source) continue;
    sn->tap.publish(batch);
    dispatch(sn->consumers, std::move(batch));
    return true;
  }
  return false;
}

size_t Topology::outstandingBytes() const {
  int64_t total = 0;
  for (auto& on : outputs_) total += on->queue_bytes.load();
  return static_cast<size_t>(total);
}

namespace {
// Runs `fn` on `io` and waits for it until `deadline`.
bool runOn(asio::io_context& io, std::function<void()> fn,
           std::chrono::steady_clock::time_point deadline) {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  asio::post(io, [fn = std::move(fn), done] {
    fn();
    done->set_value();
  });
  return future.wait_until(deadline) == std::future_status::ready;
}
}  // namespace

bool Topology::shutdown(std::chrono::nanoseconds timeout) {
  if (!started_) return true;
  started_ = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& sn : sources_) runOn(*sn->io, [&sn] { sn->source->stop(); }, deadline);
  while (outstandingBytes() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  bool drained = outstandingBytes() == 0;
  if (!drained) logWarn("shutdown deadline passed with undelivered batches; they will be re-read");
  for (auto& on : outputs_) {
    runOn(
        *on->io,
        [&on] {
          on->sink->stop();
          if (on->buffered) on->buffered->stop();
          on->closed = true;
        },
        deadline + std::chrono::seconds(1));
  }
  for (auto& sn : sources_) {
    runOn(*sn->io, [&sn] { sn->source->saveState(); }, deadline + std::chrono::seconds(1));
  }
  workers_->stop();
  return drained;
}

bool Topology::allSourcesFinished() const {
  return started_ && finite_sources_running_.load() == 0;
}

bool Topology::ready() const {
  if (!started_) return false;
  for (auto& on : outputs_) {
    if (!on->sink->healthy()) return false;
  }
  return true;
}

std::shared_ptr<void> Topology::tap(std::string_view component, TapFn fn) {
  Node* node = nullptr;
  for (auto& sn : sources_) node = sn->id == component ? sn.get() : node;
  for (auto& tn : transforms_) node = tn->id == component ? tn.get() : node;
  if (node == nullptr) return nullptr;
  auto listener = std::make_shared<TapFn>(std::move(fn));
  {
    std::lock_guard lock(node->tap.mutex);
    node->tap.listeners.push_back(listener);
    node->tap.active = true;
  }
  // The handle removes the listener when the caller lets go of it.
  return std::shared_ptr<void>(listener.get(), [node, listener](void*) {
    std::lock_guard lock(node->tap.mutex);
    std::erase(node->tap.listeners, listener);
    node->tap.active = !node->tap.listeners.empty();
  });
}

std::string Topology::describeOutputs() const {
  std::string out = "shipping to:";
  for (auto& on : outputs_) {
    out += " output '" + on->id + "' (" + on->type + ")";
    std::string where = on->sink->destination();
    if (!where.empty()) out += " -> " + where;
    out += ";";
  }
  out.pop_back();
  return out;
}

std::string Topology::statusJson() const {
  std::string out = "{\"sources\":[";
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (i) out += ',';
    out += "{\"id\":";
    json::appendString(out, sources_[i]->id);
    out += ",\"type\":";
    json::appendString(out, sources_[i]->type);
    out += ",\"state\":" + sources_[i]->source->statusJson() + "}";
  }
  out += "],\"outputs\":[";
  for (size_t i = 0; i < outputs_.size(); ++i) {
    auto& on = outputs_[i];
    if (i) out += ',';
    out += "{\"id\":";
    json::appendString(out, on->id);
    out += ",\"type\":";
    json::appendString(out, on->type);
    out += ",\"healthy\":";
    out += on->sink->healthy() ? "true" : "false";
    out += ",\"queue_bytes\":" + std::to_string(on->queue_bytes.load()) + "}";
  }
  out += "]}";
  return out;
}

}  // namespace logship
