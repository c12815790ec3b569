#pragma once

// Shared by the transform tests: components built from YAML through the real registry and option
// tables, batches made from lines, a capturing emitter and a context whose metrics can be read.

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio/io_context.hpp>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "agent/cli/builtin_components.h"

namespace logship::testing {

// 2023-11-14T22:13:20Z
inline constexpr int64_t kT0 = 1'700'000'000'000'000'000;

inline Batch makeBatch(const std::vector<std::string>& lines, AckToken ack = AckToken()) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  auto raw = std::make_unique<char[]>(text.size() + 1);
  std::memcpy(raw.get(), text.data(), text.size());
  Batch batch(std::move(raw), text.size(), std::move(ack));
  size_t pos = 0;
  for (const std::string& line : lines) {
    Event& e = batch.events().emplace_back();
    e.message = batch.raw().substr(pos, line.size());
    e.offset = pos;
    e.timestamp_ns = kT0;
    pos += line.size() + 1;
  }
  return batch;
}

inline void addString(Batch& batch, size_t event, std::string_view key, std::string_view value) {
  batch.addField(batch.events()[event], batch.arena().copy(key),
                 FieldValue::string(batch.arena().copy(value)));
}

class CapturingEmitter final : public Emitter {
 public:
  void emit(Batch&& batch, std::string_view port) override {
    ports.emplace_back(port);
    batches.push_back(std::make_unique<Batch>(std::move(batch)));
  }
  size_t events() const {
    size_t n = 0;
    for (auto& b : batches) n += b->events().size();
    return n;
  }
  std::vector<std::string> ports;
  std::vector<std::unique_ptr<Batch>> batches;
};

class CountingMetrics final : public ComponentMetrics {
 public:
  void received(uint64_t, uint64_t) override {}
  void sent(uint64_t, uint64_t) override {}
  void discarded(std::string_view reason, uint64_t events) override {
    discarded_by_reason[std::string(reason)] += events;
  }
  void error(std::string_view reason) override { errors[std::string(reason)] += 1; }
  std::map<std::string, uint64_t> discarded_by_reason;
  std::map<std::string, uint64_t> errors;
};

class TestContext final : public ComponentContext {
 public:
  explicit TestContext(const GlobalConfig& global, std::string id = "t")
      : id_(std::move(id)), global_(global) {}
  std::string_view id() const override { return id_; }
  const GlobalConfig& global() const override { return global_; }
  ComponentMetrics& metrics() override { return metrics_; }
  prometheus::Registry& metricsRegistry() override { return registry_; }
  boost::asio::io_context& io() override { return io_; }

  CountingMetrics metrics_;
  prometheus::Registry registry_;
  boost::asio::io_context io_;

 private:
  std::string id_;
  const GlobalConfig& global_;
};

// The value of the series of `family` whose labels include all of `labels`, or -1.
inline double metricValue(prometheus::Registry& registry, const std::string& family,
                          const std::map<std::string, std::string>& labels) {
  for (const auto& f : registry.Collect()) {
    if (f.name != family) continue;
    for (const auto& m : f.metric) {
      bool all = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& l : m.label) found = found || (l.name == k && l.value == v);
        all = all && found;
      }
      if (!all) continue;
      if (f.type == prometheus::MetricType::Counter) return m.counter.value;
      if (f.type == prometheus::MetricType::Histogram) {
        return static_cast<double>(m.histogram.sample_count);
      }
    }
  }
  return -1;
}

inline size_t seriesCount(prometheus::Registry& registry, const std::string& family) {
  for (const auto& f : registry.Collect()) {
    if (f.name == family) return f.metric.size();
  }
  return 0;
}

// Builds components of one type from YAML through the registry, with the four usual tiers.
class TransformTest : public ::testing::Test {
 protected:
  TransformTest() {
    registerBuiltinComponents(registry_);
    for (const char* t : {"audit", "security", "app", "debug"}) {
      global_.tiers.push_back(TierSpec{t, std::chrono::hours(24), false});
    }
    global_.host_name = "testhost";
  }

  ConfigNode load(const std::string& yaml) {
    return ConfigNode(YAML::Load(yaml), std::make_shared<const std::string>("t.yaml"));
  }

  std::unique_ptr<Transform> build(const std::string& type, const std::string& yaml,
                                   const std::string& id = "t") {
    node_ = load(yaml);
    diag_ = Diagnostics();
    BuildContext ctx{id, global_, diag_, node_};
    const ComponentFactory* f = registry_.find(ComponentKind::kTransform, type);
    if (f == nullptr) {
      ADD_FAILURE() << "no transform type " << type;
      return nullptr;
    }
    auto t = f->build_transform(ctx);
    if (t) {
      context_ = std::make_unique<TestContext>(global_, id);
      t->start(*context_);
    }
    return t;
  }

  // The first error, for assertions and failure messages.
  std::string firstError() const { return diag_.errors().empty() ? "" : diag_.errors()[0]; }

  Registry registry_;
  GlobalConfig global_;
  Diagnostics diag_;
  ConfigNode node_;
  std::unique_ptr<TestContext> context_;
};

}  // namespace logship::testing
