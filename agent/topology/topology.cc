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
#include "agent/support/json_writer.h"
#include "agent/topology/buffered_output.h"
#include "agent/topology/topology_nodes.h"

namespace logship {

namespace {

// What decides whether a reload can keep a component running: its type and every option except
// `inputs` (rewiring does not restart a component).
std::string identityOf(const ComponentConfig& c) {
  YAML::Node options = YAML::Clone(c.node.yaml());
  if (options.IsMap()) options.remove("inputs");
  YAML::Emitter out;
  out << options;
  return std::string(toString(c.kind)) + '/' + c.type + '\n' + out.c_str();
}

// A source's `fields:` map of field names to constant strings; mistakes go to `diag`.
std::vector<std::pair<std::string, std::string>> readStaticFields(const ConfigNode& node,
                                                                  Diagnostics& diag) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!node.defined()) return out;
  if (!node.isMap()) {
    diag.error(node.location(), "fields must be a map of field names to values, like "
                                "{env: prod, chain: cere}");
    return out;
  }
  for (auto& [key, value] : node.entries()) {
    const std::string name = key.yaml().Scalar();
    auto text = value.isScalar() ? value.scalar(diag) : std::nullopt;
    if (name.empty() || !text) {
      diag.error(value.location(), "fields: '" + name + "' must be a single value");
      continue;
    }
    out.emplace_back(name, *text);
  }
  return out;
}

}  // namespace

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
        n->static_fields = readStaticFields(c.node["fields"], diag);
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

bool Topology::shutdown(std::chrono::nanoseconds timeout) {
  if (!started_) return true;
  started_ = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& sn : sources_)
    runOn(
        *sn->io, [&sn] { sn->source->stop(); }, deadline);
  for (auto& on : outputs_) {
    runOn(
        *on->io, [&on] { on->sink->flush(); }, deadline);
  }
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
  for (auto& tn : transforms_) tn->transform->saveState();
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
