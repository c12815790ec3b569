#pragma once

#include <prometheus/registry.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "agent/cli/builtin_components.h"
#include "outputs/common/http_transport.h"
#include "outputs/common/scheduler.h"

namespace logship::testing {

// Counts what a component reports.
class CountingMetrics final : public ComponentMetrics {
 public:
  void received(uint64_t, uint64_t) override {}
  void sent(uint64_t events, uint64_t) override { sent_events += events; }
  void discarded(std::string_view reason, uint64_t events) override {
    discarded_events[std::string(reason)] += events;
  }
  void error(std::string_view reason) override { errors[std::string(reason)]++; }
  uint64_t sent_events = 0;
  std::map<std::string, uint64_t> discarded_events;
  std::map<std::string, uint64_t> errors;
};

class TestContext final : public ComponentContext {
 public:
  explicit TestContext(GlobalConfig global) : global_(std::move(global)) {}
  std::string_view id() const override { return id_; }
  const GlobalConfig& global() const override { return global_; }
  ComponentMetrics& metrics() override { return metrics_; }
  prometheus::Registry& metricsRegistry() override { return registry_; }
  boost::asio::io_context& io() override { return io_; }

  CountingMetrics metrics_;
  prometheus::Registry registry_;
  boost::asio::io_context io_;
  std::string id_ = "out";
  GlobalConfig global_;

  // Value of a counter or gauge with the given labels (0 if absent).
  double metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    for (auto& family : registry_.Collect()) {
      if (family.name != name) continue;
      for (auto& m : family.metric) {
        bool match = true;
        for (auto& [k, v] : labels) {
          bool found = false;
          for (auto& l : m.label) found |= l.name == k && l.value == v;
          match &= found;
        }
        if (!match) continue;
        if (family.type == prometheus::MetricType::Counter) return m.counter.value;
        if (family.type == prometheus::MetricType::Gauge) return m.gauge.value;
        if (family.type == prometheus::MetricType::Histogram) {
          return static_cast<double>(m.histogram.sample_count);
        }
      }
    }
    return 0;
  }
};

// Records how each tracked batch was acknowledged.
class AckRecorder final : public AckReceiver {
 public:
  void acknowledge(uint64_t cookie, AckStatus status) override { status_[cookie] = status; }
  AckToken token(uint64_t cookie) { return AckToken(this, cookie); }
  bool resolved(uint64_t cookie) const { return status_.count(cookie) != 0; }
  AckStatus status(uint64_t cookie) const { return status_.at(cookie); }
  size_t count() const { return status_.size(); }

 private:
  std::map<uint64_t, AckStatus> status_;
};

// A transport that holds every request until the test answers it.
class ScriptedTransport final : public HttpTransport {
 public:
  struct Pending {
    std::shared_ptr<const HttpRequest> request;
    Callback done;
  };
  void send(std::shared_ptr<const HttpRequest> request, Callback done) override {
    pending.push_back({std::move(request), std::move(done)});
    ++sent;
  }
  void shutdown() override { shut_down = true; }
  // Answers the oldest open request.
  void respond(int status, std::string body = {}, std::string retry_after = {},
               std::string etag = {}) {
    Pending p = std::move(pending.front());
    pending.erase(pending.begin());
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.retry_after = std::move(retry_after);
    r.etag = std::move(etag);
    if (status == 0) r.error = "connect: Connection refused";
    p.done(std::move(r));
  }
  std::vector<Pending> pending;
  size_t sent = 0;
  bool shut_down = false;
};

inline std::string header(const HttpRequest& r, std::string_view name) {
  for (auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return {};
}

// A batch of `lines` with consecutive timestamps and offsets, from file `path`.
inline std::shared_ptr<Batch> makeBatch(const std::vector<std::string>& lines, AckToken ack,
                                        const std::string& path = "/var/log/app.log",
                                        int64_t first_ns = 1700000000'000000000,
                                        uint64_t first_offset = 0) {
  std::string text;
  for (auto& l : lines) text += l + "\n";
  auto raw = std::make_unique<char[]>(text.size() + 1);
  std::memcpy(raw.get(), text.data(), text.size());
  auto batch = std::make_shared<Batch>(std::move(raw), text.size(), std::move(ack));
  size_t at = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    Event& e = batch->events().emplace_back();
    e.message = batch->raw().substr(at, lines[i].size());
    e.offset = first_offset + at;
    e.timestamp_ns = first_ns + static_cast<int64_t>(i) * 1000;
    at += lines[i].size() + 1;
  }
  if (!path.empty()) {
    batch->addSharedString("log.file.path", path);
    batch->addSharedString("host.name", "web-1");
  }
  return batch;
}

inline GlobalConfig globalWithTiers(const std::string& data_dir) {
  GlobalConfig g;
  g.data_dir = data_dir;
  g.tiers = {{"audit", {}, false}, {"app", {}, false}, {"debug", {}, false}};
  g.host_name = "web-1";
  return g;
}

// A fresh directory under the test temp dir.
inline std::string tempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("logship-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Builds an output of `type` from YAML through the registry, as the topology does.
template <class Output>
std::unique_ptr<Output> buildOutput(const std::string& type, const std::string& yaml,
                                    const GlobalConfig& global, Diagnostics& diag) {
  static Registry* registry = [] {
    auto* r = new Registry;
    registerBuiltinComponents(*r);
    return r;
  }();
  ConfigNode node(YAML::Load(yaml), std::make_shared<const std::string>("p.yaml"));
  BuildContext ctx{"out", global, diag, node};
  std::unique_ptr<Sink> sink = registry->find(ComponentKind::kOutput, type)->build_sink(ctx);
  return std::unique_ptr<Output>(static_cast<Output*>(sink.release()));
}

// An HTTP output built from YAML and started on a scripted transport and a manual clock;
// `output` is null (and nothing started) when the YAML has errors, which `diag` holds.
template <class Output>
struct ScriptedOutput {
  std::unique_ptr<Output> output;
  ScriptedTransport* transport = nullptr;
  ManualScheduler* clock = nullptr;
};
template <class Output>
ScriptedOutput<Output> startScripted(const std::string& type, const std::string& yaml,
                                     TestContext& context, Diagnostics& diag,
                                     std::function<double()> jitter = {}) {
  ScriptedOutput<Output> out;
  out.output = buildOutput<Output>(type, yaml, context.global(), diag);
  if (out.output == nullptr) return out;
  auto transport = std::make_unique<ScriptedTransport>();
  auto scheduler = std::make_unique<ManualScheduler>();
  out.transport = transport.get();
  out.clock = scheduler.get();
  out.output->startWith(context, std::move(transport), std::move(scheduler), std::move(jitter));
  return out;
}

}  // namespace logship::testing
