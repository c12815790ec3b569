#include <gtest/gtest.h>
#include <simdjson.h>

#include "outputs/common/compression.h"
#include "outputs/webhook/webhook_service.h"
#include "agent/support/timestamp.h"
#include "tests/outputs/common/http_test_support.h"

namespace logship {
namespace {

using namespace std::chrono_literals;
using testing::makeBatch;

// An alert as the detect transform emits it.
std::shared_ptr<Batch> alertBatch(const std::string& ip, Severity severity, bool end,
                                  AckToken ack = AckToken(),
                                  std::string_view start = "2026-11-22T03:57:28.000Z") {
  auto b = makeBatch({"ssh brute force: 12 events from source.ip=" + ip + " in 60s"},
                     std::move(ack), "");
  Event& e = b->events()[0];
  e.flags = Event::kAlert;
  e.severity = severity;
  auto str = [&](std::string_view k, std::string_view v) {
    b->addField(e, b->arena().copy(k), FieldValue::string(b->arena().copy(v)));
  };
  str("event.kind", "alert");
  str("event.type", end ? "end" : "start");
  str("rule.name", "ssh_brute_force");
  str("source.ip", ip);
  b->addField(e, "event.count", FieldValue::integer(12));
  str("alert.window", "60s");
  str("event.start", start);
  str("alert.sample.1", "Failed password for root from " + ip);
  return b;
}

TEST(WebhookEncoderTest, AlertLabelsAnnotationsAndFingerprint) {
  auto b = alertBatch("10.0.0.7", Severity::kCritical, false);
  AlertInfo a;
  ASSERT_TRUE(alertFromEvent(*b, b->events()[0], &a));
  EXPECT_EQ(
      a.labels,
      (std::vector<std::pair<std::string, std::string>>{
          {"alertname", "ssh_brute_force"}, {"severity", "critical"}, {"source_ip", "10.0.0.7"}}));
  std::string out;
  appendAlertmanagerAlert(a, "2026-11-22T04:01:28.000Z", "http://x/r", out);
  EXPECT_EQ(out,
            "{\"labels\":{\"alertname\":\"ssh_brute_force\",\"severity\":\"critical\","
            "\"source_ip\":\"10.0.0.7\"},\"annotations\":{\"description\":\"12 matching events "
            "within 60s (rule ssh_brute_force)\",\"samples\":\"Failed password for root from "
            "10.0.0.7\",\"summary\":\"ssh brute force: 12 events from source.ip=10.0.0.7 in "
            "60s\"},\"startsAt\":\"2026-11-22T03:57:28.000Z\",\"endsAt\":\"2026-11-22T04:01:28."
            "000Z\",\"generatorURL\":\"http://x/r\"}");
  AlertInfo same, other;
  auto again = alertBatch("10.0.0.7", Severity::kCritical, true);
  auto different = alertBatch("10.0.0.8", Severity::kCritical, false);
  ASSERT_TRUE(alertFromEvent(*again, again->events()[0], &same));
  ASSERT_TRUE(alertFromEvent(*different, different->events()[0], &other));
  EXPECT_EQ(same.fingerprint, a.fingerprint);  // the end pairs with its start
  EXPECT_TRUE(same.resolved);
  EXPECT_NE(other.fingerprint, a.fingerprint);
  auto plain = makeBatch({"not an alert"}, AckToken());
  EXPECT_FALSE(alertFromEvent(*plain, plain->events()[0], &a));
}

TEST(WebhookEncoderTest, TheRulesLabelsAndAnnotationsAreCarried) {
  auto b = alertBatch("10.0.0.7", Severity::kCritical, false);
  Event& e = b->events()[0];
  auto str = [&](std::string_view k, std::string_view v) {
    b->addField(e, b->arena().copy(k), FieldValue::string(b->arena().copy(v)));
  };
  str("alert.labels.team", "security");
  str("alert.labels.mitre.technique", "T1110");
  str("alert.labels.alertname", "cannot rename the rule");
  str("alert.annotations.runbook_url", "https://runbooks.example/ssh");
  str("alert.annotations.summary", "brute force on the bastion");
  str("alert.sample.2", "second sample");
  AlertInfo a;
  ASSERT_TRUE(alertFromEvent(*b, e, &a));
  EXPECT_EQ(a.labels, (std::vector<std::pair<std::string, std::string>>{
                          {"alertname", "ssh_brute_force"},
                          {"mitre_technique", "T1110"},
                          {"severity", "critical"},
                          {"source_ip", "10.0.0.7"},
                          {"team", "security"}}));
  EXPECT_EQ(a.annotations,
            (std::vector<std::pair<std::string, std::string>>{
                {"description", "12 matching events within 60s (rule ssh_brute_force)"},
                {"runbook_url", "https://runbooks.example/ssh"},
                {"samples", "Failed password for root from 10.0.0.7\nsecond sample"},
                {"summary", "brute force on the bastion"}}));
}

TEST(WebhookEncoderTest, LabelNamesAreSanitisedAndTemplatesStayJson) {
  EXPECT_EQ(sanitizeLabelName("source.ip"), "source_ip");
  EXPECT_EQ(sanitizeLabelName("9-lives"), "_9_lives");
  auto b = alertBatch("10.0.0.7", Severity::kHigh, false);
  std::string out;
  renderJsonTemplate(R"({"text": "{rule.name}: {message} \"{missing}\" {not a field}"})", *b,
                     b->events()[0], out);
  EXPECT_EQ(out, R"({"text": "ssh_brute_force: ssh brute force: 12 events from )"
                 R"(source.ip=10.0.0.7 in 60s \"\" {not a field}"})");
}

class WebhookOutputTest : public ::testing::Test {
 protected:
  void start(const std::string& yaml) {
    Diagnostics diag;
    out_ = testing::buildOutput<WebhookOutput>("webhook", yaml, global_, diag);
    ASSERT_NE(out_, nullptr) << diag.errors()[0];
    auto transport = std::make_unique<testing::ScriptedTransport>();
    t_ = transport.get();
    auto scheduler = std::make_unique<ManualScheduler>();
    clock_ = scheduler.get();
    out_->startWith(context_, std::move(transport), std::move(scheduler), [] { return 0.5; });
  }
  simdjson::dom::element parse(const std::string& body) {
    simdjson::dom::element doc;
    EXPECT_FALSE(parser_.parse(body).get(doc)) << body;
    return doc;
  }
  GlobalConfig global_ = testing::globalWithTiers(testing::tempDir("webhook"));
  testing::TestContext context_{global_};
  std::unique_ptr<WebhookOutput> out_;
  testing::ScriptedTransport* t_ = nullptr;
  ManualScheduler* clock_ = nullptr;
  testing::AckRecorder acks_;
  simdjson::dom::parser parser_;
};

TEST_F(WebhookOutputTest, FiresResendsDedupesFiltersAndResolves) {
  start(
      "type: webhook\nendpoint: http://127.0.0.1:9093/api/v2/alerts\nresend_interval: 60s\n"
      "min_interval: 10s\nmin_severity: high\n");
  out_->consume(alertBatch("10.0.0.7", Severity::kCritical, false), acks_.token(1));
  EXPECT_TRUE(t_->pending.empty());  // batched for batch.timeout (1s)
  clock_->advance(1s);
  ASSERT_EQ(t_->pending.size(), 1u);
  EXPECT_FALSE(acks_.resolved(1));
  auto doc = parse(t_->pending[0].request->body);
  simdjson::dom::array alerts = doc;
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(std::string_view(doc.at(0)["labels"]["source_ip"]), "10.0.0.7");
  EXPECT_EQ(testing::header(*t_->pending[0].request, "Content-Type"), "application/json");
  t_->respond(200);
  EXPECT_EQ(acks_.status(1), AckStatus::kDelivered);

  // The same alert again within min_interval: nothing new to say.
  out_->consume(alertBatch("10.0.0.7", Severity::kCritical, false), acks_.token(2));
  EXPECT_TRUE(t_->pending.empty());
  EXPECT_EQ(acks_.status(2), AckStatus::kDelivered);
  // Below min_severity: dropped and counted.
  out_->consume(alertBatch("10.0.0.9", Severity::kMedium, false), acks_.token(3));
  EXPECT_TRUE(t_->pending.empty());
  EXPECT_EQ(context_.metrics_.discarded_events["below_min_severity"], 1u);

  // Re-sent every resend_interval while active, retried until accepted.
  clock_->advance(60s);  // the re-send, then its batch.timeout
  ASSERT_EQ(t_->pending.size(), 1u);
  t_->respond(503);
  EXPECT_FALSE(out_->healthy());
  clock_->advance(250ms);
  ASSERT_EQ(t_->pending.size(), 1u);
  t_->respond(200);
  EXPECT_TRUE(out_->healthy());

  // The end: endsAt in the past, and no more re-sends.
  out_->consume(alertBatch("10.0.0.7", Severity::kCritical, true), acks_.token(4));
  clock_->advance(1s);
  ASSERT_EQ(t_->pending.size(), 1u);
  auto end = parse(t_->pending[0].request->body);
  std::string_view ends_at = end.at(0)["endsAt"];
  char now[40];
  std::string_view now_text(
      now, timestamp::formatRfc3339Millis(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count(),
                                          now));
  EXPECT_LE(ends_at, now_text);
  t_->respond(200);
  EXPECT_EQ(out_->activeAlerts(), 0u);
  clock_->advance(120s);
  EXPECT_TRUE(t_->pending.empty());
  out_->stop();
}

TEST_F(WebhookOutputTest, JsonTemplateSendsOneBodyPerAlertAndDeadLettersRefusals) {
  start(
      "type: webhook\nendpoint: http://127.0.0.1:1/hook\nformat: json\n"
      "template: '{\"text\": \"{rule.name} {source.ip}\"}'\n");
  auto b = alertBatch("10.0.0.7", Severity::kCritical, false);
  out_->consume(b, acks_.token(1));
  clock_->advance(1s);
  ASSERT_EQ(t_->pending.size(), 1u);
  EXPECT_EQ(t_->pending[0].request->body, R"({"text": "ssh_brute_force 10.0.0.7"})");
  t_->respond(400, "bad payload");
  EXPECT_EQ(acks_.status(1), AckStatus::kRejected);
  std::string dead = testing::readFile(global_.data_dir + "/dead_letter/out.ndjson");
  EXPECT_NE(dead.find("\"code\":400"), std::string::npos);
  EXPECT_NE(dead.find("bad payload"), std::string::npos);
  out_->stop();
}

std::string nowRfc3339(std::chrono::system_clock::duration shift = {}) {
  char buf[40];
  return std::string(buf, timestamp::formatRfc3339Millis(
                              std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  (std::chrono::system_clock::now() + shift).time_since_epoch())
                                  .count(),
                              buf));
}

TEST_F(WebhookOutputTest, AlertsOfFutureAndBackfilledLogsAreDeliverable) {
  start("type: webhook\nendpoint: http://127.0.0.1:9093/api/v2/alerts\n");
  // A replayed log dated three days ahead of this clock, and one from weeks ago.
  const std::string future = nowRfc3339(72h);
  out_->consume(alertBatch("10.0.0.1", Severity::kCritical, false, acks_.token(1), future),
                acks_.token(2));
  out_->consume(
      alertBatch("10.0.0.2", Severity::kCritical, false, AckToken(), "2026-10-01T00:00:00.000Z"),
      acks_.token(3));
  out_->consume(alertBatch("10.0.0.3", Severity::kCritical, true, AckToken(), future),
                acks_.token(4));
  const std::string before = nowRfc3339();
  clock_->advance(1s);
  ASSERT_EQ(t_->pending.size(), 1u);
  const std::string after = nowRfc3339();
  auto doc = parse(t_->pending[0].request->body);
  simdjson::dom::array alerts = doc;
  ASSERT_EQ(alerts.size(), 3u);
  for (simdjson::dom::element a : alerts) {
    std::string_view starts = a["startsAt"], ends = a["endsAt"];
    EXPECT_LE(starts, after) << "startsAt after the moment it was sent";
    EXPECT_LT(starts, ends) << "endsAt must follow startsAt";
  }
  EXPECT_GE(std::string_view(doc.at(0)["startsAt"]), before);  // clamped to now
  EXPECT_EQ(std::string_view(doc.at(0)["annotations"]["event_start"]), future);
  EXPECT_EQ(std::string_view(doc.at(1)["startsAt"]), "2026-10-01T00:00:00.000Z");
  EXPECT_TRUE(doc.at(1)["annotations"]["event_start"].error());  // nothing to say
  t_->respond(200);
  EXPECT_EQ(acks_.status(2), AckStatus::kDelivered);
  EXPECT_EQ(acks_.status(4), AckStatus::kDelivered);
  out_->stop();
}

TEST_F(WebhookOutputTest, CompressionConcurrencyBatchAndMaxAttemptsAreHonoured) {
  start(
      "type: webhook\nendpoint: http://127.0.0.1:9093/api/v2/alerts\ncompression: gzip\n"
      "concurrency: 2\nbatch: {max_events: 1, timeout: 5s}\n"
      "retry: {initial_backoff: 1s, max_backoff: 1s, max_attempts: 2}\n");
  out_->consume(alertBatch("10.0.0.1", Severity::kCritical, false), acks_.token(1));
  out_->consume(alertBatch("10.0.0.2", Severity::kCritical, false), acks_.token(2));
  out_->consume(alertBatch("10.0.0.3", Severity::kCritical, false), acks_.token(3));
  // max_events: 1 sends without waiting for the timeout; concurrency: 2 sends two at once.
  ASSERT_EQ(t_->pending.size(), 2u);
  EXPECT_EQ(testing::header(*t_->pending[0].request, "Content-Encoding"), "gzip");
  std::string body;
  ASSERT_TRUE(gunzip(t_->pending[0].request->body, body));
  EXPECT_EQ(std::string_view(parse(body).at(0)["labels"]["source_ip"]), "10.0.0.1");
  t_->respond(200);
  ASSERT_EQ(t_->pending.size(), 2u);  // the third took the freed slot
  // Two attempts, then the alert stays unacknowledged (read again after a restart).
  t_->respond(503);
  clock_->advance(1s);
  ASSERT_EQ(t_->pending.size(), 2u);
  t_->respond(200);  // the third alert
  t_->respond(503);  // the second alert's second attempt
  EXPECT_EQ(acks_.status(1), AckStatus::kDelivered);
  EXPECT_EQ(acks_.status(3), AckStatus::kDelivered);
  EXPECT_EQ(acks_.status(2), AckStatus::kErrored);
  EXPECT_EQ(context_.metrics_.discarded_events["retries_exhausted"], 1u);
  out_->stop();
}

TEST(WebhookConfigTest, TemplateNeedsJsonFormat) {
  GlobalConfig global;
  Diagnostics diag;
  EXPECT_EQ(
      testing::buildOutput<WebhookOutput>(
          "webhook", "type: webhook\nendpoint: http://a:1\nmin_severity: loud\n", global, diag),
      nullptr);
  EXPECT_EQ(testing::buildOutput<WebhookOutput>(
                "webhook", "type: webhook\nendpoint: http://a:1\ntemplate: x\n", global, diag),
            nullptr);
  ASSERT_EQ(diag.errors().size(), 2u);
  EXPECT_NE(diag.errors()[0].find("'loud' is not one of"), std::string::npos);
  EXPECT_NE(diag.errors()[1].find("'template' goes with format: json"), std::string::npos);
}

}  // namespace
}  // namespace logship
