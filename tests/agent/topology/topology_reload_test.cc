// Topology::takeOver: what a reload keeps, replaces, adds and removes, and what becomes of the
// batches in flight. Also what a disk-buffered output acknowledges to its source when it is full.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "agent/core/ack_tracker.h"
#include "agent/core/metrics.h"
#include "agent/topology/topology.h"

namespace logship {
namespace {

// What the components of these tests saw, shared with the test body.
struct ReloadRecord {
  std::mutex mutex;
  std::vector<std::string> lifecycle;                        // "start out a", "stop out a", ...
  std::map<std::string, std::vector<std::string>> received;  // output id -> messages
  std::vector<AckToken> held;                                // acks kept by rl_hold outputs
  // Per source id: the trackers of its successive instances, and the position it saved.
  std::map<std::string, std::vector<std::unique_ptr<OrderedAckTracker>>> trackers;
  std::map<std::string, uint64_t> saved;

  void note(std::string what) {
    std::lock_guard lock(mutex);
    lifecycle.push_back(std::move(what));
  }
  uint64_t checkpoint(const std::string& source) {
    std::lock_guard lock(mutex);
    auto& all = trackers[source];
    return all.empty() ? 0 : all.back()->checkpoint();
  }
  size_t count(const std::string& output) {
    std::lock_guard lock(mutex);
    return received[output].size();
  }
};
ReloadRecord* g_reload = nullptr;

struct ReloadLinesConfig {
  int64_t count = 5;
  int64_t batches = 2;
  std::string label;
  static const OptionTable<ReloadLinesConfig>& options() {
    static const OptionTable<ReloadLinesConfig> t = [] {
      OptionTable<ReloadLinesConfig> o;
      o.optional("count", &ReloadLinesConfig::count, "lines per batch")
          .optional("batches", &ReloadLinesConfig::batches, "batches")
          .optional("label", &ReloadLinesConfig::label, "changes the options only");
      return o;
    }();
    return t;
  }
};

// Emits its batches at start, from the position its predecessor saved (batch b ends at
// (b + 1) * 100), like a file source reading from its checkpoint.
class ReloadLinesSource final : public Source {
 public:
  ReloadLinesSource(ReloadLinesConfig c, BuildContext& ctx) : config_(c), id_(ctx.id) {}
  void start(SourceContext& ctx) override {
    OrderedAckTracker* tracker;
    uint64_t from;
    {
      std::lock_guard lock(g_reload->mutex);
      from = g_reload->saved[id_];
      auto& all = g_reload->trackers[id_];
      all.push_back(std::make_unique<OrderedAckTracker>(from));
      tracker = tracker_ = all.back().get();
      g_reload->lifecycle.push_back("start " + id_ + " " + config_.label);
    }
    for (int64_t b = 0; b < config_.batches; ++b) {
      uint64_t end = static_cast<uint64_t>(b + 1) * 100;
      if (end <= from) continue;
      std::string text;
      for (int64_t i = 0; i < config_.count; ++i) {
        text += id_ + "-" + std::to_string(b * config_.count + i) + "\n";
      }
      auto raw = std::make_unique<char[]>(text.size());
      std::memcpy(raw.get(), text.data(), text.size());
      Batch batch(std::move(raw), text.size(), tracker->track(end));
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
  void stop() override { g_reload->note("stop " + id_ + " " + config_.label); }
  void saveState() override {
    std::lock_guard lock(g_reload->mutex);
    g_reload->saved[id_] = tracker_ ? tracker_->checkpoint() : 0;
  }

 private:
  ReloadLinesConfig config_;
  std::string id_;
  OrderedAckTracker* tracker_ = nullptr;
};

struct ReloadSinkConfig {
  std::string label;
  bool release_on_flush = false;
  bool fail_build = false;
  bool fail_start = false;
  static const OptionTable<ReloadSinkConfig>& options() {
    static const OptionTable<ReloadSinkConfig> t = [] {
      OptionTable<ReloadSinkConfig> o;
      o.optional("label", &ReloadSinkConfig::label, "changes the options only")
          .optional("release_on_flush", &ReloadSinkConfig::release_on_flush,
                    "rl_hold: delivers what it holds when flushed")
          .optional("fail_build", &ReloadSinkConfig::fail_build, "refuses its options")
          .optional("fail_start", &ReloadSinkConfig::fail_start, "throws from start()");
      return o;
    }();
    return t;
  }
};

// Records and delivers at once (rl_capture), or holds the acks (rl_hold) until flushed, when
// configured so, or until the test resolves them.
template <bool kHold>
class ReloadSink final : public Sink {
 public:
  ReloadSink(ReloadSinkConfig c, BuildContext& ctx) : config_(c), id_(ctx.id) {
    if (c.fail_build) ctx.diag.error(ctx.node.location(), "output '" + id_ + "' refuses to build");
  }
  void start(ComponentContext&) override {
    g_reload->note("start " + id_ + " " + config_.label);
    if (config_.fail_start) throw std::runtime_error("output '" + id_ + "' cannot start");
  }
  void consume(SharedBatch batch, AckToken ack) override {
    std::lock_guard lock(g_reload->mutex);
    for (const Event& e : batch->events()) g_reload->received[id_].emplace_back(e.message);
    if (!kHold) {
      ack.resolve(AckStatus::kDelivered);
      return;
    }
    mine_.push_back(g_reload->held.size());
    g_reload->held.push_back(std::move(ack));
  }
  void flush() override {
    g_reload->note("flush " + id_ + " " + config_.label);
    if (!config_.release_on_flush) return;
    std::lock_guard lock(g_reload->mutex);
    for (size_t i : mine_) g_reload->held[i].resolve(AckStatus::kDelivered);
    mine_.clear();
  }
  void stop() override { g_reload->note("stop " + id_ + " " + config_.label); }

 private:
  ReloadSinkConfig config_;
  std::string id_;
  std::vector<size_t> mine_;  // indexes into g_reload->held
};

class TopologyReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_reload = &record_;
    registry_.addSource<ReloadLinesConfig, ReloadLinesSource>("rl_lines", "test");
    registry_.addOutput<ReloadSinkConfig, ReloadSink<false>>("rl_capture", "test");
    registry_.addOutput<ReloadSinkConfig, ReloadSink<true>>("rl_hold", "test");
  }
  void TearDown() override {
    if (running_ && !shut_down_) running_->shutdown(std::chrono::seconds(5));
    {
      std::lock_guard lock(record_.mutex);
      record_.held.clear();
    }
    running_.reset();
    g_reload = nullptr;
  }

  std::unique_ptr<Topology> buildFrom(const std::string& yaml) {
    diag_ = Diagnostics();
    PipelineConfig config =
        parsePipelineConfig("workers: 2\nshutdown_timeout: 300ms\n" + yaml, "t.yaml", diag_);
    if (!diag_.ok()) return nullptr;
    return Topology::build(std::move(config), registry_, diag_);
  }
  void startWith(const std::string& yaml) {
    running_ = buildFrom(yaml);
    ASSERT_NE(running_, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
    running_->start(metrics_);
  }
  // Reloads to `yaml`; returns the summary.
  std::string reloadTo(const std::string& yaml) {
    auto next = buildFrom(yaml);
    EXPECT_NE(next, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
    if (!next) return "";
    EXPECT_TRUE(next->sameRuntime(*running_));
    std::string summary = next->takeOver(*running_, metrics_);
    running_ = std::move(next);  // the emptied one goes now, as in `logship run`
    return summary;
  }

  bool shutdownNow() {
    shut_down_ = true;
    return running_->shutdown(std::chrono::seconds(5));
  }

  template <class Pred>
  bool within5s(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
  }
  std::vector<std::string> lifecycleOf(const std::string& id) {
    std::lock_guard lock(record_.mutex);
    std::vector<std::string> out;
    for (auto& l : record_.lifecycle) {
      if (l.find(" " + id + " ") != std::string::npos) out.push_back(l);
    }
    return out;
  }

  ReloadRecord record_;
  Registry registry_;
  Diagnostics diag_;
  Metrics metrics_;
  std::unique_ptr<Topology> running_;
  bool shut_down_ = false;
};

std::vector<std::string> linesOf(const std::string& source, int first, int count) {
  std::vector<std::string> out;
  for (int i = first; i < first + count; ++i) out.push_back(source + "-" + std::to_string(i));
  return out;
}

TEST_F(TopologyReloadTest, KeepsTheUnchangedReplacesTheChangedAddsAndRemoves) {
  startWith(
      "sources:\n"
      "  s: {type: rl_lines, count: 5, batches: 2}\n"
      "outputs:\n"
      "  same: {type: rl_capture, inputs: [s], label: a}\n"
      "  changed: {type: rl_capture, inputs: [s], label: a}\n"
      "  gone: {type: rl_capture, inputs: [s], label: a}\n");
  ASSERT_TRUE(within5s([&] { return record_.checkpoint("s") == 200; }));
  std::string summary = reloadTo(
      "sources:\n"
      "  s: {type: rl_lines, count: 5, batches: 2}\n"
      "outputs:\n"
      "  same: {type: rl_capture, inputs: [s], label: a}\n"
      "  changed: {type: rl_capture, inputs: [s], label: b}\n"
      "  fresh: {type: rl_capture, inputs: [s], label: a}\n");
  EXPECT_EQ(summary, "kept s, same; replaced changed; added fresh; removed gone");
  // Kept components go on as they were: not stopped, not started again, nothing read twice.
  EXPECT_EQ(lifecycleOf("s"), std::vector<std::string>{"start s "});
  EXPECT_EQ(lifecycleOf("same"), std::vector<std::string>{"start same a"});
  EXPECT_EQ(lifecycleOf("changed"),
            (std::vector<std::string>{"start changed a", "flush changed a", "stop changed a",
                                      "start changed b"}));
  EXPECT_EQ(lifecycleOf("gone"),
            (std::vector<std::string>{"start gone a", "flush gone a", "stop gone a"}));
  EXPECT_EQ(lifecycleOf("fresh"), std::vector<std::string>{"start fresh a"});
  EXPECT_TRUE(shutdownNow());
  EXPECT_EQ(record_.count("same"), 10u);
  EXPECT_EQ(record_.count("changed"), 10u);
  EXPECT_EQ(record_.count("fresh"), 0u);
  EXPECT_EQ(record_.trackers["s"].size(), 1u);
}

TEST_F(TopologyReloadTest, AReplacedOutputDeliversWhatItHoldsBeforeItsSuccessorStarts) {
  startWith(
      "sources:\n"
      "  s: {type: rl_lines, count: 5, batches: 3}\n"
      "outputs:\n"
      "  out: {type: rl_hold, inputs: [s], release_on_flush: true, label: a}\n");
  ASSERT_TRUE(within5s([&] { return record_.count("out") == 15; }));
  EXPECT_EQ(record_.checkpoint("s"), 0u);
  std::string summary = reloadTo(
      "sources:\n"
      "  s: {type: rl_lines, count: 5, batches: 3}\n"
      "outputs:\n"
      "  out: {type: rl_hold, inputs: [s], release_on_flush: true, label: b}\n");
  EXPECT_EQ(summary, "kept s; replaced out");
  // The batches in flight were delivered by the old output and acknowledged to the source, so
  // the source was not restarted and nothing is sent again.
  EXPECT_EQ(record_.checkpoint("s"), 300u);
  EXPECT_EQ(lifecycleOf("out"),
            (std::vector<std::string>{"start out a", "flush out a", "stop out a", "start out b"}));
  EXPECT_EQ(lifecycleOf("s"), std::vector<std::string>{"start s "});
  EXPECT_EQ(record_.count("out"), 15u);
}

TEST_F(TopologyReloadTest, ARemovedOutputThatCannotDrainHasItsBatchesReadAgain) {
  startWith(
      "sources:\n"
      "  s: {type: rl_lines, count: 5, batches: 2}\n"
      "outputs:\n"
      "  keep: {type: rl_capture, inputs: [s]}\n"
      "  stuck: {type: rl_hold, inputs: [s]}\n");
  ASSERT_TRUE(
      within5s([&] { return record_.count("stuck") == 10 && record_.count("keep") == 10; }));
  std::string summary = reloadTo(
      "sources:\n"
      "  s: {type: rl_lines, count: 5, batches: 2}\n"
      "outputs:\n"
      "  keep: {type: rl_capture, inputs: [s]}\n");
  // The deadline passed with two batches unacknowledged: the source is restarted from the
  // position acknowledged so far (none), so those lines are read again rather than lost.
  EXPECT_EQ(summary, "kept keep; replaced s; removed stuck");
  ASSERT_TRUE(within5s([&] { return record_.checkpoint("s") == 200; }));
  {
    std::lock_guard lock(record_.mutex);
    EXPECT_EQ(record_.saved["s"], 0u);
    ASSERT_EQ(record_.trackers["s"].size(), 2u);
    EXPECT_EQ(record_.trackers["s"][0]->checkpoint(), 0u);  // the stuck batches held it
  }
  EXPECT_EQ(lifecycleOf("s"), (std::vector<std::string>{"start s ", "stop s ", "start s "}));
  std::vector<std::string> twice = linesOf("s", 0, 10);
  auto again = linesOf("s", 0, 10);
  twice.insert(twice.end(), again.begin(), again.end());
  std::lock_guard lock(record_.mutex);
  EXPECT_EQ(record_.received["keep"], twice);
  EXPECT_EQ(record_.received["stuck"].size(), 10u);  // removed: given nothing more
}

TEST_F(TopologyReloadTest, AConfigurationThatFailsToBuildLeavesTheRunningGraphUntouched) {
  startWith(
      "sources:\n"
      "  s: {type: rl_lines, count: 5, batches: 2}\n"
      "outputs:\n"
      "  out: {type: rl_hold, inputs: [s]}\n");
  ASSERT_TRUE(within5s([&] { return record_.count("out") == 10; }));
  auto next = buildFrom(
      "sources:\n"
      "  s: {type: rl_lines, count: 5, batches: 2}\n"
      "outputs:\n"
      "  out: {type: rl_hold, inputs: [s], label: b}\n"
      "  broken: {type: rl_capture, inputs: [s], fail_build: true}\n");
  EXPECT_EQ(next, nullptr);
  ASSERT_EQ(diag_.errors().size(), 1u);
  EXPECT_NE(diag_.errors()[0].find("'broken' refuses to build"), std::string::npos);
  // Nothing was stopped, started or flushed, and the running output still acknowledges.
  EXPECT_EQ(lifecycleOf("out"), std::vector<std::string>{"start out "});
  EXPECT_EQ(lifecycleOf("broken"), std::vector<std::string>{});
  {
    std::lock_guard lock(record_.mutex);
    for (AckToken& a : record_.held) a.resolve(AckStatus::kDelivered);
  }
  EXPECT_TRUE(within5s([&] { return record_.checkpoint("s") == 200; }));
  EXPECT_TRUE(shutdownNow());
}

TEST_F(TopologyReloadTest, AnOutputThatFailsToStartIsReportedAndTheKeptOnesRunOn) {
  startWith(
      "sources:\n"
      "  s: {type: rl_lines, count: 5, batches: 2}\n"
      "outputs:\n"
      "  out: {type: rl_capture, inputs: [s]}\n");
  ASSERT_TRUE(within5s([&] { return record_.checkpoint("s") == 200; }));
  std::string summary = reloadTo(
      "sources:\n"
      "  s: {type: rl_lines, count: 5, batches: 2}\n"
      "  t: {type: rl_lines, count: 3, batches: 1}\n"
      "outputs:\n"
      "  out: {type: rl_capture, inputs: [s, t]}\n"
      "  broken: {type: rl_capture, inputs: [s], fail_start: true}\n");
  EXPECT_NE(summary.find("failed to start; output 'broken' cannot start"), std::string::npos)
      << summary;
  // The new source's lines reach the output that runs.
  ASSERT_TRUE(within5s([&] { return record_.checkpoint("t") == 100; }));
  std::lock_guard lock(record_.mutex);
  auto expected = linesOf("s", 0, 10);
  auto more = linesOf("t", 0, 3);
  expected.insert(expected.end(), more.begin(), more.end());
  EXPECT_EQ(record_.received["out"], expected);
}

// A disk-buffered output in the running graph, with room for one batch at a time.
class TopologyDiskBufferTest : public TopologyReloadTest {
 protected:
  void SetUp() override {
    TopologyReloadTest::SetUp();
    data_dir_ = std::filesystem::temp_directory_path() /
                ("logship-topology-buffer-" + std::to_string(getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(data_dir_);
  }
  void TearDown() override {
    TopologyReloadTest::TearDown();
    std::filesystem::remove_all(data_dir_);
  }
  std::string pipeline(const std::string& when_full) {
    return "data_dir: " + data_dir_.string() +
           "\n"
           "sources:\n"
           "  s: {type: rl_lines, count: 50, batches: 3}\n"
           "outputs:\n"
           "  out: {type: rl_hold, inputs: [s],\n"
           "        buffer: {type: disk, max_bytes: 1, when_full: " +
           when_full + ", fsync_interval: 0s}}\n";
  }
  size_t heldCount() {
    std::lock_guard lock(record_.mutex);
    return record_.held.size();
  }
  std::filesystem::path data_dir_;
};

TEST_F(TopologyDiskBufferTest, BlockAcknowledgesWhatIsOnDiskAndHoldsTheRestUntilThereIsRoom) {
  startWith(pipeline("block"));
  // The first batch is on disk: its source may move on although the destination has nothing yet.
  ASSERT_TRUE(within5s([&] { return record_.checkpoint("s") == 100 && heldCount() == 1; }));
  EXPECT_EQ(record_.count("out"), 50u);
  EXPECT_EQ(record_.checkpoint("s"), 100u);  // the others did not fit: not acknowledged
  for (size_t k = 1; k <= 3; ++k) {
    ASSERT_TRUE(within5s([&] { return heldCount() == k; })) << k;
    {
      std::lock_guard lock(record_.mutex);
      record_.held[k - 1].resolve(AckStatus::kDelivered);
    }
    ASSERT_TRUE(within5s([&] {
      return record_.checkpoint("s") == std::min<uint64_t>(300, (k + 1) * 100);
    })) << k;
  }
  EXPECT_EQ(record_.count("out"), 150u);
  EXPECT_TRUE(shutdownNow());
}

TEST_F(TopologyDiskBufferTest, DropNewestAcknowledgesDroppedBatchesAndCountsThem) {
  startWith(pipeline("drop_newest"));
  ASSERT_TRUE(within5s([&] { return record_.checkpoint("s") == 300 && heldCount() == 1; }));
  EXPECT_EQ(record_.count("out"), 50u);  // only the batch that fitted
  std::string metrics = metrics_.render();
  EXPECT_NE(metrics.find("logship_component_discarded_events_total{component_id=\"out\","
                         "component_kind=\"output\",component_type=\"rl_hold\",reason="
                         "\"buffer_full\"} 100"),
            std::string::npos)
      << metrics;
  {
    std::lock_guard lock(record_.mutex);
    record_.held[0].resolve(AckStatus::kDelivered);
  }
  EXPECT_TRUE(shutdownNow());
}

}  // namespace
}  // namespace logship
