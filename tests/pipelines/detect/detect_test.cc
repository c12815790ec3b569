#include "pipelines/detect/detect.h"

#include <gtest/gtest.h>

#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

using testing::addString;
using testing::CapturingEmitter;
using testing::makeBatch;
using testing::metricValue;

class RecordingReceiver final : public AckReceiver {
 public:
  void acknowledge(uint64_t, AckStatus status) override {
    ++calls;
    last = status;
  }
  int calls = 0;
  AckStatus last = AckStatus::kErrored;
};

class DetectTest : public testing::TransformTest {
 protected:
  static constexpr const char* kBruteForce = R"(
type: detect
summary: ssh brute force
when: {field: event.action, equals: ssh_failed_password}
group_by: [source.ip]
threshold: 10
window: 60s
cooldown: 5m
severity: critical
)";

  std::unique_ptr<Detect> make(const std::string& yaml, const std::string& id = "brute_force") {
    node_ = load(yaml);
    diag_ = Diagnostics();
    BuildContext ctx{id, global_, diag_, node_};
    auto config =
        DetectConfig::options().parse(node_, diag_, reservedKeys(ComponentKind::kTransform));
    if (!diag_.ok()) return nullptr;
    auto d = std::make_unique<Detect>(std::move(config), ctx, clock_);
    if (!diag_.ok()) return nullptr;
    context_ = std::make_unique<testing::TestContext>(global_, id);
    d->start(*context_);
    return d;
  }

  // One failed login from `ip` now; returns the alerts it caused.
  std::vector<const Event*> fail(Detect& d, const std::string& ip,
                                 const char* action = "ssh_failed_password") {
    Batch b = makeBatch({"Failed password for root from " + ip + " port 22 ssh2"});
    b.events()[0].timestamp_ns = clock_.nowNs();
    addString(b, 0, "event.action", action);
    addString(b, 0, "source.ip", ip);
    size_t before = out_.batches.size();
    d.process(b, out_);
    return alertsSince(before);
  }
  std::vector<const Event*> poll(Detect& d) {
    size_t before = out_.batches.size();
    d.poll(out_);
    return alertsSince(before);
  }
  std::vector<const Event*> alertsSince(size_t before) {
    std::vector<const Event*> alerts;
    for (size_t i = before; i < out_.batches.size(); ++i) {
      for (const Event& e : out_.batches[i]->events()) alerts.push_back(&e);
    }
    return alerts;
  }
  std::string field(const Event* e, std::string_view key) {
    const Batch* owner = nullptr;
    for (auto& b : out_.batches) {
      for (const Event& x : b->events()) {
        if (&x == e) owner = b.get();
      }
    }
    const Field* f = owner ? owner->findField(*e, key) : nullptr;
    if (f == nullptr) return "<none>";
    char buffer[32];
    return std::string(valueText(f->value, buffer));
  }

  ManualClock clock_{testing::kT0};
  CapturingEmitter out_;
};

TEST_F(DetectTest, FiresAtTheThresholdNotBefore) {
  auto d = make(kBruteForce);
  ASSERT_NE(d, nullptr) << firstError();
  for (int i = 0; i < 9; ++i) {
    EXPECT_TRUE(fail(*d, "1.2.3.4").empty()) << i;
    EXPECT_TRUE(fail(*d, "5.6.7.8", "ssh_accepted_password").empty());  // does not match
    clock_.advance(std::chrono::seconds(1));
  }
  auto alerts = fail(*d, "1.2.3.4");
  ASSERT_EQ(alerts.size(), 1u);
  const Event* a = alerts[0];
  EXPECT_EQ(a->message, "ssh brute force: 10 events from source.ip=1.2.3.4 in 60s");
  EXPECT_EQ(a->severity, Severity::kCritical);
  EXPECT_TRUE(a->flags & Event::kAlert);
  EXPECT_EQ(a->timestamp_ns, clock_.nowNs());
  EXPECT_EQ(field(a, "event.kind"), "alert");
  EXPECT_EQ(field(a, "event.type"), "start");
  EXPECT_EQ(field(a, "rule.name"), "brute_force");
  EXPECT_EQ(field(a, "source.ip"), "1.2.3.4");
  EXPECT_EQ(field(a, "event.count"), "10");
  EXPECT_EQ(field(a, "event.start"), "2023-11-14T22:13:20.000000000Z");
  EXPECT_EQ(field(a, "event.end"), "2023-11-14T22:13:29.000000000Z");
  EXPECT_EQ(field(a, "alert.sample.1"), "Failed password for root from 1.2.3.4 port 22 ssh2");
  EXPECT_EQ(field(a, "alert.sample.3"), "Failed password for root from 1.2.3.4 port 22 ssh2");
  EXPECT_EQ(field(a, "alert.sample.4"), "<none>");
  EXPECT_TRUE(a->correlation_id.starts_with("alert-"));
  // The alert batch stands alone: no ack token to hold any source's checkpoint.
  EXPECT_TRUE(out_.batches.back()->ack().empty());
  EXPECT_EQ(metricValue(context_->registry_, "logship_detect_alerts_total", {{"type", "start"}}),
            1);
}

TEST_F(DetectTest, SlidingWindowForgetsOldEvents) {
  auto d = make(kBruteForce);
  ASSERT_NE(d, nullptr) << firstError();
  for (int i = 0; i < 9; ++i) fail(*d, "1.2.3.4");
  clock_.advance(std::chrono::seconds(60));  // those nine leave the window
  EXPECT_TRUE(fail(*d, "1.2.3.4").empty());
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(fail(*d, "1.2.3.4").empty());
  EXPECT_EQ(fail(*d, "1.2.3.4").size(), 1u);
}

TEST_F(DetectTest, GroupsCountSeparately) {
  auto d = make(kBruteForce);
  for (int i = 0; i < 9; ++i) {
    fail(*d, "1.1.1.1");
    fail(*d, "2.2.2.2");
  }
  auto a = fail(*d, "2.2.2.2");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(field(a[0], "source.ip"), "2.2.2.2");
}

TEST_F(DetectTest, CooldownThenResolve) {
  auto d = make(kBruteForce);
  for (int i = 0; i < 10; ++i) fail(*d, "1.2.3.4");  // fires at t0
  // The attack goes on at 10 failures a second: nothing new within the 5m cooldown, no
  // resolution either.
  for (int s = 1; s < 300; ++s) {
    clock_.set(testing::kT0 + s * 1'000'000'000ll);
    for (int k = 0; k < 10; ++k) EXPECT_TRUE(fail(*d, "1.2.3.4").empty()) << s;
    EXPECT_TRUE(poll(*d).empty());
  }
  EXPECT_EQ(metricValue(context_->registry_, "logship_detect_alerts_total", {{"type", "start"}}),
            1);
  // Once the cooldown is over, the still-running attack is reported again.
  clock_.set(testing::kT0 + 300 * 1'000'000'000ll);
  auto again = fail(*d, "1.2.3.4");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(field(again[0], "event.type"), "start");
  EXPECT_EQ(field(again[0], "event.count"), "591");  // (240 s, 300 s]: 59 s x 10 + 1
  // The attack stops. The 10th-newest failure came at 299 s, so the count is below 10 from
  // 359 s; the group resolves after a whole window below, at 419 s.
  clock_.set(testing::kT0 + 419 * 1'000'000'000ll - 1);
  EXPECT_TRUE(poll(*d).empty());
  clock_.set(testing::kT0 + 419 * 1'000'000'000ll);
  auto resolved = poll(*d);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0]->message,
            "ssh brute force resolved: source.ip=1.2.3.4 below 10 events in 60s");
  EXPECT_EQ(field(resolved[0], "event.type"), "end");
  EXPECT_EQ(resolved[0]->correlation_id, again[0]->correlation_id);  // pairs with the alert
  EXPECT_TRUE(poll(*d).empty());                                     // once
}

TEST_F(DetectTest, ResolvesWhenTheNextEventComesAfterTheQuietWindow) {
  auto d = make(kBruteForce);
  for (int i = 0; i < 10; ++i) fail(*d, "1.2.3.4");
  clock_.advance(std::chrono::minutes(10));
  auto alerts = fail(*d, "1.2.3.4");  // no poll in between: the event itself resolves the episode
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(field(alerts[0], "event.type"), "end");
}

TEST_F(DetectTest, InputIsConsumedAndItsAckResolves) {
  auto d = make(kBruteForce);
  RecordingReceiver receiver;
  {
    Batch b = makeBatch({"x"}, AckToken(&receiver, 1));
    d->process(b, out_);
  }
  EXPECT_TRUE(out_.batches.empty());
  EXPECT_EQ(receiver.calls, 1);
  EXPECT_EQ(receiver.last, AckStatus::kDelivered);
  EXPECT_EQ(
      metricValue(context_->registry_, "logship_detect_events_total", {{"result", "ignored"}}), 1);
}

TEST_F(DetectTest, AbsenceFiresRepeatsAndResolves) {
  auto d = make(R"(
type: detect
mode: absence
summary: block import stalled
when: {field: event.action, equals: block_imported}
window: 60s
cooldown: 5m
severity: high
)",
                "block_stall");
  ASSERT_NE(d, nullptr) << firstError();
  auto imported = [&] {
    Batch b = makeBatch({"✨ Imported #42 (0xabc…def)"});
    addString(b, 0, "event.action", "block_imported");
    size_t before = out_.batches.size();
    d->process(b, out_);
    return alertsSince(before);
  };
  clock_.advance(std::chrono::seconds(30));
  EXPECT_TRUE(imported().empty());
  clock_.advance(std::chrono::seconds(59));
  EXPECT_TRUE(poll(*d).empty());
  clock_.advance(std::chrono::seconds(1));
  auto a = poll(*d);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]->message, "block import stalled: no events in 60s");
  EXPECT_EQ(field(a[0], "event.type"), "start");
  EXPECT_EQ(field(a[0], "rule.name"), "block_stall");
  clock_.advance(std::chrono::minutes(1));
  EXPECT_TRUE(poll(*d).empty());
  clock_.advance(std::chrono::minutes(4));
  EXPECT_EQ(poll(*d).size(), 1u);  // still stalled after the cooldown: sent again
  auto r = imported();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]->message, "block import stalled resolved: events again");
  EXPECT_EQ(field(r[0], "event.type"), "end");
}

TEST_F(DetectTest, NoGroupFieldOrTooManyGroups) {
  auto d = make(std::string(kBruteForce) + "max_groups: 2\n");
  ASSERT_NE(d, nullptr) << firstError();
  Batch b = makeBatch({"no ip"});
  addString(b, 0, "event.action", "ssh_failed_password");
  d->process(b, out_);
  EXPECT_EQ(metricValue(context_->registry_, "logship_detect_events_total",
                        {{"result", "missing_group_field"}}),
            1);
  fail(*d, "1.1.1.1");
  fail(*d, "2.2.2.2");
  fail(*d, "3.3.3.3");
  EXPECT_EQ(context_->metrics_.discarded_by_reason["group_limit"], 1u);
}

TEST_F(DetectTest, ConfigErrors) {
  EXPECT_EQ(make("type: detect\nthreshold: 0\n"), nullptr);
  EXPECT_EQ(diag_.errors()[0], "t.yaml:2:12: threshold must be at least 1");
  EXPECT_EQ(make("type: detect\nmode: absence\nthreshold: 3\n"), nullptr);
  EXPECT_EQ(diag_.errors()[0], "t.yaml:3:12: threshold has no meaning in absence mode");
  EXPECT_EQ(make("type: detect\nwhen: {field: a, gte: lots}\n"), nullptr);
  EXPECT_EQ(diag_.errors()[0], "t.yaml:2:23: expected a number, got 'lots'");
  EXPECT_EQ(make("type: detect\nseverity: severe\n"), nullptr);
  EXPECT_EQ(diag_.errors()[0],
            "t.yaml:2:11: 'severe' is not one of: critical, high, medium, low, info, debug");
}

}  // namespace
}  // namespace logship
