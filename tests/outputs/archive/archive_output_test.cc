#include "outputs/archive/archive_output.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tests/outputs/common/http_test_support.h"

namespace logship {
namespace {

namespace fs = std::filesystem;

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

  // `extra` options are added to the output's; with `upload`, its bucket is `upload`.
  std::unique_ptr<ArchiveOutput> make(const std::string& extra = "",
                                      std::shared_ptr<HttpTransport> upload = nullptr) {
    node_ = ConfigNode(YAML::Load("{type: archive, path: " + root_.string() +
                                  ", fsync_interval: 0s" + extra + "}"),
                       std::make_shared<const std::string>("t.yaml"));
    Diagnostics diag;
    BuildContext ctx{"arch", global_, diag, node_};
    auto cfg = ArchiveOutputConfig::options().parse(node_, diag, reservedKeys(ComponentKind::kOutput));
    EXPECT_TRUE(diag.ok());
    auto out = std::make_unique<ArchiveOutput>(cfg, ctx);
    out->setClockForTest([this] { return now_; });
    context_ = std::make_unique<testing::TestContext>(global_);
    if (upload) {
      out->startWith(*context_, std::move(upload));
    } else {
      out->start(*context_);
    }
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
  std::unique_ptr<testing::TestContext> context_;
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

constexpr const char* kUpload =
    ", upload: {bucket: vault, endpoint: \"http://127.0.0.1:9\", access_key_id: AK, "
    "secret_access_key: SK, key_prefix: h1/, object_lock: COMPLIANCE, max_backoff: 1ms}";

std::string fileText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

TEST_F(ArchiveRetentionTest, SealedSegmentsThenTheManifestGoToTheBucketLockedForTheTier) {
  auto bucket = std::make_shared<testing::ScriptedTransport>();
  auto out = make(kUpload, bucket);
  EXPECT_TRUE(bucket->pending.empty());  // no tier yet: nothing to look for
  write(*out, 1, now_ - kDay, 5);
  EXPECT_TRUE(bucket->pending.empty());  // open segments stay here
  out->sealAll();
  ASSERT_EQ(bucket->pending.size(), 1u);  // one at a time, in order
  const HttpRequest& put = *bucket->pending[0].request;
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.target, "/vault/h1/app/2023-11-13/00000001.ndjson.zst");
  EXPECT_EQ(put.body, fileText(root_ / "app" / "2023-11-13" / "00000001.ndjson.zst"));
  EXPECT_EQ(testing::header(put, "x-amz-object-lock-mode"), "COMPLIANCE");
  // app keeps 30 days from its newest event (a day old): locked until then, not from now.
  EXPECT_EQ(testing::header(put, "x-amz-object-lock-retain-until-date"),
            "2023-12-13T22:13:20.000Z");
  EXPECT_TRUE(out->uploader()->waiting("app", "2023-11-13/00000001.ndjson.zst"));
  // A failure is tried again, whatever it is: the archive keeps the file meanwhile.
  bucket->respond(403, "<Error><Code>AccessDenied</Code></Error>");
  EXPECT_TRUE(bucket->pending.empty());
  context_->io().run_for(std::chrono::milliseconds(50));
  ASSERT_EQ(bucket->pending.size(), 1u);
  EXPECT_EQ(bucket->pending[0].request->target, "/vault/h1/app/2023-11-13/00000001.ndjson.zst");
  bucket->respond(200);
  ASSERT_EQ(bucket->pending.size(), 1u);
  EXPECT_EQ(bucket->pending[0].request->target, "/vault/h1/app/MANIFEST");
  EXPECT_EQ(bucket->pending[0].request->body, fileText(root_ / "app" / "MANIFEST"));
  bucket->respond(200);
  EXPECT_TRUE(bucket->pending.empty());
  EXPECT_EQ(out->uploader()->backlog(), 0u);
  EXPECT_FALSE(out->uploader()->waiting("app", "2023-11-13/00000001.ndjson.zst"));
}

TEST_F(ArchiveRetentionTest, WhatTheBucketLacksIsUploadedAtStartAndRetentionWaitsForIt) {
  {
    auto out = make();
    write(*out, 1, now_ - 40 * kDay, 5);  // already past app's 30 days
    write(*out, 1, now_ - kDay, 5);
    out->sealAll();
  }
  auto bucket = std::make_shared<testing::ScriptedTransport>();
  auto out = make(kUpload, bucket);
  ASSERT_EQ(bucket->pending.size(), 1u);
  EXPECT_NE(bucket->pending[0].request->target.find("list-type=2&prefix=h1%2Fapp%2F"),
            std::string::npos)
      << bucket->pending[0].request->target;
  // The bucket has the newer segment whole, and of the older one only what an upload cut short
  // by a stop left.
  const auto whole = fs::file_size(root_ / "app" / "2023-11-13" / "00000002.ndjson.zst");
  bucket->respond(200,
                  "<ListBucketResult><Contents><Key>h1/app/2023-10-05/00000001.ndjson.zst</Key>"
                  "<Size>0</Size></Contents><Contents><Key>h1/app/2023-11-13/00000002.ndjson.zst"
                  "</Key><Size>" + std::to_string(whole) + "</Size></Contents></ListBucketResult>");
  ASSERT_EQ(bucket->pending.size(), 1u);
  EXPECT_EQ(bucket->pending[0].request->target, "/vault/h1/app/2023-10-05/00000001.ndjson.zst");
  // Past its retention but not yet copied: the sweep leaves it for now.
  EXPECT_EQ(out->sweepRetention(), 0u);
  bucket->respond(200);
  EXPECT_EQ(bucket->pending[0].request->target, "/vault/h1/app/MANIFEST");
  bucket->respond(200);
  EXPECT_EQ(out->sweepRetention(), 1u);
  // The deletion changed the manifest: it goes up again.
  ASSERT_EQ(bucket->pending.size(), 1u);
  EXPECT_EQ(bucket->pending[0].request->target, "/vault/h1/app/MANIFEST");
}

TEST_F(ArchiveRetentionTest, TheArchiveVerifiesItselfAndSaysWhenATierWasTampered) {
  auto out = make(", verify_interval: 20ms");
  write(*out, 1, now_, 5);
  out->sealAll();
  auto verified = [&] {
    const double before = context_->metric("logship_archive_last_verify_timestamp_seconds", {});
    for (int i = 0; i < 200; ++i) {
      context_->io().run_for(std::chrono::milliseconds(10));
      if (context_->metric("logship_archive_last_verify_timestamp_seconds", {}) != before) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(verified());
  EXPECT_EQ(context_->metric("logship_archive_chain_ok", {{"component_id", "out"}}), 1);
  // A segment changed under the archive: the next verification (and its second look) finds it.
  const fs::path segment = root_ / "app" / "2023-11-14" / "00000001.ndjson.zst";
  ASSERT_TRUE(fs::exists(segment));
  std::ofstream(segment, std::ios::app) << "forged";
  for (int i = 0; i < 5 && context_->metric("logship_archive_chain_ok", {}) != 0; ++i) verified();
  EXPECT_EQ(context_->metric("logship_archive_chain_ok", {}), 0);
  EXPECT_EQ(context_->metric("logship_archive_verify_problems", {}), 1);
  out->stop();
}

TEST_F(ArchiveRetentionTest, EncryptedSegmentsReadWithTheirKeysAcrossARotation) {
  const fs::path keys = root_.string() + "-keys";
  std::ofstream(keys) << "k1:" << std::string(64, '1') << "\n";
  auto out = make(", encryption_key_file: " + keys.string());
  write(*out, 1, now_, 5);
  out->sealAll();
  out.reset();
  // Rotation: the new key first, the old one kept to read what it sealed. A segment left open
  // by a crash is recovered with it too.
  std::ofstream(keys) << "k2:" << std::string(64, '2') << "\nk1:" << std::string(64, '1') << "\n";
  out = make(", encryption_key_file: " + keys.string());
  write(*out, 1, now_, 3);
  out.reset();  // no sealAll: open, as after a crash
  out = make(", encryption_key_file: " + keys.string());
  out->sealAll();
  std::string error;
  const auto records = archive::readManifest((root_ / "app").string(), &error);
  ASSERT_EQ(records.size(), 2u) << error;
  EXPECT_EQ(records[0].key_id, "k1");
  EXPECT_EQ(records[1].key_id, "k2");
  EXPECT_EQ(records[1].events, 3u);  // recovery decrypted the frames to count them
  KeyRing ring;
  ASSERT_TRUE(KeyRing::load(keys.string(), &ring, &error));
  size_t events = 0;
  for (const auto& r : records) {
    const std::string data = fileText(root_ / "app" / r.file);
    EXPECT_EQ(data.find("event 1"), std::string::npos) << "plaintext on disk";
    size_t pos = 0;
    std::string plain;
    while (archive::readFrame(data, pos, &ring, r.file, plain, &error) == archive::FrameRead::kOk) {
      events += static_cast<size_t>(std::count(plain.begin(), plain.end(), '\n'));
    }
    EXPECT_EQ(pos, data.size());
    // Without the key it is named, not misread.
    pos = 0;
    EXPECT_EQ(archive::readFrame(data, pos, nullptr, r.file, plain, &error),
              archive::FrameRead::kNoKey);
    // A frame moved to another segment does not open there.
    pos = 0;
    EXPECT_EQ(archive::readFrame(data, pos, &ring, "other/" + r.file, plain, &error),
              archive::FrameRead::kDamaged);
  }
  EXPECT_EQ(events, 8u);
  EXPECT_TRUE(archive::verifyArchive(root_.string(), "").problems.empty());
  fs::remove(keys);
}

}  // namespace
}  // namespace logship
