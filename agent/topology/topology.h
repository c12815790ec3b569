#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "agent/api/registry.h"
#include "agent/topology/pipeline_config.h"

namespace logship {

class Metrics;
class WorkerPool;

// The running component graph: built and validated as a whole from a PipelineConfig (unknown types,
// bad options, dangling inputs and cycles are all reported at once), then started on a worker
// pool. Batches flow source → transforms (on the source's worker) → outputs (on their own worker);
// acknowledgements flow back through the tokens.
class Topology {
 public:
  ~Topology();

  // Returns nullptr when `diag` holds errors. Builds components but opens nothing.
  static std::unique_ptr<Topology> build(PipelineConfig config, const Registry& registry,
                                         Diagnostics& diag);

  void start(Metrics& metrics);
  // Hot reload: takes over from `running` (started, and sameRuntime() with this one), keeping every
  // component whose type and options are unchanged running as it is — open files, connections,
  // disk buffers, detection windows and batches in flight — and replacing only the rest. While the
  // graph is rewired the sources pause; replaced sources save their positions after every output
  // they feed has drained what they sent, and a replaced output drains before its successor
  // starts, so nothing is lost or repeated. `running` is left empty; destroy it afterwards.
  // Returns a summary of what was kept, replaced, added and removed.
  std::string takeOver(Topology& running, Metrics& metrics);
  // True when this configuration can take over from `running` in place: same global settings and
  // worker count (those are built into every component and thread).
  bool sameRuntime(const Topology& running) const;
  // For `logship test`: starts the transforms only (no worker, source or output), so batches
  // injected with inject() run through them on the caller's thread.
  void startTransformsOnly(Metrics& metrics);
  // Runs `batch` through what reads from source `source`; false when there is no such source.
  bool inject(std::string_view source, Batch&& batch);
  // Stops reading, waits up to `timeout` until every routed batch is acknowledged, stops outputs,
  // saves source state and joins the workers. Returns false when the deadline passed first.
  bool shutdown(std::chrono::nanoseconds timeout);

  // True once every finite source (stdin) finished and nothing else is running.
  bool allSourcesFinished() const;
  bool ready() const;
  std::string statusJson() const;
  // "output 'local' (file) -> /var/lib/logship/events.ndjson", one per output.
  std::string describeOutputs() const;

  // Calls `fn` with every batch the source or transform `component` emits, on the thread that
  // emits it, until the returned handle is dropped. nullptr when no such component exists.
  using TapFn = std::function<void(const Batch&)>;
  std::shared_ptr<void> tap(std::string_view component, TapFn fn);
  // Whether events of `component` may not have passed a transform that removes personal data
  // (scrub_pii) although the pipeline has one: some path from a source to it passes none.
  bool mayCarryUnscrubbedData(std::string_view component) const;
  const PipelineConfig& config() const { return *config_; }
  // Worker threads of the started pipeline.
  size_t workerCount() const;

 private:
  struct Node;
  struct SourceNode;
  struct TransformNode;
  struct OutputNode;
  struct Consumers;
  class SourceContextImpl;
  class TransformEmitter;

  Topology() = default;
  void dispatch(const Consumers& consumers, Batch&& batch);
  size_t outstandingBytes() const;
  void attach(SourceNode& node, Metrics& metrics, size_t worker);
  void attach(TransformNode& node, Metrics& metrics);
  void attach(OutputNode& node, Metrics& metrics, boost::asio::io_context& io);
  // The worker output `index` runs on; `io_of` tells a source's worker.
  boost::asio::io_context& outputIo(
      size_t index, const std::function<boost::asio::io_context*(SourceNode&)>& io_of) const;

  std::unique_ptr<PipelineConfig> config_;
  // Configurations of earlier generations whose components this one kept: they refer to them.
  std::vector<std::unique_ptr<PipelineConfig>> earlier_configs_;
  std::shared_ptr<WorkerPool> workers_;
  // Held shared by whatever routes a batch (source emits, transform timers), exclusively while a
  // reload rewires the graph; shared by every generation of a reloaded pipeline.
  std::shared_ptr<std::shared_mutex> routes_ = std::make_shared<std::shared_mutex>();
  std::vector<std::unique_ptr<SourceNode>> sources_;
  std::vector<std::unique_ptr<TransformNode>> transforms_;
  std::vector<std::unique_ptr<OutputNode>> outputs_;
  // Components a reload replaced or removed, stopped; kept until the workers stop, since handlers
  // already queued on them may still run.
  std::vector<std::unique_ptr<Node>> retired_;
  std::atomic<bool> paused_{false};  // sources hold off reading (a reload is rewiring)
  bool started_ = false;
  bool outputs_running_ = false;
};

}  // namespace logship
