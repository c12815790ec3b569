// Hot reload: the topology of a new configuration takes over from the running one in place
// (Topology::takeOver), keeping what did not change.
#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <tuple>

#include "agent/core/log.h"
#include "agent/core/worker_pool.h"
#include "agent/topology/topology.h"
#include "agent/topology/topology_nodes.h"

namespace logship {

namespace {
bool sameGlobal(const GlobalConfig& a, const GlobalConfig& b) {
  auto tiers = [](const GlobalConfig& g) {
    std::vector<std::tuple<std::string, int64_t, bool>> out;
    for (const TierSpec& t : g.tiers) out.emplace_back(t.name, t.retention.count(), t.legal_hold);
    return out;
  };
  auto lists = [](const GlobalConfig& g) {
    std::vector<std::tuple<std::string, std::string, std::string, std::string, int64_t>> out;
    for (const SharedListSpec& l : g.lists) {
      out.emplace_back(l.name, l.path, l.format, l.column, l.reload_interval.count());
    }
    return out;
  };
  // The admin server is not part of the graph: run_command applies its settings itself.
  return a.data_dir == b.data_dir && a.host_name == b.host_name && tiers(a) == tiers(b) &&
         lists(a) == lists(b);
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
  for (OutputNode* on : draining) {
    runOn(
        *on->io, [on] { on->sink->flush(); }, deadline);
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
  // A replaced transform hands what it keeps (detection windows) to its successor through its
  // state file: saved now, while the sources hold off, and loaded by the successor's start().
  for (auto& r : running.transforms_) {
    if (!isKept(kept_transforms, r.get())) r->transform->saveState();
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

}  // namespace logship
