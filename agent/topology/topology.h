#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <memory>
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
  const PipelineConfig& config() const { return config_; }

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

  PipelineConfig config_;
  std::unique_ptr<WorkerPool> workers_;
  std::vector<std::unique_ptr<SourceNode>> sources_;
  std::vector<std::unique_ptr<TransformNode>> transforms_;
  std::vector<std::unique_ptr<OutputNode>> outputs_;
  std::atomic<size_t> finite_sources_running_{0};
  bool started_ = false;
  bool outputs_running_ = false;
};

}  // namespace logship
