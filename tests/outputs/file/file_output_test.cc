#include "outputs/file/file_output.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "tests/outputs/common/http_test_support.h"

namespace logship {
namespace {

// Acknowledgements and syncs in the order they happened.
class SyncOrderLog final : public AckReceiver {
 public:
  void acknowledge(uint64_t cookie, AckStatus status) override {
    entries.push_back("ack " + std::to_string(cookie) + " " + toString(status));
  }
  AckToken token(uint64_t cookie) { return AckToken(this, cookie); }
  std::vector<std::string> entries;
};

class FileOutputFsyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::tempDir(std::string("file-output-") +
                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    path_ = dir_ + "/out.log";
    context_ = std::make_unique<testing::TestContext>(testing::globalWithTiers(dir_));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<FileOutput> build(const std::string& options) {
    Diagnostics diag;
    auto out = testing::buildOutput<FileOutput>(
        "file", "{path: '" + path_ + "', format: text, retry_interval: 10ms" + options + "}",
        context_->global_, diag);
    EXPECT_TRUE(diag.ok()) << diag.errors()[0];
    out->setSync([this](int fd) {
      log_.entries.push_back("sync");
      if (fail_syncs_ > 0) {
        --fail_syncs_;
        errno = EIO;
        return -1;
      }
      return ::fdatasync(fd);
    });
    out->start(*context_);
    return out;
  }
  // Runs the output's timers until `pred` holds, for at most 5 s.
  template <class Pred>
  bool runUntil(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      context_->io_.run_one_for(std::chrono::milliseconds(20));
    }
    return pred();
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<testing::TestContext> context_;
  SyncOrderLog log_;
  int fail_syncs_ = 0;
};

TEST_F(FileOutputFsyncTest, EachBatchIsSyncedBeforeItIsAcknowledged) {
  auto out = build(", fsync: true");
  out->consume(testing::makeBatch({"a", "b"}, AckToken()), log_.token(1));
  out->consume(testing::makeBatch({"c"}, AckToken()), log_.token(2));
  EXPECT_EQ(log_.entries,
            (std::vector<std::string>{"sync", "ack 1 delivered", "sync", "ack 2 delivered"}));
  EXPECT_EQ(testing::readFile(path_), "a\nb\nc\n");
  out->stop();
}

TEST_F(FileOutputFsyncTest, WithoutFsyncBatchesAreAcknowledgedOnceWritten) {
  auto out = build("");
  out->consume(testing::makeBatch({"a"}, AckToken()), log_.token(1));
  out->consume(testing::makeBatch({"b"}, AckToken()), log_.token(2));
  EXPECT_EQ(log_.entries, (std::vector<std::string>{"ack 1 delivered", "ack 2 delivered"}));
  EXPECT_EQ(testing::readFile(path_), "a\nb\n");
  out->stop();
}

TEST_F(FileOutputFsyncTest, AFailedSyncHoldsTheAcknowledgementAndIsRetried) {
  fail_syncs_ = 1;
  auto out = build(", fsync: true");
  out->consume(testing::makeBatch({"a"}, AckToken()), log_.token(1));
  out->consume(testing::makeBatch({"b"}, AckToken()), log_.token(2));
  // Not durable: not acknowledged, and what follows waits behind it.
  EXPECT_EQ(log_.entries, (std::vector<std::string>{"sync"}));
  EXPECT_EQ(context_->metrics_.errors["write_failed"], 1u);
  EXPECT_FALSE(out->healthy());
  ASSERT_TRUE(runUntil([&] { return log_.entries.size() == 5; }));
  EXPECT_EQ(log_.entries, (std::vector<std::string>{"sync", "sync", "ack 1 delivered", "sync",
                                                    "ack 2 delivered"}));
  EXPECT_TRUE(out->healthy());
  // The batch is written again after the failed sync (the first copy may not be on disk): every
  // line is there, the first possibly twice (at least once, never lost).
  std::string text = testing::readFile(path_);
  EXPECT_TRUE(text == "a\na\nb\n" || text == "a\nb\n") << text;
  out->stop();
}

}  // namespace
}  // namespace logship
