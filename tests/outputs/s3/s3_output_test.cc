#include "outputs/s3/s3_output.h"

#include <gtest/gtest.h>

#include "agent/support/digest.h"
#include "agent/support/timestamp.h"
#include "outputs/common/compression.h"
#include "outputs/common/http_config.h"
#include "tests/outputs/common/http_test_support.h"

namespace logship {
namespace {

using testing::header;
using testing::makeBatch;

constexpr int64_t kYear = 365LL * 24 * 3600 * 1'000'000'000;

class S3OutputTest : public ::testing::Test {
 protected:
  void start(const std::string& options) {
    global_ = testing::globalWithTiers(testing::tempDir("s3-output"));
    global_.tiers[0].retention = std::chrono::hours(24 * 365 * 7);
    global_.tiers[1].retention = std::chrono::hours(24 * 30);
    context_ = std::make_unique<testing::TestContext>(global_);
    Diagnostics diag;
    out_ = testing::buildOutput<S3Output>("s3",
                                          "{bucket: logs, endpoint: \"http://127.0.0.1:9000\", "
                                          "access_key_id: AK, secret_access_key: SK, "
                                          "retry: {initial_backoff: 1ms, max_backoff: 1ms}, " +
                                              options + "}",
                                          global_, diag);
    ASSERT_TRUE(diag.ok()) << diag.errors()[0];
    transport_ = std::make_shared<testing::ScriptedTransport>();
    out_->startWith(*context_, transport_, [] { return int64_t{1700000000} * 1'000'000'000; },
                    [] { return 0.0; });
  }
  // Events of `tier`, as one batch acknowledged to the recorder under `cookie`.
  void send(uint64_t cookie, uint8_t tier, size_t events = 3, size_t bytes = 40) {
    std::vector<std::string> lines;
    for (size_t i = 0; i < events; ++i) lines.push_back(std::string(bytes, 'a' + i % 26));
    auto batch = makeBatch(lines, AckToken());
    for (Event& e : batch->events()) e.tier = tier;
    out_->consume(batch, acks_.token(cookie));
  }
  const HttpRequest& request(size_t i = 0) { return *transport_->pending.at(i).request; }
  void runTimers() {
    context_->io_.restart();
    context_->io_.run_for(std::chrono::milliseconds(20));
  }

  GlobalConfig global_;
  std::unique_ptr<testing::TestContext> context_;
  std::unique_ptr<S3Output> out_;
  std::shared_ptr<testing::ScriptedTransport> transport_;
  testing::AckRecorder acks_;
};

TEST_F(S3OutputTest, AnObjectIsSignedLockedAndAcknowledgedOnceStored) {
  start("key_prefix: \"{tier}/%Y/%m/%d/\", object_lock: {mode: COMPLIANCE}, "
        "server_side_encryption: \"aws:kms\", ssekms_key_id: k1, storage_class: STANDARD_IA");
  send(1, 0);
  EXPECT_TRUE(transport_->pending.empty());  // held for max_object_bytes or max_object_age
  out_->flush();
  ASSERT_EQ(transport_->pending.size(), 1u);
  const HttpRequest& put = request();
  EXPECT_EQ(put.method, "PUT");
  EXPECT_TRUE(put.target.starts_with("/logs/audit/2023/11/14/")) << put.target;
  EXPECT_TRUE(put.target.ends_with(".ndjson.gz")) << put.target;
  std::string ndjson;
  ASSERT_TRUE(gunzip(put.body, ndjson));
  EXPECT_EQ(std::count(ndjson.begin(), ndjson.end(), '\n'), 3);
  EXPECT_EQ(header(put, "Content-Encoding"), "gzip");
  EXPECT_EQ(header(put, "x-amz-content-sha256"), sha256Hex(put.body));
  EXPECT_EQ(header(put, "x-amz-date"), "20231114T221320Z");
  EXPECT_TRUE(header(put, "Authorization")
                  .starts_with("AWS4-HMAC-SHA256 Credential=AK/20231114/us-east-1/s3/aws4_request, "
                               "SignedHeaders=content-encoding;content-md5;content-type;host;"))
      << header(put, "Authorization");
  EXPECT_EQ(header(put, "x-amz-object-lock-mode"), "COMPLIANCE");
  // Locked for the audit tier's seven years from now.
  const std::string until = header(put, "x-amz-object-lock-retain-until-date");
  EXPECT_EQ(until.substr(0, 4), std::to_string(1970 + (timestamp::nowNs() + 7 * kYear) / kYear))
      << until;
  EXPECT_EQ(header(put, "x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(header(put, "x-amz-server-side-encryption-aws-kms-key-id"), "k1");
  EXPECT_EQ(header(put, "x-amz-storage-class"), "STANDARD_IA");
  EXPECT_FALSE(header(put, "Content-MD5").empty());
  EXPECT_FALSE(acks_.resolved(1));
  transport_->respond(200);
  ASSERT_TRUE(acks_.resolved(1));
  EXPECT_EQ(acks_.status(1), AckStatus::kDelivered);
  EXPECT_EQ(context_->metric("logship_output_s3_objects_total", {{"result", "stored"}}), 1);
}

TEST_F(S3OutputTest, ObjectsRollBySizeAndAgeAndSplitByPrefix) {
  start("key_prefix: \"{tier}/\", max_object_bytes: 1KiB, max_object_age: 5ms, compression: none, "
        "concurrency: 16");
  send(1, 0, 40, 100);  // ~4 KiB of audit: several objects
  send(2, 1, 2, 10);    // a little app: waits for its age
  const size_t by_size = transport_->pending.size();
  EXPECT_GE(by_size, 3u);
  for (size_t i = 0; i < by_size; ++i) EXPECT_TRUE(request(i).target.starts_with("/logs/audit/"));
  runTimers();
  // Age seals the rest of the audit events and the app object.
  ASSERT_EQ(transport_->pending.size(), by_size + 2);
  size_t audit = 0;
  size_t app = 0;
  for (size_t i = 0; i < transport_->pending.size(); ++i) {
    (request(i).target.starts_with("/logs/app/") ? app : audit) += 1;
  }
  EXPECT_EQ(app, 1u);
  // The audit batch is done only when all of its objects are.
  while (!transport_->pending.empty()) {
    const bool is_app = request().target.starts_with("/logs/app/");
    transport_->respond(200);
    if (!is_app) EXPECT_EQ(acks_.resolved(1), --audit == 0);
  }
  EXPECT_EQ(acks_.status(1), AckStatus::kDelivered);
  EXPECT_EQ(acks_.status(2), AckStatus::kDelivered);
}

TEST_F(S3OutputTest, ThrottlingIsRetriedAndRefusalIsDeadLettered) {
  start("compression: none");
  send(1, 1);
  out_->flush();
  transport_->respond(503, "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>");
  EXPECT_FALSE(acks_.resolved(1));
  runTimers();
  ASSERT_EQ(transport_->pending.size(), 1u);
  transport_->respond(200);
  EXPECT_EQ(acks_.status(1), AckStatus::kDelivered);
  EXPECT_EQ(context_->metric("logship_output_s3_retries_total", {}), 1);

  send(2, 1);
  out_->flush();
  transport_->respond(403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
  ASSERT_TRUE(acks_.resolved(2));
  EXPECT_EQ(acks_.status(2), AckStatus::kRejected);
  const std::string dead = testing::readFile(global_.data_dir + "/dead_letter/out.ndjson");
  EXPECT_EQ(std::count(dead.begin(), dead.end(), '\n'), 3);
  EXPECT_NE(dead.find("AccessDenied"), std::string::npos);
  EXPECT_NE(out_->lastError().find("403 AccessDenied: Access Denied"), std::string::npos);
}

TEST_F(S3OutputTest, LargeObjectsGoUpInParts) {
  start("compression: none, part_bytes: 5MiB, max_object_bytes: 20MB, object_lock: {mode: GOVERNANCE, retention: 1d}");
  send(1, 1, 6000, 1000);  // ~6 MB: two parts
  out_->flush();
  ASSERT_EQ(transport_->pending.size(), 1u);
  EXPECT_EQ(request().method, "POST");
  EXPECT_NE(request().target.find("?uploads"), std::string::npos) << request().target;
  EXPECT_EQ(header(request(), "x-amz-object-lock-mode"), "GOVERNANCE");
  transport_->respond(200, "<InitiateMultipartUploadResult><UploadId>u/1+</UploadId></InitiateMultipartUploadResult>");
  ASSERT_EQ(transport_->pending.size(), 1u);
  EXPECT_NE(request().target.find("?partNumber=1&uploadId=u%2F1%2B"), std::string::npos);
  EXPECT_EQ(request().body.size(), 5u << 20);
  EXPECT_FALSE(header(request(), "Content-MD5").empty());  // a locked object's parts carry it
  transport_->respond(200, "", "", "\"e1\"");
  EXPECT_NE(request().target.find("?partNumber=2&uploadId=u%2F1%2B"), std::string::npos);
  EXPECT_GT(request().body.size(), 0u);  // the rest, under a part
  EXPECT_LT(request().body.size(), 5u << 20);
  transport_->respond(200, "", "", "\"e2\"");
  ASSERT_EQ(transport_->pending.size(), 1u);
  EXPECT_EQ(request().method, "POST");
  EXPECT_NE(request().body.find("<ETag>\"e1\"</ETag><PartNumber>1</PartNumber>"), std::string::npos);
  EXPECT_NE(request().body.find("<ETag>\"e2\"</ETag><PartNumber>2</PartNumber>"), std::string::npos);
  // A 200 whose body is an error (S3 answers a long completion so) is retried.
  transport_->respond(200, "<Error><Code>InternalError</Code></Error>");
  EXPECT_FALSE(acks_.resolved(1));
  runTimers();
  transport_->respond(200, "<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>");
  EXPECT_EQ(acks_.status(1), AckStatus::kDelivered);
}

TEST_F(S3OutputTest, StopLeavesWhatIsNotStoredToBeReadAgain) {
  start("compression: none");
  send(1, 1);
  send(2, 1);
  out_->flush();
  out_->stop();
  EXPECT_EQ(acks_.status(1), AckStatus::kErrored);
  EXPECT_EQ(acks_.status(2), AckStatus::kErrored);
}

TEST(S3ConfigTest, MistakesAreReportedWhereTheyAre) {
  auto errors = [](const std::string& options) {
    Diagnostics diag;
    testing::buildOutput<S3Output>("s3", options, testing::globalWithTiers("/tmp"), diag);
    return diag.errors();
  };
  EXPECT_EQ(errors("{bucket: \"s3://logs\", access_key_id: AK, secret_access_key: SK}"),
            std::vector<std::string>{
                "p.yaml:1:10: bucket takes a bucket name (no s3:// and no slash)"});
  EXPECT_EQ(errors("{bucket: logs, access_key_id: AK, secret_access_key: SK, part_bytes: 1MiB}"),
            std::vector<std::string>{"p.yaml:1:70: part_bytes must be at least 5MiB"});
}

}  // namespace
}  // namespace logship
