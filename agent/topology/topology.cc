#include "agent/topology/topology.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <functional>
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

// What decides whether a reload can keep a component running: its type and every option except
// `inputs` (rewiring does not restart a component).
std::string identityOf(const ComponentConfig& c) {
  YAML::Node options = YAML::Clone(c.node.yaml());
  if (options.IsMap()) options.remove("inputs");
  YAML::Emitter out;
  out << options;
  return std::string(toString(c.kind)) + '/' + c.type + '\n' + out.c_str();
}

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
      if (!buffered->open(&error)) throw std::runtime_error("output '" + id + "': " + error);
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

Topology::~Topology() {
  // A generation a reload took over from holds nothing: its successor runs on its workers.
  if (workers_.use_count() > 1) return;
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
  retired_.clear();
}

std::unique_ptr<Topology> Topology::build(PipelineConfig config, const Registry& registry,
                                          Diagnostics& diag) {
  std::unique_ptr<Topology> t(new Topology());
  t->config_ = std::make_unique<PipelineConfig>(std::move(config));
  const GlobalConfig& global = t->config_->global;
  std::map<std::string, Node*, std::less<>> by_id;

  for (ComponentConfig& c : t->config_->components) {
    const ComponentFactory* factory = registry.find(c.kind, c.type);
    if (factory == nullptr) {
      diag.error(c.node["type"].location(), std::string("unknown ") + toString(c.kind) + " type '" +
                                                c.type + "' (known: " + registry.typesOf(c.kind) +
                                                ")");
    }
    BuildContext ctx{c.id, global, diag, c.node};
    auto fill = [&](Node& n) {
      n.id = c.id;
      n.identity = identityOf(c);
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
        diag.error(in.node.location(),
                   "source '" + producer->id + "' has no output '" + std::string(port) + "'");
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
                            t->config_->files.empty() ? "<config>" : t->config_->files.front()),
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

void Topology::attach(SourceNode& sn, Metrics& metrics, size_t worker) {
  sn.metrics = metrics.forComponent(sn.id, sn.kind, sn.type);
  sn.io = &workers_->worker(worker);
  sn.context = std::make_unique<SourceContextImpl>(*this, sn, config_->global, metrics);
}

void Topology::attach(TransformNode& tn, Metrics& metrics) {
  tn.metrics = metrics.forComponent(tn.id, tn.kind, tn.type);
  tn.io = &workers_->worker(0);
  tn.context =
      std::make_unique<ComponentContextImpl>(tn.id, config_->global, *tn.metrics, metrics, *tn.io);
  tn.emitter = std::make_unique<TransformEmitter>(*this, tn);
  tn.transform->start(*tn.context);
}

void Topology::attach(OutputNode& on, Metrics& metrics, asio::io_context& io) {
  on.metrics = metrics.forComponent(on.id, on.kind, on.type);
  on.io = &io;
  on.queue_gauge = &metrics.outputQueueBytes(on.id);
  for (int s = 0; s < 3; ++s) {
    on.acks[s] = &metrics.outputAcks(on.id, toString(static_cast<AckStatus>(s)));
  }
  on.context =
      std::make_unique<ComponentContextImpl>(on.id, config_->global, *on.metrics, metrics, *on.io);
}

// An output that is the only one its sources reach, with those sources on one worker, runs on
// that worker: it encodes each batch on the core that built it, while the batch is in that core's
// cache. Encoding on another core cost a fifth more CPU in the security pipeline (file ->
// transforms -> file) and was no faster. Outputs of a fan-out each encode the whole stream: they
// spread over the workers, from the last one backwards, away from the first sources.
asio::io_context& Topology::outputIo(
    size_t index, const std::function<asio::io_context*(SourceNode&)>& io_of) const {
  const OutputNode* on = outputs_[index].get();
  asio::io_context* chain_io = nullptr;
  for (const auto& sn : sources_) {
    const auto& reached = sn->reachable_outputs;
    if (std::find(reached.begin(), reached.end(), on) == reached.end()) continue;
    asio::io_context* io = io_of(*sn);
    if (reached.size() != 1 || (chain_io != nullptr && io != chain_io)) {
      chain_io = nullptr;
      break;
    }
    chain_io = io;
  }
  if (chain_io != nullptr) return *chain_io;
  return workers_->worker(workers_->size() * 64 - 1 - index);
}

void Topology::start(Metrics& metrics) {
  workers_ = std::make_shared<WorkerPool>(config_->workers ? config_->workers : usableCpus());
  for (size_t i = 0; i < sources_.size(); ++i) attach(*sources_[i], metrics, i);
  for (auto& tn : transforms_) attach(*tn, metrics);
  for (size_t i = 0; i < outputs_.size(); ++i) {
    attach(*outputs_[i], metrics, outputIo(i, [](SourceNode& sn) { return sn.io; }));
    outputs_[i]->open();  // before the workers run: on their behalf
  }
  outputs_running_ = true;
  workers_->start();
  for (auto& sn : sources_) {
    asio::post(*sn->io, [&sn] { sn->source->start(*sn->context); });
  }
  started_ = true;
}

size_t Topology::workerCount() const { return workers_ ? workers_->size() : 0; }

void Topology::startTransformsOnly(Metrics& metrics) {
  workers_ = std::make_shared<WorkerPool>(1);
  for (auto& sn : sources_) sn->metrics = metrics.forComponent(sn->id, sn->kind, sn->type);
  for (auto& tn : transforms_) attach(*tn, metrics);
}

bool Topology::inject(std::string_view source, Batch&& batch) {
  for (auto& sn : sources_) {
    if (sn->id != source) continue;
    RouteLock lock(*routes_);
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

bool sameGlobal(const GlobalConfig& a, const GlobalConfig& b) {
  auto tiers = [](const GlobalConfig& g) {
    std::vector<std::tuple<std::string, int64_t, bool>> out;
    for (const TierSpec& t : g.tiers) out.emplace_back(t.name, t.retention.count(), t.legal_hold);
    return out;
  };
  // The admin server is not part of the graph: run_command applies its settings itself.
  return a.data_dir == b.data_dir && a.host_name == b.host_name && tiers(a) == tiers(b);
}
}  // namespace

bool Topology::sameRuntime(const Topology& running) const {
  return config_->workers == running.config_->workers &&
         sameGlobal(config_->global, running.config_->global);
}

std::string Topology::takeOver(Topology& running, Metrics& metrics) {
  auto deadline = std::chrono::steady_clock::now() + config_->shutdown_timeout;
  workers_ = running.workers_;
  routes_ = running.routes_;
  earlier_configs_ = std::move(running.earlier_configs_);
  earlier_configs_.push_back(std::move(running.config_));
  retired_ = std::move(running.retired_);

  // Pair each component with the running one of the same id, type and options.
  auto keptFrom = [](auto& mine, auto& theirs) {
    using NodeT = typename std::remove_reference_t<decltype(mine)>::value_type::element_type;
    std::map<NodeT*, NodeT*> kept;  // new node -> running node it stands for
    for (auto& n : mine) {
      for (auto& r : theirs) {
        if (r && r->id == n->id && r->identity == n->identity) kept[n.get()] = r.get();
      }
    }
    return kept;
  };
  auto kept_sources = keptFrom(sources_, running.sources_);
  auto kept_transforms = keptFrom(transforms_, running.transforms_);
  auto kept_outputs = keptFrom(outputs_, running.outputs_);
  auto isKept = [](auto& kept, auto* old) {
    for (auto& [mine, theirs] : kept) {
      if (theirs == old) return true;
    }
    return false;
  };
  std::vector<SourceNode*> gone_sources;
  std::vector<OutputNode*> gone_outputs;
  for (auto& r : running.sources_) {
    if (!isKept(kept_sources, r.get())) gone_sources.push_back(r.get());
  }
  for (auto& r : running.outputs_) {
    if (!isKept(kept_outputs, r.get())) gone_outputs.push_back(r.get());
  }

  // Quiesce what changes: every source holds off reading, replaced sources stop, and the outputs
  // they fed and the outputs being replaced deliver what they hold.
  paused_ = true;
  running.paused_ = true;
  for (SourceNode* sn : gone_sources)
    runOn(
        *sn->io, [sn] { sn->source->stop(); }, deadline);
  std::set<OutputNode*> draining(gone_outputs.begin(), gone_outputs.end());
  for (SourceNode* sn : gone_sources) {
    draining.insert(sn->reachable_outputs.begin(), sn->reachable_outputs.end());
  }
  auto drained = [&] {
    for (OutputNode* on : draining) {
      if (on->queue_bytes.load() > 0) return false;
    }
    return true;
  };
  while (!drained() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!drained()) {
    // What an output could not deliver in time is read again: every source that fed it is
    // replaced too, and its successor starts from the positions acknowledged so far.
    std::set<OutputNode*> stuck;
    for (OutputNode* on : draining) {
      if (on->queue_bytes.load() > 0) stuck.insert(on);
    }
    for (auto it = kept_sources.begin(); it != kept_sources.end();) {
      SourceNode* sn = it->second;
      bool feeds_stuck = std::any_of(sn->reachable_outputs.begin(), sn->reachable_outputs.end(),
                                     [&](OutputNode* on) { return stuck.count(on) > 0; });
      if (!feeds_stuck) {
        ++it;
        continue;
      }
      runOn(
          *sn->io, [sn] { sn->source->stop(); }, deadline + std::chrono::seconds(1));
      gone_sources.push_back(sn);
      it = kept_sources.erase(it);
    }
    logWarn(
        "reload: deadline passed with undelivered batches; the sources that sent them are "
        "restarted from their saved positions and read them again");
  }

  // New components get their runtime before anything can reach them.
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (!kept_sources.count(sources_[i].get())) attach(*sources_[i], metrics, i);
  }
  for (auto& tn : transforms_) {
    if (!kept_transforms.count(tn.get())) attach(*tn, metrics);
  }
  // A kept source goes on running where it ran; its stand-in here has no worker.
  auto source_io = [&](SourceNode& sn) {
    auto it = kept_sources.find(&sn);
    return it != kept_sources.end() ? it->second->io : sn.io;
  };
  for (size_t i = 0; i < outputs_.size(); ++i) {
    if (kept_outputs.count(outputs_[i].get())) continue;
    attach(*outputs_[i], metrics, outputIo(i, source_io));
  }

  std::vector<std::unique_ptr<Node>> unused;  // built for validation, stood in for by running ones
  {
    std::unique_lock lock(*routes_);  // nothing routes while the graph is rewired
    auto substitute = [&](auto& mine, auto& theirs, auto& kept) {
      for (auto& n : mine) {
        auto it = kept.find(n.get());
        if (it == kept.end()) continue;
        for (auto& r : theirs) {
          if (r.get() != it->second) continue;
          std::swap(n, r);  // the running node takes the new one's place
          unused.push_back(std::move(r));
        }
      }
    };
    substitute(sources_, running.sources_, kept_sources);
    substitute(transforms_, running.transforms_, kept_transforms);
    substitute(outputs_, running.outputs_, kept_outputs);
    // The wiring was built between the new nodes: kept nodes take it over, and every reference to
    // a new node that a kept one stands in for is pointed at the kept one.
    for (auto& [fresh, old] : kept_sources) {
      old->consumers = fresh->consumers;
      old->reachable_outputs = fresh->reachable_outputs;
      old->context->rebind(*this);
    }
    for (auto& [fresh, old] : kept_transforms) {
      old->ports = fresh->ports;
      old->inputs = fresh->inputs;
      old->emitter->rebind(*this);
    }
    for (auto& [fresh, old] : kept_outputs) old->inputs = fresh->inputs;
    auto remap = [&](Consumers& c) {
      for (TransformNode*& tn : c.transforms) {
        if (auto it = kept_transforms.find(tn); it != kept_transforms.end()) tn = it->second;
      }
      for (OutputNode*& on : c.outputs) {
        if (auto it = kept_outputs.find(on); it != kept_outputs.end()) on = it->second;
      }
    };
    for (auto& sn : sources_) {
      remap(sn->consumers);
      for (OutputNode*& on : sn->reachable_outputs) {
        if (auto it = kept_outputs.find(on); it != kept_outputs.end()) on = it->second;
      }
    }
    for (auto& tn : transforms_) {
      for (auto& [port, consumers] : tn->ports) remap(consumers);
    }
    // What goes away routes nothing any more (a detect timer may still fire in a removed rule).
    for (auto& r : running.sources_) {
      if (r) r->context->retire();
    }
    for (auto& r : running.transforms_) {
      if (r) r->emitter->retire();
    }
    for (OutputNode* on : gone_outputs) on->closed = true;
    outputs_running_ = true;
  }

  // Replaced components stop; their successors start after them (same files, same paths).
  for (OutputNode* on : gone_outputs) {
    runOn(
        *on->io, [on] { on->stop(); }, deadline + std::chrono::seconds(1));
  }
  for (SourceNode* sn : gone_sources) {
    runOn(
        *sn->io, [sn] { sn->source->saveState(); }, deadline + std::chrono::seconds(1));
  }
  std::set<std::string> ids;
  std::vector<std::string> kept, replaced, added, removed;
  for (auto& sn : sources_) ids.insert(sn->id);
  for (auto& tn : transforms_) ids.insert(tn->id);
  for (auto& on : outputs_) ids.insert(on->id);
  auto retire = [&](auto& theirs) {
    for (auto& r : theirs) {
      if (!r) continue;  // kept: moved over
      (ids.count(r->id) ? replaced : removed).push_back(r->id);
      retired_.push_back(std::move(r));
    }
    theirs.clear();
  };
  retire(running.sources_);
  retire(running.transforms_);
  retire(running.outputs_);
  running.started_ = false;

  auto failures = std::make_shared<std::string>();
  for (auto& on : outputs_) {
    if (on->running) continue;
    runOn(
        *on->io,
        [node = on.get(), failures] {
          try {
            node->open();
          } catch (const std::exception& e) {
            *failures += std::string("; ") + e.what();
          }
        },
        deadline + std::chrono::seconds(1));
  }
  std::set<const Node*> kept_nodes;
  for (auto& [fresh, old] : kept_sources) kept_nodes.insert(old);
  for (auto& [fresh, old] : kept_transforms) kept_nodes.insert(old);
  for (auto& [fresh, old] : kept_outputs) kept_nodes.insert(old);
  auto note = [&](const auto& nodes) {
    for (auto& n : nodes) {
      if (kept_nodes.count(n.get())) {
        kept.push_back(n->id);
      } else if (std::find(replaced.begin(), replaced.end(), n->id) == replaced.end()) {
        added.push_back(n->id);
      }
    }
  };
  note(sources_);
  note(transforms_);
  note(outputs_);
  unused.clear();
  started_ = true;
  paused_ = false;
  for (auto& sn : sources_) {
    if (kept_nodes.count(sn.get())) continue;
    asio::post(*sn->io, [node = sn.get()] { node->source->start(*node->context); });
  }

  std::string summary;
  auto list = [&summary](const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return;
    summary += std::string(summary.empty() ? "" : "; ") + what + " ";
    for (size_t i = 0; i < names.size(); ++i) summary += (i ? ", " : "") + names[i];
  };
  list("kept", kept);
  list("replaced", replaced);
  list("added", added);
  list("removed", removed);
  if (!failures->empty()) summary += "; failed to start" + *failures;
  return summary;
}

bool Topology::shutdown(std::chrono::nanoseconds timeout) {
  if (!started_) return true;
  started_ = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& sn : sources_)
    runOn(
        *sn->io, [&sn] { sn->source->stop(); }, deadline);
  while (outstandingBytes() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  bool drained = outstandingBytes() == 0;
  if (!drained) logWarn("shutdown deadline passed with undelivered batches; they will be re-read");
  for (auto& on : outputs_) {
    runOn(
        *on->io, [&on] { on->stop(); }, deadline + std::chrono::seconds(1));
  }
  for (auto& sn : sources_) {
    runOn(
        *sn->io, [&sn] { sn->source->saveState(); }, deadline + std::chrono::seconds(1));
  }
  workers_->stop();
  return drained;
}

bool Topology::allSourcesFinished() const {
  if (!started_) return false;
  for (auto& sn : sources_) {
    if (!sn->context->isFinished()) return false;
  }
  return true;
}

bool Topology::ready() const {
  if (!started_) return false;
  for (auto& on : outputs_) {
    if (!on->running || !on->sink->healthy()) return false;
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

bool Topology::mayCarryUnscrubbedData(std::string_view component) const {
  bool scrubbed_somewhere = false;
  for (auto& tn : transforms_) scrubbed_somewhere |= tn->transform->removesPersonalData();
  if (!scrubbed_somewhere) return false;
  std::set<std::string_view> seen;
  std::function<bool(std::string_view)> reachedUnscrubbed = [&](std::string_view id) {
    if (!seen.insert(id).second) return false;
    for (auto& sn : sources_) {
      if (sn->id == id) return true;
    }
    for (auto& tn : transforms_) {
      if (tn->id != id) continue;
      if (tn->transform->removesPersonalData()) return false;
      for (const InputRef& input : tn->inputs) {
        const std::string_view name = input.name;
        if (reachedUnscrubbed(name.substr(0, name.find('.')))) return true;
      }
    }
    return false;
  };
  return reachedUnscrubbed(component);
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
    out += on->running && on->sink->healthy() ? "true" : "false";
    out += ",\"queue_bytes\":" + std::to_string(on->queue_bytes.load());
    if (on->running && on->buffered) {
      out += ",\"buffer_bytes\":" + std::to_string(on->buffered->storedBytes());
    }
    out += ",\"last_error\":";
    json::appendString(out, on->sink->lastError());
    out += "}";
  }
  out += "]}";
  return out;
}

}  // namespace logship
