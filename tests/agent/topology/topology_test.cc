#include "agent/topology/topology.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "agent/core/ack_tracker.h"
#include "agent/core/metrics.h"

namespace logship {
namespace {

// Components of this test, registered under their own type names.
struct Store {
  std::mutex mutex;
  std::map<std::string, std::vector<std::string>> received;  // output id -> "message|tag"
  std::vector<AckToken> held;                                // acks of the "hold" sink
  OrderedAckTracker tracker;
  std::atomic<bool> source_blocked{false};
  std::map<std::string, std::set<std::thread::id>> threads;  // component id -> threads it ran on
};
Store* g_store = nullptr;

struct LinesConfig {
  int64_t count = 10;
  int64_t batches = 1;
  static const OptionTable<LinesConfig>& options() {
    static const OptionTable<LinesConfig> t = [] {
      OptionTable<LinesConfig> o;
      o.optional("count", &LinesConfig::count, "lines per batch")
          .optional("batches", &LinesConfig::batches, "batches");
      return o;
    }();
    return t;
  }
};

class LinesSource final : public Source {
 public:
  LinesSource(LinesConfig c, BuildContext& ctx) : config_(c), id_(ctx.id) {}
  void start(SourceContext& ctx) override {
    {
      std::lock_guard lock(g_store->mutex);
      g_store->threads[id_].insert(std::this_thread::get_id());
    }
    for (int64_t b = 0; b < config_.batches; ++b) {
      if (ctx.downstreamFull()) g_store->source_blocked = true;
      std::string text;
      for (int64_t i = 0; i < config_.count; ++i) {
        text += "line-" + std::to_string(b * config_.count + i) + "\n";
      }
      auto raw = std::make_unique<char[]>(text.size());
      std::memcpy(raw.get(), text.data(), text.size());
      Batch batch(std::move(raw), text.size(), g_store->tracker.track((b + 1) * 100));
      size_t pos = 0;
      for (int64_t i = 0; i < config_.count; ++i) {
        size_t nl = batch.raw().find('\n', pos);
        Event& e = batch.events().emplace_back();
        e.message = batch.raw().substr(pos, nl - pos);
        pos = nl + 1;
      }
      ctx.emit(std::move(batch));
    }
  }
  void stop() override {}

 private:
  LinesConfig config_;
  std::string id_;
};

struct NoConfig {
  static const OptionTable<NoConfig>& options() {
    static const OptionTable<NoConfig> t;
    return t;
  }
};

// Tags every event and sends odd-numbered lines to its "odd" port.
class TagTransform final : public Transform {
 public:
  TagTransform(NoConfig, BuildContext&) {}
  void process(Batch& batch, Emitter& out) override {
    for (Event& e : batch.events()) batch.addField(e, "tag", FieldValue::string("tagged"));
    out.emit(std::move(batch));
  }
  std::vector<std::string> ports() const override { return {"odd"}; }
};

class CaptureSink final : public Sink {
 public:
  CaptureSink(NoConfig, BuildContext& ctx) : id_(ctx.id) {}
  void start(ComponentContext&) override {}
  void consume(SharedBatch batch, AckToken ack) override {
    std::lock_guard lock(g_store->mutex);
    g_store->threads[id_].insert(std::this_thread::get_id());
    for (const Event& e : batch->events()) {
      const Field* tag = batch->findField(e, "tag");
      g_store->received[id_].push_back(std::string(e.message) + "|" +
                                       (tag ? std::string(tag->value.string_value) : ""));
    }
    ack.resolve(AckStatus::kDelivered);
  }
  void stop() override {}

 private:
  std::string id_;
};

class HoldSink final : public Sink {
 public:
  HoldSink(NoConfig, BuildContext&) {}
  void start(ComponentContext&) override {}
  void consume(SharedBatch, AckToken ack) override {
    std::lock_guard lock(g_store->mutex);
    g_store->held.push_back(std::move(ack));
  }
  void stop() override {}
};

class TopologyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_store = &store_;
    registry_.addSource<LinesConfig, LinesSource>("lines", "test");
    registry_.addTransform<NoConfig, TagTransform>("tag", "test");
    registry_.addOutput<NoConfig, CaptureSink>("capture", "test");
    registry_.addOutput<NoConfig, HoldSink>("hold", "test");
  }
  void TearDown() override { g_store = nullptr; }

  std::unique_ptr<Topology> build(const std::string& yaml) {
    diag_ = Diagnostics();
    PipelineConfig config = parsePipelineConfig("workers: 2\n" + yaml, "t.yaml", diag_);
    if (!diag_.ok()) return nullptr;
    return Topology::build(std::move(config), registry_, diag_);
  }

  // Waits until `pred` holds, for at most 5 s.
  template <class Pred>
  bool eventually(Pred pred) {
    for (int i = 0; i < 500; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  Store store_;
  Registry registry_;
  Diagnostics diag_;
  Metrics metrics_;
};

TEST_F(TopologyTest, CycleIsReportedWhereItCloses) {
  auto t = build(
      "sources:\n"
      "  s: {type: lines}\n"
      "transforms:\n"
      "  a: {type: tag, inputs: [s, c]}\n"
      "  b: {type: tag, inputs: [a]}\n"
      "  c: {type: tag, inputs: [b]}\n"
      "outputs:\n"
      "  o: {type: capture, inputs: [c]}\n");
  EXPECT_EQ(t, nullptr);
  ASSERT_EQ(diag_.errors().size(), 1u);
  EXPECT_EQ(diag_.errors()[0], "t.yaml:5:30: cycle in the pipeline: a -> b -> c -> a")
      << diag_.errors()[0];
}

TEST_F(TopologyTest, NamedPortsAreChecked) {
  auto t = build(
      "sources:\n"
      "  s: {type: lines}\n"
      "transforms:\n"
      "  a: {type: tag, inputs: [s]}\n"
      "outputs:\n"
      "  o: {type: capture, inputs: [a.odd, a.even, s.x]}\n");
  EXPECT_EQ(t, nullptr);
  ASSERT_EQ(diag_.errors().size(), 2u);
  EXPECT_EQ(diag_.errors()[0], "t.yaml:7:38: transform 'a' has no output 'even' (it has: odd)");
  EXPECT_EQ(diag_.errors()[1], "t.yaml:7:46: source 's' has no output 'x'");
}

TEST_F(TopologyTest, FanOutSharesWithOutputsAndCopiesForTransforms) {
  auto t = build(
      "sources:\n"
      "  s: {type: lines, count: 5, batches: 3}\n"
      "transforms:\n"
      "  tagged: {type: tag, inputs: [s]}\n"
      "outputs:\n"
      "  plain: {type: capture, inputs: [s]}\n"
      "  both: {type: capture, inputs: [tagged]}\n");
  ASSERT_NE(t, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
  t->start(metrics_);
  ASSERT_TRUE(eventually([&] { return store_.tracker.checkpoint() == 300; }));
  EXPECT_TRUE(t->shutdown(std::chrono::seconds(5)));
  std::lock_guard lock(store_.mutex);
  ASSERT_EQ(store_.received["plain"].size(), 15u);
  ASSERT_EQ(store_.received["both"].size(), 15u);
  // The transform changed its own copy only.
  EXPECT_EQ(store_.received["plain"][0], "line-0|");
  EXPECT_EQ(store_.received["both"][14], "line-14|tagged");
  std::string metrics = metrics_.render();
  EXPECT_NE(metrics.find("logship_component_sent_events_total{component_id=\"s\","
                         "component_kind=\"source\",component_type=\"lines\"} 15"),
            std::string::npos)
      << metrics;
}

TEST_F(TopologyTest, ASourcesStaticFieldsGoWithEveryEventItEmits) {
  auto t = build(
      "sources:\n"
      "  s: {type: lines, count: 5, batches: 2, fields: {tag: validator-7, env: prod}}\n"
      "outputs:\n"
      "  plain: {type: capture, inputs: [s]}\n");
  ASSERT_NE(t, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
  t->start(metrics_);
  ASSERT_TRUE(eventually([&] { return store_.tracker.checkpoint() == 200; }));
  EXPECT_TRUE(t->shutdown(std::chrono::seconds(5)));
  std::lock_guard lock(store_.mutex);
  ASSERT_EQ(store_.received["plain"].size(), 10u);
  for (const std::string& r : store_.received["plain"]) EXPECT_TRUE(r.ends_with("|validator-7")) << r;

  diag_ = Diagnostics();
  EXPECT_EQ(build("sources:\n  s: {type: lines, count: 1, fields: [env]}\n"
                  "outputs:\n  o: {type: capture, inputs: [s]}\n"),
            nullptr);
  ASSERT_FALSE(diag_.errors().empty());
  EXPECT_EQ(diag_.errors()[0],
            "t.yaml:3:38: fields must be a map of field names to values, like {env: prod, "
            "chain: cere}");
}

TEST_F(TopologyTest, AChainsOutputRunsOnItsSourcesWorkerAndAFanOutSpreads) {
  auto t = build(
      "sources:\n"
      "  chained: {type: lines, count: 5, batches: 3}\n"
      "  fanned: {type: lines, count: 5, batches: 3}\n"
      "transforms:\n"
      "  tagged: {type: tag, inputs: [chained]}\n"
      "outputs:\n"
      "  chain_end: {type: capture, inputs: [tagged]}\n"
      "  first: {type: capture, inputs: [fanned]}\n"
      "  second: {type: capture, inputs: [fanned]}\n");
  ASSERT_NE(t, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
  t->start(metrics_);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(store_.mutex);
    return store_.received["chain_end"].size() == 15 && store_.received["first"].size() == 15 &&
           store_.received["second"].size() == 15;
  }));
  EXPECT_TRUE(t->shutdown(std::chrono::seconds(5)));
  std::lock_guard lock(store_.mutex);
  EXPECT_EQ(store_.threads["chain_end"], store_.threads["chained"]);
  // Two workers, two fan-out outputs: one of them runs where its source does not.
  ASSERT_EQ(store_.threads["fanned"].size(), 1u);
  std::set<std::thread::id> fan_out = store_.threads["first"];
  fan_out.insert(store_.threads["second"].begin(), store_.threads["second"].end());
  EXPECT_EQ(fan_out.size(), 2u);
}

TEST_F(TopologyTest, CheckpointWaitsForEveryOutputAndBackpressureStopsTheSource) {
  auto t = build(
      "sources:\n"
      "  s: {type: lines, count: 100, batches: 3}\n"
      "outputs:\n"
      "  fast: {type: capture, inputs: [s]}\n"
      "  slow: {type: hold, inputs: [s], buffer: {max_bytes: 1}}\n");
  ASSERT_NE(t, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
  t->start(metrics_);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(store_.mutex);
    return store_.held.size() == 3 && store_.received["fast"].size() == 300;
  }));
  EXPECT_TRUE(store_.source_blocked.load());  // the slow output was over its 1-byte bound
  EXPECT_EQ(store_.tracker.checkpoint(), 0u);  // the slow output has acknowledged nothing
  {
    std::lock_guard lock(store_.mutex);
    store_.held[0].resolve(AckStatus::kDelivered);
    store_.held[2].resolve(AckStatus::kDelivered);
  }
  EXPECT_TRUE(eventually([&] { return store_.tracker.checkpoint() == 100; }));
  {
    std::lock_guard lock(store_.mutex);
    store_.held[1].resolve(AckStatus::kDelivered);
  }
  EXPECT_TRUE(eventually([&] { return store_.tracker.checkpoint() == 300; }));
  EXPECT_TRUE(t->shutdown(std::chrono::seconds(5)));
}

TEST_F(TopologyTest, ShutdownDeadlineWithUnacknowledgedBatchesHoldsTheCheckpoint) {
  auto t = build(
      "sources:\n"
      "  s: {type: lines, count: 10, batches: 2}\n"
      "outputs:\n"
      "  slow: {type: hold, inputs: [s]}\n");
  ASSERT_NE(t, nullptr);
  t->start(metrics_);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(store_.mutex);
    return store_.held.size() == 2;
  }));
  EXPECT_FALSE(t->shutdown(std::chrono::milliseconds(100)));
  store_.held.clear();  // dropped without a resolve: errored
  EXPECT_EQ(store_.tracker.checkpoint(), 0u);
  EXPECT_TRUE(store_.tracker.held());
}

}  // namespace
}  // namespace logship
