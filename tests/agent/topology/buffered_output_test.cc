#include "agent/topology/buffered_output.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>

#include "tests/agent/batch_messages.h"

namespace logship {
namespace {

namespace fs = std::filesystem;

class CountingComponentMetrics final : public ComponentMetrics {
 public:
  void received(uint64_t, uint64_t) override {}
  void sent(uint64_t, uint64_t) override {}
  void discarded(std::string_view reason, uint64_t events) override {
    discards[std::string(reason)] += events;
  }
  void error(std::string_view reason) override { errors[std::string(reason)]++; }
  std::map<std::string, uint64_t> discards;
  std::map<std::string, uint64_t> errors;
};

// Everything runs on this test's thread: the io_context is driven by the test.
class InlineOutputContext final : public ComponentContext {
 public:
  explicit InlineOutputContext(std::string data_dir) { global_.data_dir = std::move(data_dir); }
  std::string_view id() const override { return "buffered"; }
  const GlobalConfig& global() const override { return global_; }
  ComponentMetrics& metrics() override { return metrics_; }
  prometheus::Registry& metricsRegistry() override { return registry_; }
  boost::asio::io_context& io() override { return io_; }

  CountingComponentMetrics metrics_;
  boost::asio::io_context io_;

 private:
  GlobalConfig global_;
  prometheus::Registry registry_;
};

// Keeps what it is given and resolves nothing until the test says so.
class KeepingSink final : public Sink {
 public:
  void start(ComponentContext&) override {}
  void consume(SharedBatch batch, AckToken ack) override {
    for (const Event& e : batch->events()) messages.emplace_back(e.message);
    acks.push_back(std::move(ack));
  }
  void stop() override {}
  std::vector<std::string> messages;
  std::vector<AckToken> acks;
};

// The final status of each upstream batch, by its number.
class UpstreamAcks final : public AckReceiver {
 public:
  void acknowledge(uint64_t cookie, AckStatus status) override { status_[cookie] = status; }
  AckToken token(uint64_t n) { return AckToken(this, n); }
  std::optional<AckStatus> status(uint64_t n) const {
    auto it = status_.find(n);
    if (it == status_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<uint64_t, AckStatus> status_;
};

// One batch of `count` events "b<n>-<i>".
SharedBatch bufferedBatch(int n, int count = 20) {
  std::string text;
  for (int i = 0; i < count; ++i) text += "b" + std::to_string(n) + "-" + std::to_string(i) + "\n";
  auto raw = std::make_unique<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  auto b = std::make_shared<Batch>(std::move(raw), text.size(), AckToken());
  size_t at = 0;
  for (int i = 0; i < count; ++i) {
    size_t nl = b->raw().find('\n', at);
    Event& e = b->events().emplace_back();
    e.message = b->raw().substr(at, nl - at);
    at = nl + 1;
  }
  return b;
}

class BufferedOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("logship-buffered-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    context_ = std::make_unique<InlineOutputContext>(dir_.string());
  }
  void TearDown() override {
    sink_.acks.clear();  // a stopped sink lets go of what it held, before its output goes
    output_.reset();
    context_.reset();
    fs::remove_all(dir_);
  }

  // A buffer with room for one frame at a time: any second batch finds it full.
  void openOutput(const std::string& when_full) {
    BufferOptions options;
    options.type = "disk";
    options.max_bytes = 1;
    options.when_full = when_full;
    options.fsync_interval = std::chrono::milliseconds(0);
    output_ = std::make_unique<BufferedOutput>(sink_, *context_, options, 1 << 20);
    std::string error;
    ASSERT_TRUE(output_->open(&error)) << error;
  }

  // Runs the output's handlers until `pred` holds, for at most 5 s.
  template <class Pred>
  bool runUntil(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      context_->io_.run_one_for(std::chrono::milliseconds(20));
    }
    return pred();
  }

  fs::path dir_;
  std::unique_ptr<InlineOutputContext> context_;
  KeepingSink sink_;
  UpstreamAcks upstream_;
  std::unique_ptr<BufferedOutput> output_;
};

TEST_F(BufferedOutputTest, BlockHoldsBatchesUnacknowledgedAndWritesThemInOrderOnceThereIsRoom) {
  openOutput("block");
  for (int n = 1; n <= 3; ++n) output_->accept(bufferedBatch(n), upstream_.token(n));
  // The first is on disk and synced: its source may move on. The others wait, unacknowledged, so
  // their sources stay paused (the log file holds them).
  ASSERT_TRUE(runUntil([&] { return upstream_.status(1).has_value(); }));
  EXPECT_EQ(upstream_.status(1), AckStatus::kDelivered);
  ASSERT_TRUE(runUntil([&] { return sink_.acks.size() == 1; }));
  EXPECT_FALSE(upstream_.status(2));
  EXPECT_FALSE(upstream_.status(3));
  EXPECT_EQ(context_->metrics_.discards["buffer_full"], 0u);

  // Each delivery makes room for the next held batch, in the order they came.
  for (size_t k = 1; k <= 3; ++k) {
    ASSERT_TRUE(runUntil([&] { return sink_.acks.size() == k; })) << k;
    sink_.acks[k - 1].resolve(AckStatus::kDelivered);
    if (k < 3) {
      ASSERT_TRUE(runUntil([&] { return upstream_.status(k + 1).has_value(); })) << k;
      EXPECT_EQ(upstream_.status(k + 1), AckStatus::kDelivered);
    }
  }
  std::vector<std::string> expected;
  for (int n = 1; n <= 3; ++n) {
    for (int i = 0; i < 20; ++i)
      expected.push_back("b" + std::to_string(n) + "-" + std::to_string(i));
  }
  EXPECT_EQ(sink_.messages, expected);
  EXPECT_EQ(context_->metrics_.discards["buffer_full"], 0u);
}

TEST_F(BufferedOutputTest, BlockedBatchesAreLeftErroredAtStopNotAcknowledged) {
  openOutput("block");
  output_->accept(bufferedBatch(1), upstream_.token(1));
  output_->accept(bufferedBatch(2), upstream_.token(2));
  ASSERT_TRUE(runUntil([&] { return upstream_.status(1).has_value(); }));
  EXPECT_FALSE(upstream_.status(2));
  output_->stop();
  // Never written: its source must read it again after a restart.
  EXPECT_EQ(upstream_.status(2), AckStatus::kErrored);
}

TEST_F(BufferedOutputTest, DropNewestDropsCountsAndWarnsWhenFull) {
  openOutput("drop_newest");
  output_->accept(bufferedBatch(1), upstream_.token(1));
  ::testing::internal::CaptureStderr();
  output_->accept(bufferedBatch(2, 7), upstream_.token(2));
  output_->accept(bufferedBatch(3, 5), upstream_.token(3));
  std::string log = ::testing::internal::GetCapturedStderr();
  // Dropped by configuration: the sources move on, and the loss is counted and said.
  EXPECT_EQ(upstream_.status(2), AckStatus::kDelivered);
  EXPECT_EQ(upstream_.status(3), AckStatus::kDelivered);
  EXPECT_EQ(context_->metrics_.discards["buffer_full"], 12u);
  EXPECT_NE(log.find("WARN"), std::string::npos) << log;
  EXPECT_NE(log.find("'buffered'"), std::string::npos) << log;
  EXPECT_NE(log.find("drop"), std::string::npos) << log;

  // What was not dropped is delivered, and only that.
  ASSERT_TRUE(runUntil([&] { return sink_.acks.size() == 1; }));
  // Room again as soon as the held frame is delivered, not only once a timer collected it.
  sink_.acks[0].resolve(AckStatus::kDelivered);
  output_->accept(bufferedBatch(4, 2), upstream_.token(4));
  EXPECT_EQ(context_->metrics_.discards["buffer_full"], 12u);
  ASSERT_TRUE(runUntil([&] { return sink_.acks.size() == 2; }));
  std::vector<std::string> expected;
  for (int i = 0; i < 20; ++i) expected.push_back("b1-" + std::to_string(i));
  expected.push_back("b4-0");
  expected.push_back("b4-1");
  EXPECT_EQ(sink_.messages, expected);
}

}  // namespace
}  // namespace logship
