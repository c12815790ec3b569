#include "outputs/file/file_output.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

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

  std::unique_ptr<FileOutput> build(const std::string& options,
                                    const std::string& format = "text") {
    Diagnostics diag;
    auto out = testing::buildOutput<FileOutput>(
        "file",
        "{path: '" + path_ + "', format: " + format + ", retry_interval: 10ms" + options + "}",
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

using FileOutputTest = FileOutputFsyncTest;

TEST_F(FileOutputTest, TextLinesComeFromTheRawBufferOrACopyInTheirOrder) {
  auto out = build("");
  auto batch = testing::makeBatch({"one", "two", "three", "four"}, AckToken());
  batch->events()[1].message = batch->arena().copy("TWO, rewritten");
  // A last line without its newline (shipped after idle_flush): the raw buffer ends with it.
  auto raw = std::make_unique<char[]>(4);
  std::memcpy(raw.get(), "x\nyz", 4);
  auto unterminated = std::make_shared<Batch>(std::move(raw), 4, AckToken());
  unterminated->events().emplace_back().message = unterminated->raw().substr(0, 1);
  unterminated->events().emplace_back().message = unterminated->raw().substr(2, 2);
  out->consume(batch, log_.token(1));
  out->consume(unterminated, log_.token(2));
  EXPECT_EQ(testing::readFile(path_), "one\nTWO, rewritten\nthree\nfour\nx\nyz\n");
  out->stop();
}

TEST_F(FileOutputTest, NdjsonLargerThanOneWriteIsTheEncodersOutputWhole) {
  auto out = build("", "ndjson");
  std::vector<std::string> lines;
  for (int i = 0; i < 6000; ++i)
    lines.push_back("line " + std::to_string(i) + std::string(150, 'x'));
  auto batch = testing::makeBatch(lines, AckToken());
  std::string expected;
  NdjsonEncoder(context_->global_).encode(*batch, expected);
  ASSERT_GT(expected.size(), 1u << 20);  // several write pieces
  out->consume(batch, log_.token(1));
  EXPECT_EQ(log_.entries, (std::vector<std::string>{"ack 1 delivered"}));
  EXPECT_EQ(testing::readFile(path_), expected);
  out->stop();
}

}  // namespace
}  // namespace logship
