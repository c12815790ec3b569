#include "outputs/archive/archive_output.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstring>
#include <filesystem>

namespace logship {
namespace {

namespace fs = std::filesystem;

class NullMetrics : public ComponentMetrics {
 public:
  void received(uint64_t, uint64_t) override {}
  void sent(uint64_t, uint64_t) override {}
  void discarded(std::string_view, uint64_t) override {}
  void error(std::string_view) override {}
};

class ArchiveTestContext : public ComponentContext {
 public:
  explicit ArchiveTestContext(const GlobalConfig& g) : global_(g) {}
  std::string_view id() const override { return "arch"; }
  const GlobalConfig& global() const override { return global_; }
  ComponentMetrics& metrics() override { return metrics_; }
  prometheus::Registry& metricsRegistry() override { return registry_; }
  boost::asio::io_context& io() override { return io_; }

 private:
  const GlobalConfig& global_;
  NullMetrics metrics_;
  prometheus::Registry registry_;
  boost::asio::io_context io_;
};

constexpr int64_t kDay = 86400LL * 1'000'000'000;

class ArchiveRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("logship-archive-" + std::to_string(getpid()));
    fs::remove_all(root_);
    // audit's retention is shorter than its old segment's age: only the legal hold keeps it.
    global_.tiers = {{"audit", std::chrono::hours(24 * 10), true},
                     {"app", std::chrono::hours(24 * 30), false}};
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<ArchiveOutput> make() {
    node_ = ConfigNode(YAML::Load("{type: archive, path: " + root_.string() +
                                  ", fsync_interval: 0s}"),
                       std::make_shared<const std::string>("t.yaml"));
    Diagnostics diag;
    BuildContext ctx{"arch", global_, diag, node_};
    auto cfg = ArchiveOutputConfig::options().parse(node_, diag, reservedKeys(ComponentKind::kOutput));
    EXPECT_TRUE(diag.ok());
    auto out = std::make_unique<ArchiveOutput>(cfg, ctx);
    out->setClockForTest([this] { return now_; });
    context_ = std::make_unique<ArchiveTestContext>(global_);
    out->start(*context_);
    return out;
  }

  // One batch of `n` events of `tier` stamped `ts`.
  void write(ArchiveOutput& out, uint8_t tier, int64_t ts, int n) {
    std::string text;
    for (int i = 0; i < n; ++i) text += "event " + std::to_string(i) + "\n";
    auto raw = std::make_unique<char[]>(text.size());
    std::memcpy(raw.get(), text.data(), text.size());
    auto batch = std::make_shared<Batch>(std::move(raw), text.size(), AckToken());
    size_t at = 0;
    for (int i = 0; i < n; ++i) {
      size_t nl = batch->raw().find('\n', at);
      Event& e = batch->events().emplace_back();
      e.message = batch->raw().substr(at, nl - at);
      e.timestamp_ns = ts;
      e.tier = tier;
      at = nl + 1;
    }
    out.consume(batch, AckToken());
  }

  fs::path root_;
  GlobalConfig global_;
  ConfigNode node_;
  std::unique_ptr<ArchiveTestContext> context_;
  int64_t now_ = 1'700'000'000LL * 1'000'000'000;
};

TEST_F(ArchiveRetentionTest, SweepDeletesOnlyExpiredSegmentsAndTheChainStillVerifies) {
  auto out = make();
  int64_t t0 = now_;
  write(*out, 1, t0 - 40 * kDay, 10);  // app, past its 30 days
  write(*out, 1, t0 - 2 * kDay, 10);   // app, recent
  write(*out, 0, t0 - 40 * kDay, 10);  // audit: past its 10 days, but on legal hold
  out->sealAll();
  EXPECT_EQ(out->sweepRetention(), 1u);
  EXPECT_EQ(out->sweepRetention(), 0u);  // idempotent
  auto report = archive::verifyArchive(root_.string(), "");
  EXPECT_TRUE(report.problems.empty()) << report.problems[0];
  EXPECT_EQ(report.deleted, 1u);
  EXPECT_EQ(report.segments, 2u);
  // Move the clock on: the second app segment expires too; audit stays on legal hold.
  now_ = t0 + 40 * kDay;
  EXPECT_EQ(out->sweepRetention(), 1u);
  report = archive::verifyArchive(root_.string(), "");
  EXPECT_TRUE(report.problems.empty()) << report.problems[0];
  EXPECT_EQ(report.segments, 1u);
  EXPECT_TRUE(fs::exists(root_ / "audit" / "MANIFEST"));
  size_t audit_segments = 0;
  for (const auto& entry : fs::directory_iterator(root_ / "audit")) {
    audit_segments += entry.path().filename() != "MANIFEST" &&
                      entry.path().filename().string().find("MANIFEST") == std::string::npos;
  }
  EXPECT_EQ(audit_segments, 1u) << "the held segment must survive its retention";
}

TEST_F(ArchiveRetentionTest, ARestartContinuesTheChainAndSealsWhatWasOpen) {
  {
    auto out = make();
    write(*out, 1, now_, 5);
    // No sealAll(): the segment stays open, as after a crash.
    out.reset();
  }
  auto out = make();  // recovers the open segment, seals it
  write(*out, 1, now_, 5);
  out->sealAll();
  auto report = archive::verifyArchive(root_.string(), "");
  EXPECT_TRUE(report.problems.empty()) << report.problems[0];
  EXPECT_EQ(report.segments, 2u);
  std::string error;
  auto records = archive::readManifest((root_ / "app").string(), &error);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].events, 5u);
  EXPECT_LT(records[0].seq, records[1].seq);
}

}  // namespace
}  // namespace logship
