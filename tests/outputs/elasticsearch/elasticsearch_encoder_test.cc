#include "outputs/elasticsearch/elasticsearch_encoder.h"

#include <gtest/gtest.h>

#include "outputs/elasticsearch/elasticsearch_service.h"
#include "tests/outputs/common/http_test_support.h"

namespace logship {
namespace {

using namespace std::chrono_literals;
using testing::makeBatch;

class ElasticsearchEncoderTest : public ::testing::Test {
 protected:
  ElasticsearchEncoder make(const std::string& index, bool create) {
    OutputTemplate t;
    std::string error;
    EXPECT_TRUE(t.compile(index, true, &error)) << error;
    t.setTierNames({"audit", "app"});
    return ElasticsearchEncoder(global_, std::move(t), create);
  }
  std::string id(const Batch& b, const Event& e) {
    char out[32];
    elasticsearchDocumentId(b, e, out);
    return std::string(out, 32);
  }
  GlobalConfig global_ = testing::globalWithTiers("/tmp");
};

TEST_F(ElasticsearchEncoderTest, WritesActionAndDocumentLinesByteExactly) {
  // 2026-11-22T03:57:28.5Z
  auto b = makeBatch({"Accepted publickey for bob"}, AckToken(), "/var/log/auth.log",
                     1795319848'500000000, 4096);
  Event& e = b->events()[0];
  e.tier = 1;
  e.severity = Severity::kInfo;
  b->addField(e, "user.name", FieldValue::string("bob"));
  auto encoder = make("logs-{tier}-%Y.%m.%d", false);
  std::string out;
  encoder.encodeEvent(*b, e, out);
  std::string expected_id = id(*b, e);
  EXPECT_EQ(
      out,
      "{\"index\":{\"_index\":\"logs-app-2026.11.22\",\"_id\":\"" + expected_id +
          "\"}}\n"
          "{\"@timestamp\":\"2026-11-22T03:57:28.500000000Z\",\"host\":{\"name\":\"web-1\"},"
          "\"log\":{\"file\":{\"path\":\"/var/log/auth.log\"},\"level\":\"info\",\"offset\":4096},"
          "\"message\":\"Accepted publickey for bob\",\"tier\":\"app\",\"user\":{\"name\":\"bob\"}}"
          "\n");
  std::string created;
  make("logs-{tier}", true).encodeEvent(*b, e, created);
  EXPECT_TRUE(created.starts_with("{\"create\":{\"_index\":\"logs-app\",\"_id\":\"" + expected_id +
                                  "\"}}\n"));
}

TEST_F(ElasticsearchEncoderTest, IdsAreStableAndDependOnPathOffsetAndMessage) {
  auto a = makeBatch({"same line", "same line"}, AckToken(), "/var/log/a.log");
  auto again = makeBatch({"same line", "same line"}, AckToken(), "/var/log/a.log");
  auto other = makeBatch({"same line"}, AckToken(), "/var/log/b.log");
  std::string first = id(*a, a->events()[0]);
  EXPECT_EQ(first.size(), 32u);
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(first, id(*again, again->events()[0]));  // a re-read gets the same id
  EXPECT_NE(first, id(*a, a->events()[1]));          // same text, other offset
  EXPECT_NE(first, id(*other, other->events()[0]));  // same text and offset, other file
  a->events()[1].offset = a->events()[0].offset;
  EXPECT_EQ(first, id(*a, a->events()[1]));
  a->events()[1].message = "same linf";
  EXPECT_NE(first, id(*a, a->events()[1]));
}

TEST_F(ElasticsearchEncoderTest, IndexNamesAreCleaned) {
  std::string name = "pre:";
  size_t from = name.size();
  name += "_Logs-App/X*Y?\"Z";
  cleanIndexName(name, from);
  EXPECT_EQ(name, "pre:logs-app_x_y__z");
  std::string empty;
  cleanIndexName(empty, 0);
  EXPECT_EQ(empty, "logship");
}

HttpResponse bulk(std::string body, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(ElasticsearchClassifyTest, PerItemStatusesDecideRetryRejectAndDuplicates) {
  Verdict ok = classifyBulkResponse(bulk(R"({"errors":false,"items":[{"create":{"status":201}}]})"),
                                    1, true);
  EXPECT_EQ(ok.kind, Verdict::Kind::kSuccess);
  Verdict v = classifyBulkResponse(bulk(R"({"errors":true,"items":[
        {"create":{"status":201}},
        {"create":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}},
        {"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}},
        {"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [x]"}}},
        {"create":{"status":503,"error":{"type":"unavailable_shards_exception","reason":"x"}}}]})"),
                                   5, true);
  ASSERT_EQ(v.kind, Verdict::Kind::kPartial);
  EXPECT_EQ(v.retry, (std::vector<uint32_t>{1, 4}));
  ASSERT_EQ(v.rejected.size(), 1u);
  EXPECT_EQ(v.rejected[0].index, 3u);
  EXPECT_EQ(v.rejected[0].status, 400);
  EXPECT_EQ(v.rejected[0].reason, "mapper_parsing_exception");
  EXPECT_EQ(v.rejected[0].detail, "failed to parse field [x]");

  // With `index` actions a 409 is a real conflict.
  Verdict indexed = classifyBulkResponse(
      bulk(
          R"({"errors":true,"items":[{"index":{"status":409,"error":{"type":"version_conflict_engine_exception"}}}]})"),
      1, false);
  ASSERT_EQ(indexed.kind, Verdict::Kind::kPartial);
  EXPECT_EQ(indexed.rejected.size(), 1u);
  // Only duplicates: nothing left to do.
  EXPECT_EQ(
      classifyBulkResponse(bulk(R"({"errors":true,"items":[{"create":{"status":409}}]})"), 1, true)
          .kind,
      Verdict::Kind::kSuccess);
}

TEST(ElasticsearchClassifyTest, WholeRequestStatusesAndBrokenBodies) {
  EXPECT_EQ(classifyBulkResponse(bulk("", 413), 4, true).kind, Verdict::Kind::kSplit);
  EXPECT_EQ(classifyBulkResponse(bulk("", 429), 4, true).kind, Verdict::Kind::kRetry);
  EXPECT_EQ(classifyBulkResponse(bulk("", 502), 4, true).kind, Verdict::Kind::kRetry);
  Verdict auth = classifyBulkResponse(bulk("", 401), 4, true);
  EXPECT_EQ(auth.kind, Verdict::Kind::kRetry);
  EXPECT_TRUE(auth.unhealthy);
  EXPECT_EQ(classifyBulkResponse(bulk("", 400), 4, true).kind, Verdict::Kind::kReject);
  // Not JSON, or items that do not line up with the request: send again (ids keep it safe).
  EXPECT_EQ(classifyBulkResponse(bulk("<html>"), 1, true).kind, Verdict::Kind::kRetry);
  EXPECT_EQ(classifyBulkResponse(bulk(R"({"errors":true,"items":[]})"), 2, true).kind,
            Verdict::Kind::kRetry);
}

TEST(ElasticsearchOutputTest, SendsBulkRequestsAndRetriesOnlyFailedItems) {
  std::string dir = testing::tempDir("es-output");
  GlobalConfig global = testing::globalWithTiers(dir);
  testing::TestContext context(global);
  Diagnostics diag;
  auto [out, t, clock] = testing::startScripted<ElasticsearchOutput>(
      "elasticsearch",
      "type: elasticsearch\nendpoint: http://127.0.0.1:9200\nmode: data_stream\n"
      "index: logs-{tier}\nbatch: {timeout: 10ms}\nretry: {initial_backoff: 1s}\n",
      context, diag, [] { return 0.5; });
  ASSERT_NE(out, nullptr) << diag.errors()[0];
  testing::AckRecorder acks;
  out->consume(makeBatch({"a", "b", "c"}, AckToken()), acks.token(1));
  clock->advance(10ms);
  ASSERT_EQ(t->pending.size(), 1u);
  const HttpRequest& r = *t->pending[0].request;
  EXPECT_EQ(r.target, "/_bulk?filter_path=errors,items.*.error,items.*.status");
  EXPECT_EQ(testing::header(r, "Content-Type"), "application/x-ndjson");
  EXPECT_EQ(testing::header(r, "Content-Encoding"), "gzip");  // on by default
  std::string plain;
  ASSERT_TRUE(gunzip(r.body, plain));
  EXPECT_EQ(std::count(plain.begin(), plain.end(), '\n'), 6);
  t->respond(200, R"({"errors":true,"items":[{"create":{"status":201}},)"
                  R"({"create":{"status":429}},{"create":{"status":400,"error":{"type":"x"}}}]})");
  clock->advance(499ms);
  EXPECT_TRUE(t->pending.empty());
  clock->advance(1ms);
  ASSERT_EQ(t->pending.size(), 1u);
  plain.clear();
  ASSERT_TRUE(gunzip(t->pending[0].request->body, plain));
  EXPECT_NE(plain.find("\"message\":\"b\""), std::string::npos);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), '\n'), 2);
  t->respond(200, R"({"errors":false})");
  ASSERT_TRUE(acks.resolved(1));
  EXPECT_EQ(acks.status(1), AckStatus::kRejected);
  EXPECT_NE(testing::readFile(dir + "/dead_letter/out.ndjson").find("\"message\":\"c\""),
            std::string::npos);
  out->stop();
}

}  // namespace
}  // namespace logship
