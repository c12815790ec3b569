#include "pipelines/correlate/correlate.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

using testing::addString;
using testing::CapturingEmitter;
using testing::makeBatch;

TEST(TraceparentTest, FindsTheTraceIdAndRejectsLookAlikes) {
  EXPECT_EQ(correlation::findTraceparent(
                "GET /x traceparent=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 200"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(correlation::findTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  // Invalid: all-zero trace id, version ff, wrong lengths, part of a longer hex run.
  EXPECT_EQ(correlation::findTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            "");
  EXPECT_EQ(correlation::findTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "");
  EXPECT_EQ(correlation::findTraceparent("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"),
            "");
  EXPECT_EQ(
      correlation::findTraceparent("a00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), "");
  EXPECT_EQ(
      correlation::findTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01f"), "");
  EXPECT_EQ(correlation::findTraceparent("2024-01-01 12:00:00 - - - nothing here at all, no trace"),
            "");
  EXPECT_EQ(correlation::findTraceparent(""), "");
}

TEST(UuidV7Test, LayoutAndTimeOrder) {
  char a[36];
  char b[36];
  correlation::formatUuidV7(testing::kT0, 0xffffffffffffffffull, 0xffffffffffffffffull, a);
  correlation::formatUuidV7(testing::kT0 + 1'000'000, 0, 0, b);
  std::string sa(a, 36);
  std::string sb(b, 36);
  EXPECT_EQ(sa.substr(0, 14), "018bcfe5-6800-");  // 1700000000000 ms
  EXPECT_EQ(sa[14], '7');
  EXPECT_EQ(sa[8], '-');
  EXPECT_EQ(sa[23], '-');
  EXPECT_TRUE(sa[19] == '8' || sa[19] == '9' || sa[19] == 'a' || sa[19] == 'b') << sa;
  EXPECT_EQ(sb[19], '8');
  EXPECT_LT(sa, sb);  // one millisecond later sorts later whatever the random bits
}

class CorrelateTest : public testing::TransformTest {
 protected:
  // One event per line with the fields parse_auth gives sshd and PAM lines.
  static void process(Batch& b, size_t i, std::string_view name, int64_t pid) {
    addString(b, i, "process.name", name);
    b.addField(b.events()[i], "process.pid", FieldValue::integer(pid));
  }
};

TEST_F(CorrelateTest, OneIdForEveryLineOfAnSshLogin) {
  auto t = build("correlate", "{type: correlate}");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({
      "sshd[4242]: Connection from 203.0.113.9 port 50022 on 10.0.0.1 port 22",
      "sshd[4242]: Invalid user admin from 203.0.113.9 port 50022",
      "sshd(pam_unix)[4242]: check pass; user unknown",
      "sshd(pam_unix)[4242]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh "
      "ruser= rhost=203.0.113.9",
      "sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 50022 ssh2",
      "sshd[4242]: Accepted password for deploy from 203.0.113.9 port 50022 ssh2",
      "sshd[4242]: pam_unix(sshd:session): session opened for user deploy by (uid=0)",
      "sshd[4242]: Received disconnect from 203.0.113.9 port 50022:11: disconnected by user",
      "sshd[4242]: pam_unix(sshd:session): session closed for user deploy",
      "sshd[4243]: Failed password for root from 198.51.100.2 port 40000 ssh2",  // another login
      "CRON[99]: pam_unix(cron:session): session opened for user root",          // not sshd
  });
  b.addSharedString("host.name", "web-1");
  for (size_t i = 0; i < 9; ++i) {
    process(b, i, b.events()[i].message.starts_with("sshd(pam_unix)") ? "sshd(pam_unix)" : "sshd",
            4242);
  }
  process(b, 9, "sshd", 4243);
  process(b, 10, "CRON", 99);
  CapturingEmitter out;
  t->process(b, out);
  auto& e = out.batches[0]->events();
  std::string session(e[0].correlation_id);
  EXPECT_TRUE(session.starts_with("ssh-")) << session;
  EXPECT_EQ(session.size(), 4u + 16u);
  for (size_t i = 1; i < 9; ++i) EXPECT_EQ(e[i].correlation_id, session) << e[i].message;
  EXPECT_NE(e[9].correlation_id, session);
  EXPECT_TRUE(e[9].correlation_id.starts_with("ssh-"));
  EXPECT_EQ(e[10].correlation_id.size(), 36u);  // a UUIDv7
  EXPECT_EQ(e[10].correlation_id[14], '7');

  // Another instance (a restart, another agent) gives the same session id; another host does not.
  auto again = build("correlate", "{type: correlate}");
  Batch b2 = makeBatch({"sshd[4242]: Connection closed", "sshd[4242]: Connection closed"});
  addString(b2, 0, "host.name", "web-1");
  addString(b2, 1, "host.name", "web-2");
  process(b2, 0, "sshd", 4242);
  process(b2, 1, "sshd", 4242);
  CapturingEmitter out2;
  again->process(b2, out2);
  EXPECT_EQ(out2.batches[0]->events()[0].correlation_id, session);
  EXPECT_NE(out2.batches[0]->events()[1].correlation_id, session);
}

TEST_F(CorrelateTest, IdsFromFieldsTraceparentAndPatterns) {
  auto t = build("correlate", R"(
type: correlate
patterns: ['job=(\w+)', 'req#(\d+)']
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({
      "field traceparent",
      "request id field",
      "GET / 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "worker job=resize42 started",
      "handled req#1234",
      "already has one",
      "id field wins over message 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "numeric id",
  });
  addString(b, 0, "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  addString(b, 1, "X-Request-ID", "f81d4fae-7dec");
  b.events()[5].correlation_id = "keep-me";
  addString(b, 6, "trace.id", "abc123");
  b.addField(b.events()[7], "request_id", FieldValue::integer(777));
  CapturingEmitter out;
  t->process(b, out);
  auto& e = out.batches[0]->events();
  EXPECT_EQ(e[0].correlation_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(e[1].correlation_id, "f81d4fae-7dec");
  EXPECT_EQ(e[2].correlation_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(e[3].correlation_id, "resize42");
  EXPECT_EQ(e[4].correlation_id, "1234");
  EXPECT_EQ(e[5].correlation_id, "keep-me");
  EXPECT_EQ(e[6].correlation_id, "abc123");
  EXPECT_EQ(e[7].correlation_id, "777");
}

TEST(TraceparentTest, GivesTheParentIdAsTheSpan) {
  auto context =
      correlation::findTraceContext("x 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 y");
  EXPECT_EQ(context.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(context.span_id, "00f067aa0ba902b7");
  EXPECT_TRUE(correlation::findTraceContext("no trace here").span_id.empty());
}

TEST_F(CorrelateTest, KeepsTraceAndSpanIds) {
  auto t = build("correlate", "{type: correlate}");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({
      "span fields",
      "traceparent field",
      "GET / 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "has its own",
      "not ids",
      "other trace 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "already correlated 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  });
  addString(b, 0, "traceId", "0AF7651916CD43DD8448EB211C80319C");
  addString(b, 0, "spanId", "B7AD6B7169203331");
  addString(b, 1, "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  addString(b, 3, "trace.id", "mine");
  addString(b, 3, "span.id", "also-mine");
  addString(b, 4, "trace_id", "0af7651916cd43dd8448eb211c80319");   // 31 digits
  addString(b, 4, "span_id", "0000000000000000");                   // all zero
  addString(b, 5, "trace_id", "0af7651916cd43dd8448eb211c80319c");  // not the traceparent's
  b.events()[6].correlation_id = "keep-me";
  CapturingEmitter out;
  t->process(b, out);
  const Batch& r = *out.batches[0];
  auto text = [&](size_t i, std::string_view key) -> std::string {
    const Field* f = r.findField(r.events()[i], key);
    return f ? std::string(f->value.string_value) : "<none>";
  };
  EXPECT_EQ(text(0, "trace.id"), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(text(0, "span.id"), "b7ad6b7169203331");
  EXPECT_EQ(text(1, "trace.id"), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(text(1, "span.id"), "b7ad6b7169203331");
  EXPECT_EQ(r.events()[1].correlation_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(text(2, "trace.id"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(text(2, "span.id"), "00f067aa0ba902b7");
  EXPECT_EQ(text(3, "trace.id"), "mine");
  EXPECT_EQ(text(3, "span.id"), "also-mine");
  EXPECT_EQ(text(4, "trace.id"), "<none>");
  EXPECT_EQ(text(4, "span.id"), "<none>");
  // A span id is only taken from a traceparent of the same trace.
  EXPECT_EQ(text(5, "trace.id"), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(text(5, "span.id"), "<none>");
  EXPECT_EQ(r.events()[6].correlation_id, "keep-me");
  EXPECT_EQ(text(6, "trace.id"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(text(6, "span.id"), "00f067aa0ba902b7");

  auto off = build("correlate", "{type: correlate, traceparent: false}");
  Batch b2 = makeBatch({"GET / 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"});
  CapturingEmitter out2;
  off->process(b2, out2);
  EXPECT_EQ(out2.batches[0]->findField(out2.batches[0]->events()[0], "span.id"), nullptr);
}

TEST_F(CorrelateTest, GeneratedIdsAreUniqueAndCanBeTurnedOff) {
  auto t = build("correlate", "{type: correlate}");
  std::vector<std::string> lines(1000, "plain line");
  Batch b = makeBatch(lines);
  CapturingEmitter out;
  t->process(b, out);
  std::set<std::string_view> ids;
  for (auto& e : out.batches[0]->events()) ids.insert(e.correlation_id);
  EXPECT_EQ(ids.size(), 1000u);

  auto off = build("correlate", "{type: correlate, generate: false}");
  Batch b2 = makeBatch({"plain line"});
  CapturingEmitter out2;
  off->process(b2, out2);
  EXPECT_TRUE(out2.batches[0]->events()[0].correlation_id.empty());
}

TEST_F(CorrelateTest, PatternErrors) {
  EXPECT_EQ(build("correlate", "type: correlate\npatterns:\n  - 'id=\\w+'\n"), nullptr);
  EXPECT_EQ(firstError(),
            "t.yaml:3:5: pattern 'id=\\w+' must have exactly one capture group (the id), it has 0");
  EXPECT_EQ(build("correlate", "type: correlate\npatterns: ['(a', '(b)']\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:2:12: invalid regular expression '(a': missing ): (a");
}

}  // namespace
}  // namespace logship
