#include "pipelines/detect/detect.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

using testing::CapturingEmitter;
using testing::kT0;
using testing::makeBatch;
using testing::metricValue;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
// When tests that give their events' times read them: later than any of those times (an event
// from after the clock's now counts as now).
constexpr int64_t kReadLater = kT0 + 24 * 60 * kMinute;

class RecordingReceiver final : public AckReceiver {
 public:
  void acknowledge(uint64_t, AckStatus status) override {
    ++calls;
    last = status;
  }
  int calls = 0;
  AckStatus last = AckStatus::kErrored;
};

// One input event: its event time and fields.
struct In {
  int64_t t;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string message = "line";
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

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("logship-detect-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    global_.data_dir = dir_.string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

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

  static Batch batchOf(const std::vector<In>& ins, uint64_t stream = 0,
                       uint64_t first_offset = 0) {
    std::vector<std::string> lines;
    for (const In& in : ins) lines.push_back(in.message);
    Batch b = makeBatch(lines);
    b.setSourceName("auth");
    b.setStream(stream);
    for (size_t i = 0; i < ins.size(); ++i) {
      b.events()[i].timestamp_ns = ins[i].t;
      b.events()[i].offset = first_offset + i;
      for (const auto& [k, v] : ins[i].fields) testing::addString(b, i, k, v);
    }
    return b;
  }

  std::vector<const Event*> feed(Detect& d, const std::vector<In>& ins, uint64_t stream = 0,
                                 uint64_t first_offset = 0) {
    Batch b = batchOf(ins, stream, first_offset);
    size_t before = out_.batches.size();
    d.process(b, out_);
    return alertsSince(before);
  }

  // One failed login from `ip` at the clock's time; returns the alerts it caused.
  std::vector<const Event*> fail(Detect& d, const std::string& ip,
                                 const char* action = "ssh_failed_password") {
    return feed(d, {In{clock_.nowNs(),
                       {{"event.action", action}, {"source.ip", ip}},
                       "Failed password for root from " + ip + " port 22 ssh2"}});
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
  // What an alert says, in one comparable line.
  std::string describe(const Event* a) {
    return field(a, "event.type") + " " + field(a, "event.start") + ".." + field(a, "event.end") +
           " count=" + field(a, "event.count") + ": " + std::string(a->message);
  }
  double events(const char* result) {
    return metricValue(context_->registry_, "logship_detect_events_total", {{"result", result}});
  }

  std::filesystem::path dir_;
  ManualClock clock_{kT0};
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
  EXPECT_EQ(field(a, "alert.mode"), "threshold");
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
  EXPECT_EQ(events("matched"), 10);
  EXPECT_EQ(events("ignored"), 9);
}

TEST_F(DetectTest, SlidingWindowForgetsOldEvents) {
  auto d = make(kBruteForce);
  ASSERT_NE(d, nullptr) << firstError();
  for (int i = 0; i < 9; ++i) {
    fail(*d, "1.2.3.4");
    fail(*d, "5.6.7.8");
  }
  clock_.advance(std::chrono::seconds(60));  // the window is [t - 60 s, t]: still in it
  EXPECT_EQ(fail(*d, "5.6.7.8").size(), 1u);
  clock_.advance(std::chrono::seconds(1));  // now they left it
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

// Windows follow the events' own time: fifteen failures over seventeen minutes read in one go
// (a host's auth.log at start, a catch-up after an outage) are no brute force; ten in 30 s are,
// and the alert tells when they happened, not when they were read.
TEST_F(DetectTest, WindowsFollowEventTimeNotArrival) {
  auto d = make(kBruteForce);
  clock_.set(kT0 + 24 * 60 * kMinute);  // read a day later
  std::vector<In> slow;
  for (int i = 0; i < 15; ++i) {
    slow.push_back(In{kT0 + i * 68 * kSecond,
                      {{"event.action", "ssh_failed_password"}, {"source.ip", "1.2.3.4"}}});
  }
  EXPECT_TRUE(feed(*d, slow).empty());
  std::vector<In> fast;
  for (int i = 0; i < 10; ++i) {
    fast.push_back(In{kT0 + 20 * kMinute + i * 3 * kSecond,
                      {{"event.action", "ssh_failed_password"}, {"source.ip", "5.6.7.8"}}});
  }
  auto alerts = feed(*d, fast);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(field(alerts[0], "event.start"), "2023-11-14T22:33:20.000000000Z");
  EXPECT_EQ(field(alerts[0], "event.end"), "2023-11-14T22:33:47.000000000Z");
  EXPECT_EQ(alerts[0]->timestamp_ns, kT0 + 20 * kMinute + 27 * kSecond);
}

TEST_F(DetectTest, LateEventsAreCountedNotEvaluated) {
  auto d = make(kBruteForce);
  clock_.set(kT0 + 60 * kMinute);
  feed(*d, {In{kT0 + 10 * kMinute, {{"event.action", "ssh_failed_password"}, {"source.ip", "a"}}}});
  // 61 s older than the newest: past the default allowed_lateness of 1m.
  std::vector<In> late(12, In{kT0 + 10 * kMinute - 61 * kSecond,
                              {{"event.action", "ssh_failed_password"}, {"source.ip", "b"}}});
  EXPECT_TRUE(feed(*d, late).empty());
  EXPECT_EQ(events("late"), 12);
  EXPECT_EQ(d->groupCount(), 1u);
  // Within the lateness they count, in their place in the window.
  std::vector<In> allowed(10, In{kT0 + 10 * kMinute - 59 * kSecond,
                                 {{"event.action", "ssh_failed_password"}, {"source.ip", "b"}}});
  EXPECT_EQ(feed(*d, allowed).size(), 1u);
}

// Each file (stream) of a source keeps its own time: yesterday's rotated auth.log read after
// today's is not late.
TEST_F(DetectTest, EachStreamOfASourceHasItsOwnTime) {
  auto d = make(kBruteForce);
  clock_.set(kReadLater);
  feed(*d, {In{kT0 + 60 * kMinute, {{"event.action", "ssh_failed_password"}, {"source.ip", "a"}}}},
       /*stream=*/1);
  std::vector<In> yesterday(10, In{kT0, {{"event.action", "ssh_failed_password"}, {"source.ip", "b"}}});
  EXPECT_EQ(feed(*d, yesterday, /*stream=*/2).size(), 1u);
  EXPECT_EQ(events("late"), 0);
  // In the same stream they would be.
  EXPECT_TRUE(feed(*d, yesterday, /*stream=*/1, 100).empty());
  EXPECT_EQ(events("late"), 10);
}

// A line dated in the future (a skewed clock, a yearless date taken for the wrong year) counts
// as now: it does not make every later line late.
TEST_F(DetectTest, AnEventFromTheFutureCountsAsNow) {
  auto d = make(kBruteForce);
  feed(*d, {In{kT0 + 365LL * 24 * 60 * kMinute, {{"event.action", "ssh_failed_password"}, {"source.ip", "a"}}}});
  std::vector<In> now(9, In{kT0, {{"event.action", "ssh_failed_password"}, {"source.ip", "a"}}});
  auto alerts = feed(*d, now);
  EXPECT_EQ(events("late"), 0);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(field(alerts[0], "event.count"), "10");
}

TEST_F(DetectTest, CooldownThenResolve) {
  auto d = make(kBruteForce);
  for (int i = 0; i < 10; ++i) fail(*d, "1.2.3.4");  // fires at t0
  // The attack goes on at 10 failures a second: nothing new within the 5m cooldown, no
  // resolution either.
  for (int s = 1; s < 300; ++s) {
    clock_.set(kT0 + s * kSecond);
    for (int k = 0; k < 10; ++k) EXPECT_TRUE(fail(*d, "1.2.3.4").empty()) << s;
    EXPECT_TRUE(poll(*d).empty());
  }
  EXPECT_EQ(metricValue(context_->registry_, "logship_detect_alerts_total", {{"type", "start"}}),
            1);
  // Once the cooldown is over, the still-running attack is reported again.
  clock_.set(kT0 + 300 * kSecond);
  auto again = fail(*d, "1.2.3.4");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(field(again[0], "event.type"), "start");
  EXPECT_EQ(field(again[0], "event.count"), "601");  // [240 s, 300 s]: 60 s x 10 + 1
  // The attack stops. The 10th-newest failure came at 299 s, so the count is below 10 from
  // 359 s; the group resolves after a whole window below, at 419 s of event time. The source is
  // silent, so its time follows the clock less the allowed lateness: the resolution goes out
  // at 479 s, dated 419 s.
  clock_.set(kT0 + 479 * kSecond - 1);
  EXPECT_TRUE(poll(*d).empty());
  clock_.set(kT0 + 479 * kSecond);
  auto resolved = poll(*d);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0]->message,
            "ssh brute force resolved: source.ip=1.2.3.4 below 10 events in 60s");
  EXPECT_EQ(field(resolved[0], "event.type"), "end");
  EXPECT_EQ(field(resolved[0], "event.end"), "2023-11-14T22:20:19.000000000Z");  // t0 + 419 s
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
  EXPECT_EQ(events("ignored"), 1);
}

TEST_F(DetectTest, AbsenceOfTheWholeInputFiresRepeatsAndResolves) {
  auto d = make(R"(
type: detect
mode: absence
summary: block import stalled
when: {field: event.action, equals: block_imported}
window: 60s
cooldown: 5m
allowed_lateness: 0s
)",
                "block_stall");
  ASSERT_NE(d, nullptr) << firstError();
  auto imported = [&] {
    return feed(*d, {In{clock_.nowNs(), {{"event.action", "block_imported"}}, "Imported #42"}});
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

TEST_F(DetectTest, AbsenceFromTheStartCounts) {
  auto d = make("type: detect\nmode: absence\nwindow: 15m\nsummary: audit source silent\n",
                "audit_silent");
  ASSERT_NE(d, nullptr) << firstError();
  clock_.advance(std::chrono::minutes(16));  // 15 m and the lateness: never a line
  auto a = poll(*d);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]->message, "audit source silent: no events in 900s");
}

TEST_F(DetectTest, TooManyGroupsEvictsTheLeastRecentlySeen) {
  auto d = make(std::string(kBruteForce) + "max_groups: 2\n");
  ASSERT_NE(d, nullptr) << firstError();
  feed(*d, {In{kT0, {{"event.action", "ssh_failed_password"}}}});
  EXPECT_EQ(events("missing_group_field"), 1);
  for (int i = 0; i < 9; ++i) fail(*d, "1.1.1.1");
  fail(*d, "2.2.2.2");
  fail(*d, "1.1.1.1");  // 1.1.1.1 fires and is now the most recently seen
  fail(*d, "3.3.3.3");  // 2.2.2.2 goes
  EXPECT_EQ(d->groupCount(), 2u);
  EXPECT_EQ(metricValue(context_->registry_, "logship_detect_groups_evicted_total", {}), 1);
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(fail(*d, "2.2.2.2").empty());  // starts afresh
}

TEST_F(DetectTest, DistinctCountsPasswordSpraying) {
  clock_.set(kReadLater);
  auto d = make(R"(
type: detect
summary: password spraying
when: {field: event.outcome, equals: failure}
group_by: [source.ip]
distinct: user.name
threshold: 5
window: 5m
)",
                "spray");
  ASSERT_NE(d, nullptr) << firstError();
  auto attempt = [&](int64_t t, const char* user) {
    return feed(*d, {In{t, {{"event.outcome", "failure"}, {"source.ip", "9.9.9.9"},
                            {"user.name", user}}}});
  };
  // The same four names again and again are no spraying.
  for (int round = 0; round < 5; ++round) {
    for (const char* u : {"root", "admin", "oracle", "test"}) {
      EXPECT_TRUE(attempt(kT0 + round * 10 * kSecond, u).empty());
    }
  }
  auto alerts = attempt(kT0 + 60 * kSecond, "postgres");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->message,
            "password spraying: 5 distinct user.name values from source.ip=9.9.9.9 in 300s");
  EXPECT_EQ(field(alerts[0], "event.count"), "5");
}

TEST_F(DetectTest, SumAddsAFieldUp) {
  clock_.set(kReadLater);
  auto d = make(R"(
type: detect
summary: exfiltration volume
group_by: [user.name]
sum: http.response.bytes
threshold: 1000000
window: 10m
)",
                "exfil");
  ASSERT_NE(d, nullptr) << firstError();
  auto sent = [&](int64_t t, const char* bytes) {
    return feed(*d, {In{t, {{"user.name", "eve"}, {"http.response.bytes", bytes}}}});
  };
  EXPECT_TRUE(sent(kT0, "400000").empty());
  EXPECT_TRUE(sent(kT0 + kSecond, "not a number").empty());  // nothing to add
  EXPECT_TRUE(sent(kT0 + 2 * kSecond, "500000").empty());
  auto alerts = sent(kT0 + 3 * kSecond, "150000.5");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->message,
            "exfiltration volume: 1050000.5 http.response.bytes in sum from user.name=eve in 600s");
}

TEST_F(DetectTest, SequenceOfFailuresThenASuccess) {
  clock_.set(kReadLater);
  auto d = make(R"(
type: detect
mode: sequence
summary: account takeover
group_by: [source.ip]
window: 10m
steps:
  - {when: {field: event.action, equals: ssh_failed_password}, count: 5}
  - {when: {field: event.action, equals: ssh_accepted_password}}
)",
                "takeover");
  ASSERT_NE(d, nullptr) << firstError();
  auto at = [&](int64_t t, const char* action, const char* ip = "7.7.7.7") {
    return feed(*d, {In{t, {{"event.action", action}, {"source.ip", ip}}}});
  };
  // A success with too few failures before it is a user who mistyped.
  for (int i = 0; i < 4; ++i) at(kT0 + i * kSecond, "ssh_failed_password");
  EXPECT_TRUE(at(kT0 + 5 * kSecond, "ssh_accepted_password").empty());
  // Failures that left the window do not count.
  for (int i = 0; i < 5; ++i) at(kT0 + kMinute + i * kSecond, "ssh_failed_password");
  EXPECT_TRUE(at(kT0 + 12 * kMinute, "ssh_accepted_password").empty());
  // Five failures, another address's success, then this one's.
  for (int i = 0; i < 5; ++i) at(kT0 + 20 * kMinute + i * kSecond, "ssh_failed_password");
  EXPECT_TRUE(at(kT0 + 21 * kMinute, "ssh_accepted_password", "8.8.8.8").empty());
  auto alerts = at(kT0 + 22 * kMinute, "ssh_accepted_password");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->message,
            "account takeover: sequence of 2 steps from source.ip=7.7.7.7 within 600s");
  EXPECT_EQ(field(alerts[0], "event.start"), "2023-11-14T22:33:20.000000000Z");
  EXPECT_EQ(field(alerts[0], "event.end"), "2023-11-14T22:35:20.000000000Z");
  // The sequence starts over: one more success is not another takeover.
  EXPECT_TRUE(at(kT0 + 23 * kMinute, "ssh_accepted_password").empty());
}

TEST_F(DetectTest, RateBelowFiresAndResolves) {
  clock_.set(kReadLater);
  auto d = make(R"(
type: detect
mode: rate_below
summary: slow block production
when: {field: event.action, equals: block_imported}
threshold: 5
window: 10m
allowed_lateness: 0s
)",
                "slow_blocks");
  ASSERT_NE(d, nullptr) << firstError();
  auto block = [&](int64_t t) {
    return feed(*d, {In{t, {{"event.action", "block_imported"}}}});
  };
  // A block a minute: ten per window, healthy.
  for (int i = 0; i <= 20; ++i) EXPECT_TRUE(block(kT0 + i * kMinute).empty()) << i;
  // Then a block at 24 m and 28.5 m: the 5th newest (17 m) leaves the window at 27 m.
  EXPECT_TRUE(block(kT0 + 24 * kMinute).empty());
  auto alerts = block(kT0 + 28 * kMinute + 30 * kSecond);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->message,
            "slow block production: 4 events in 600s, fewer than 5");
  EXPECT_EQ(field(alerts[0], "event.end"), "2023-11-14T22:40:20.000000000Z");  // t0 + 27 m
  // Back to a block a minute: resolved once five are in the window again.
  std::vector<const Event*> resolved;
  for (int i = 29; i <= 32 && resolved.empty(); ++i) {
    resolved = block(kT0 + i * kMinute + 30 * kSecond);
  }
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(field(resolved[0], "event.type"), "end");
  EXPECT_EQ(field(resolved[0], "event.end"), "2023-11-14T22:44:50.000000000Z");  // t0 + 31.5 m
}

TEST_F(DetectTest, StallFiresWhenAValueStopsRising) {
  clock_.set(kReadLater);
  auto d = make(R"(
type: detect
mode: stall
summary: finality stalled
group_by: [host.name]
field: substrate.finalized
window: 5m
allowed_lateness: 0s
)",
                "finality_stalled");
  ASSERT_NE(d, nullptr) << firstError();
  auto idle = [&](int64_t t, const char* finalized) {
    return feed(*d, {In{t, {{"host.name", "node-1"}, {"substrate.finalized", finalized}}}});
  };
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(idle(kT0 + i * 5 * kSecond, std::to_string(100 + i).c_str()).empty());
  // Finality stops at 109 (45 s) while the node goes on reporting.
  std::vector<const Event*> alerts;
  int64_t t = kT0 + 50 * kSecond;
  for (; t < kT0 + 10 * kMinute && alerts.empty(); t += 5 * kSecond) alerts = idle(t, "109");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->message, "finality stalled: substrate.finalized from host.name=node-1 stuck at 109 for 300s");
  EXPECT_EQ(field(alerts[0], "event.start"), "2023-11-14T22:14:05.000000000Z");  // 45 s
  EXPECT_EQ(field(alerts[0], "event.end"), "2023-11-14T22:19:05.000000000Z");    // 345 s
  auto resolved = idle(t, "110");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0]->message,
            "finality stalled resolved: substrate.finalized from host.name=node-1 moving again");
}

TEST_F(DetectTest, ChangeFiresWhenTheValueHalves) {
  clock_.set(kReadLater);
  auto d = make(R"(
type: detect
mode: change
summary: peer count halved
field: substrate.peers
drop_percent: 50
window: 10m
)",
                "peers_halved");
  ASSERT_NE(d, nullptr) << firstError();
  auto peers = [&](int64_t t, const char* n) {
    return feed(*d, {In{t, {{"substrate.peers", n}}}});
  };
  EXPECT_TRUE(peers(kT0, "40").empty());
  EXPECT_TRUE(peers(kT0 + kMinute, "30").empty());
  auto alerts = peers(kT0 + 2 * kMinute, "20");  // half of the window's highest, 40
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->message, "peer count halved: substrate.peers 20, fell 50% or more within 600s");
  EXPECT_EQ(field(alerts[0], "alert.previous"), "40");
  EXPECT_TRUE(peers(kT0 + 3 * kMinute, "19").empty());  // still firing: no repeat in cooldown
  // Ten minutes on, 40 has left the window and 20 is the norm.
  auto resolved = peers(kT0 + 13 * kMinute, "20");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(field(resolved[0], "event.type"), "end");
}

TEST_F(DetectTest, ChangeRisePercent) {
  clock_.set(kReadLater);
  auto d = make("type: detect\nmode: change\nfield: n\nrise_percent: 100\nwindow: 1m\n", "rise");
  ASSERT_NE(d, nullptr) << firstError();
  EXPECT_TRUE(feed(*d, {In{kT0, {{"n", "10"}}}}).empty());
  EXPECT_TRUE(feed(*d, {In{kT0 + kSecond, {{"n", "19"}}}}).empty());
  EXPECT_EQ(feed(*d, {In{kT0 + 2 * kSecond, {{"n", "20"}}}}).size(), 1u);
}

TEST_F(DetectTest, NewValueOncePerValueWithinTheTtl) {
  clock_.set(kReadLater);
  auto d = make(R"(
type: detect
mode: new_value
summary: login from a new address
when: {field: event.action, equals: ssh_accepted_publickey}
group_by: [user.name]
field: source.ip
ttl: 1h
)",
                "new_address");
  ASSERT_NE(d, nullptr) << firstError();
  auto login = [&](int64_t t, const char* user, const char* ip) {
    return feed(*d, {In{t, {{"event.action", "ssh_accepted_publickey"}, {"user.name", user},
                            {"source.ip", ip}}}});
  };
  auto first = login(kT0, "alice", "10.0.0.1");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]->message, "login from a new address: new source.ip 10.0.0.1 for user.name=alice");
  EXPECT_EQ(field(first[0], "source.ip"), "10.0.0.1");
  EXPECT_TRUE(login(kT0 + kMinute, "alice", "10.0.0.1").empty());
  EXPECT_EQ(login(kT0 + 2 * kMinute, "bob", "10.0.0.1").size(), 1u);  // per group
  EXPECT_EQ(login(kT0 + 3 * kMinute, "alice", "10.0.0.2").size(), 1u);
  // Seen within the ttl keeps it known; an hour unseen makes it new again.
  EXPECT_TRUE(login(kT0 + 50 * kMinute, "alice", "10.0.0.1").empty());
  EXPECT_EQ(login(kT0 + 111 * kMinute, "alice", "10.0.0.1").size(), 1u);
}

TEST_F(DetectTest, LabelsAndAnnotationsAreRenderedFromTheAlert) {
  auto d = make(std::string(kBruteForce) + R"(
labels: {team: security, source_ip: "{source.ip}"}
annotations: {runbook_url: "https://runbooks.example/ssh", summary: "{event.count} failures from {source.ip}"}
)");
  ASSERT_NE(d, nullptr) << firstError();
  std::vector<const Event*> alerts;
  for (int i = 0; i < 10; ++i) alerts = fail(*d, "1.2.3.4");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(field(alerts[0], "alert.labels.team"), "security");
  EXPECT_EQ(field(alerts[0], "alert.labels.source_ip"), "1.2.3.4");
  EXPECT_EQ(field(alerts[0], "alert.annotations.runbook_url"), "https://runbooks.example/ssh");
  EXPECT_EQ(field(alerts[0], "alert.annotations.summary"), "10 failures from 1.2.3.4");
}

TEST_F(DetectTest, ArrivalTimeCountsWhenLinesAreRead) {
  auto d = make(std::string(kBruteForce) + "time: arrival\n");
  ASSERT_NE(d, nullptr) << firstError();
  std::vector<In> slow;
  for (int i = 0; i < 10; ++i) {
    slow.push_back(In{kT0 - i * 10 * kMinute,
                      {{"event.action", "ssh_failed_password"}, {"source.ip", "1.2.3.4"}}});
  }
  auto alerts = feed(*d, slow);  // all read now: ten in a window
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->timestamp_ns, clock_.nowNs());
  EXPECT_EQ(events("late"), 0);
}

// The state is saved and loaded: a restart goes on counting where it was, and the lines a
// source reads again after a crash (same stream, offsets already counted) are not counted twice.
TEST_F(DetectTest, StateSurvivesARestartWithoutCountingTwice) {
  clock_.set(kReadLater);
  std::vector<In> first, second;
  for (int i = 0; i < 6; ++i) {
    first.push_back(In{kT0 + i * kSecond,
                       {{"event.action", "ssh_failed_password"}, {"source.ip", "1.2.3.4"}}});
  }
  for (int i = 0; i < 4; ++i) {
    second.push_back(In{kT0 + (6 + i) * kSecond,
                        {{"event.action", "ssh_failed_password"}, {"source.ip", "1.2.3.4"}}});
  }
  {
    auto d = make(kBruteForce);
    ASSERT_NE(d, nullptr) << firstError();
    EXPECT_TRUE(feed(*d, first, /*stream=*/77, /*first_offset=*/0).empty());
    d->saveState();
  }
  ASSERT_TRUE(std::filesystem::exists(dir_ / "detect" / "brute_force.json"));
  auto d = make(kBruteForce);
  EXPECT_EQ(d->groupCount(), 1u);
  // The crash came before the positions were saved: the six lines come again, then four new.
  EXPECT_TRUE(feed(*d, first, 77, 0).empty());
  EXPECT_EQ(events("duplicate"), 6);
  auto alerts = feed(*d, second, 77, 6);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(field(alerts[0], "event.count"), "10");
  EXPECT_EQ(field(alerts[0], "event.start"), "2023-11-14T22:13:20.000000000Z");
  // Another stream of the same source (a rotated file) starts its own count.
  EXPECT_TRUE(feed(*d, first, 78, 0).empty());
  EXPECT_EQ(events("duplicate"), 6);
}

TEST_F(DetectTest, StateOfAChangedRuleOrATornFileIsNotLoaded) {
  clock_.set(kReadLater);
  {
    auto d = make(kBruteForce);
    std::vector<In> nine(9, In{kT0, {{"event.action", "ssh_failed_password"}, {"source.ip", "a"}}});
    feed(*d, nine);
    d->saveState();
  }
  // A new threshold goes on from the saved windows; another grouping cannot.
  auto tuned = make(std::string(kBruteForce) + "samples: 2\n");
  ASSERT_NE(tuned, nullptr) << firstError();
  EXPECT_EQ(tuned->groupCount(), 1u);
  tuned.reset();
  auto changed = make(std::string(kBruteForce) + "distinct: user.name\n");
  ASSERT_NE(changed, nullptr) << firstError();
  EXPECT_EQ(changed->groupCount(), 0u);
  changed.reset();
  std::ofstream(dir_ / "detect" / "brute_force.json") << R"({"version":1,"rule":)";
  auto torn = make(kBruteForce);
  ASSERT_NE(torn, nullptr) << firstError();
  EXPECT_EQ(torn->groupCount(), 0u);
}

// A file read in one go, long after it was written, alerts as the same lines did when they came
// at their own pace: same alerts, same event.start and event.end, in every mode.
class BackfillTest : public DetectTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(BackfillTest, AlertsAsTheSameLinesDidLive) {
  // Two hours of a host's lines: attack bursts, quiet spells and a node's progress.
  std::vector<In> lines;
  uint64_t seed = 12345;
  auto next = [&] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int64_t>(seed >> 33);
  };
  int64_t t = kT0;
  int64_t finalized = 1000, peers = 40;
  while (t < kT0 + 120 * kMinute) {
    const int64_t phase = (t - kT0) / (10 * kMinute);
    const bool attack = phase % 3 == 1;
    t += attack ? next() % (3 * kSecond) : next() % (90 * kSecond);
    const std::string ip = attack ? "6.6.6." + std::to_string(next() % 3) : "10.0.0." + std::to_string(next() % 5);
    const std::string user = "user" + std::to_string(next() % (attack ? 12 : 3));
    const char* action = next() % 10 < 8 || attack ? "ssh_failed_password" : "ssh_accepted_password";
    if (phase != 5 && next() % 4 != 0) finalized += 1;  // finality stalls in the sixth phase
    peers = phase >= 8 ? 12 : 40 + next() % 5;
    lines.push_back(In{t,
                       {{"event.action", action},
                        {"source.ip", ip},
                        {"user.name", user},
                        {"host.name", phase % 4 == 2 ? "quiet-host" : "busy-host"},
                        {"substrate.finalized", std::to_string(finalized)},
                        {"substrate.peers", std::to_string(peers)}},
                       "line at " + std::to_string((t - kT0) / kSecond)});
  }
  const std::string rule = GetParam();
  const int64_t end = lines.back().t + 60 * kMinute;

  // Live: each line when it happens, the timer polling in between.
  std::vector<std::string> live;
  {
    clock_.set(kT0);
    auto d = make(rule, "rule");
    ASSERT_NE(d, nullptr) << firstError();
    int64_t tick = kT0;  // the timer's next second
    for (size_t i = 0; i <= lines.size(); ++i) {
      const int64_t until = i < lines.size() ? lines[i].t : end + 2 * kMinute;
      for (; tick <= until; tick += 7 * kSecond) {
        clock_.set(tick);
        for (const Event* a : poll(*d)) live.push_back(describe(a));
      }
      if (i == lines.size()) break;
      clock_.set(lines[i].t);
      for (const Event* a : feed(*d, {lines[i]}, 1, i)) live.push_back(describe(a));
    }
    clock_.set(end + 2 * kMinute);
    for (const Event* a : poll(*d)) live.push_back(describe(a));
  }
  std::filesystem::remove_all(dir_);
  // Backfill: read in one batch an hour after the last line, then the timer.
  std::vector<std::string> backfill;
  {
    clock_.set(end);
    auto d = make(rule, "rule");
    for (const Event* a : feed(*d, lines, 1, 0)) backfill.push_back(describe(a));
    clock_.set(end + 2 * kMinute);
    for (const Event* a : poll(*d)) backfill.push_back(describe(a));
  }
  EXPECT_FALSE(live.empty()) << "the rule never fired: the comparison proves nothing";
  EXPECT_EQ(live, backfill);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, BackfillTest,
    ::testing::Values(
        "type: detect\nwhen: {field: event.action, equals: ssh_failed_password}\n"
        "group_by: [source.ip]\nthreshold: 10\nwindow: 30s\ncooldown: 2m\n",
        "type: detect\ngroup_by: [source.ip]\ndistinct: user.name\nthreshold: 5\nwindow: 5m\n",
        "type: detect\nmode: sequence\ngroup_by: [source.ip]\nwindow: 10m\n"
        "steps: [{when: {field: event.action, equals: ssh_failed_password}, count: 3},\n"
        "        {when: {field: event.action, equals: ssh_accepted_password}}]\n",
        "type: detect\nmode: absence\ngroup_by: [host.name]\nwindow: 4m\ncooldown: 10m\n",
        "type: detect\nmode: rate_below\ngroup_by: [host.name]\nthreshold: 8\nwindow: 5m\n",
        "type: detect\nmode: stall\nfield: substrate.finalized\nwindow: 5m\n",
        "type: detect\nmode: change\nfield: substrate.peers\ndrop_percent: 50\nwindow: 10m\n",
        "type: detect\nmode: new_value\ngroup_by: [source.ip]\nfield: user.name\nttl: 20m\n"));

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
  EXPECT_EQ(make("type: detect\nmode: stall\n"), nullptr);
  EXPECT_EQ(diag_.errors()[0], "t.yaml:1:1: stall mode needs 'field'");
  EXPECT_EQ(make("type: detect\nmode: change\nfield: n\n"), nullptr);
  EXPECT_EQ(diag_.errors()[0], "t.yaml:1:1: change mode needs one of drop_percent or rise_percent");
  EXPECT_EQ(make("type: detect\ndistinct: a\nsum: b\n"), nullptr);
  EXPECT_EQ(diag_.errors()[0], "t.yaml:3:6: distinct and sum exclude each other");
  EXPECT_EQ(make("type: detect\nmode: sequence\nsteps: [{when: {field: a, exists: true}}]\n"),
            nullptr);
  EXPECT_EQ(diag_.errors()[0], "t.yaml:3:8: steps takes a list of at least two {when, count}");
  EXPECT_EQ(make("type: detect\nmode: sequence\nsteps: [{when: {field: a, exists: true}}, "
                 "{when: {field: b, exists: true}, count: 0}]\n"),
            nullptr);
  EXPECT_EQ(diag_.errors()[0], "t.yaml:3:83: count must be at least 1");
  EXPECT_EQ(make("type: detect\nsamples: 11\n"), nullptr);
  EXPECT_EQ(diag_.errors()[0], "t.yaml:2:10: samples must be 0-10");
  EXPECT_EQ(make("type: detect\nlabels: {team: \"{unclosed\"}\n"), nullptr);
}

}  // namespace
}  // namespace logship
