#include "pipelines/common/condition.h"

#include <gtest/gtest.h>

#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

using testing::addString;
using testing::makeBatch;

class ConditionTest : public ::testing::Test {
 protected:
  ConditionTest() {
    GlobalConfig g;
    for (const char* t : {"audit", "security", "app"}) g.tiers.push_back(TierSpec{t, {}, false});
    tiers_ = tierNames(g);
    batch_ = makeBatch({"Failed password for root from 10.0.0.7 port 22 ssh2"});
    addString(batch_, 0, "event.action", "ssh_failed_password");
    addString(batch_, 0, "source.ip", "10.0.0.7");
    batch_.addField(batch_.events()[0], "source.port", FieldValue::integer(22));
    batch_.addField(batch_.events()[0], "substrate.peers", FieldValue::integer(2));
    batch_.addField(batch_.events()[0], "ratio", FieldValue::real(0.5));
    batch_.addField(batch_.events()[0], "tls", FieldValue::boolean(true));
    batch_.addSharedString("host.name", "node-1");
    batch_.events()[0].severity = Severity::kHigh;
    batch_.events()[0].tier = 1;
    batch_.events()[0].correlation_id = "ssh-00aa";
  }

  std::optional<Condition> compile(const std::string& yaml) {
    diag_ = Diagnostics();
    node_ = ConfigNode(YAML::Load(yaml), std::make_shared<const std::string>("c.yaml"));
    return Condition::compile(node_, tiers_, diag_);
  }

  bool matches(const std::string& yaml) {
    auto c = compile(yaml);
    EXPECT_TRUE(c.has_value()) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
    return c && c->matches(batch_, batch_.events()[0]);
  }

  std::string error(const std::string& yaml) {
    auto c = compile(yaml);
    EXPECT_FALSE(c.has_value());
    return diag_.errors().empty() ? "" : diag_.errors()[0];
  }

  TierNames tiers_;
  Batch batch_;
  Diagnostics diag_;
  ConfigNode node_;
};

TEST_F(ConditionTest, Equals) {
  EXPECT_TRUE(matches("{field: event.action, equals: ssh_failed_password}"));
  EXPECT_FALSE(matches("{field: event.action, equals: ssh_accepted_password}"));
  EXPECT_FALSE(matches("{field: no.such.field, equals: x}"));
  // Numbers and booleans compare by value, whatever the YAML spelling.
  EXPECT_TRUE(matches("{field: source.port, equals: 22}"));
  EXPECT_TRUE(matches("{field: source.port, equals: 22.0}"));
  EXPECT_FALSE(matches("{field: source.port, equals: 23}"));
  EXPECT_TRUE(matches("{field: ratio, equals: 0.5}"));
  EXPECT_TRUE(matches("{field: tls, equals: true}"));
  EXPECT_FALSE(matches("{field: tls, equals: false}"));
}

TEST_F(ConditionTest, BuiltInsAndSharedFields) {
  EXPECT_TRUE(matches("{field: log.level, equals: high}"));
  EXPECT_TRUE(matches("{field: tier, equals: security}"));
  EXPECT_TRUE(matches("{field: correlation_id, equals: ssh-00aa}"));
  EXPECT_TRUE(matches("{field: message, matches: '^Failed password'}"));
  EXPECT_TRUE(matches("{field: '@timestamp', gte: 1700000000000000000}"));
  EXPECT_TRUE(matches("{field: host.name, equals: node-1}"));  // from the batch
  batch_.events()[0].tier = kNoTier;
  batch_.events()[0].severity = Severity::kUnset;
  EXPECT_FALSE(matches("{field: tier, exists: true}"));
  EXPECT_FALSE(matches("{field: log.level, exists: true}"));
}

TEST_F(ConditionTest, In) {
  EXPECT_TRUE(matches("{field: log.level, in: [critical, high]}"));
  EXPECT_FALSE(matches("{field: log.level, in: [low, info]}"));
  EXPECT_TRUE(matches("{field: source.port, in: [21, 22]}"));
}

TEST_F(ConditionTest, Matches) {
  EXPECT_TRUE(matches("{field: message, matches: 'from \\d+\\.\\d+\\.\\d+\\.\\d+'}"));
  EXPECT_FALSE(matches("{field: message, matches: 'POSSIBLE BREAK-IN'}"));
  EXPECT_TRUE(matches("{field: source.port, matches: '^2\\d$'}"));  // numbers as text
}

TEST_F(ConditionTest, Exists) {
  EXPECT_TRUE(matches("{field: source.ip, exists: true}"));
  EXPECT_TRUE(matches("{field: user.name, exists: false}"));
  EXPECT_FALSE(matches("{field: user.name, exists: true}"));
}

TEST_F(ConditionTest, Ranges) {
  EXPECT_TRUE(matches("{field: substrate.peers, lte: 2}"));
  EXPECT_FALSE(matches("{field: substrate.peers, gte: 3}"));
  EXPECT_TRUE(matches("{field: substrate.peers, gte: 1, lte: 2}"));
  EXPECT_FALSE(matches("{field: substrate.peers, gte: 2.5, lte: 10}"));
  EXPECT_FALSE(matches("{field: event.action, gte: 0}"));  // not a number
  EXPECT_FALSE(matches("{field: no.such.field, lte: 5}"));
}

TEST_F(ConditionTest, Combinators) {
  EXPECT_TRUE(matches(R"(
all:
  - {field: event.action, equals: ssh_failed_password}
  - any:
      - {field: source.ip, equals: 10.0.0.8}
      - {field: source.ip, equals: 10.0.0.7}
  - not: {field: user.name, exists: true}
)"));
  EXPECT_FALSE(matches("{all: [{field: source.port, equals: 22}, {field: tls, equals: false}]}"));
  EXPECT_FALSE(matches("{any: [{field: source.port, equals: 1}, {field: tls, equals: false}]}"));
  EXPECT_FALSE(matches("{not: {field: source.port, equals: 22}}"));
}

TEST_F(ConditionTest, Cidr) {
  EXPECT_TRUE(matches("{field: source.ip, cidr: [10.0.0.0/8]}"));
  EXPECT_TRUE(matches("{field: source.ip, cidr: [192.168.0.0/16, 10.0.0.7/32]}"));
  EXPECT_TRUE(matches("{field: source.ip, cidr: 10.0.0.0/29}"));
  EXPECT_FALSE(matches("{field: source.ip, cidr: [10.0.0.8/29, 172.16.0.0/12]}"));
  EXPECT_FALSE(matches("{field: source.ip, cidr: [\"2001:db8::/32\"]}"));  // v4 is not in v6
  EXPECT_FALSE(matches("{field: event.action, cidr: [0.0.0.0/0]}"));       // not an address
  EXPECT_FALSE(matches("{field: no.such.field, cidr: [0.0.0.0/0]}"));
  addString(batch_, 0, "destination.ip", "2001:db8:85a3::8a2e:370:7334");
  EXPECT_TRUE(matches("{field: destination.ip, cidr: [\"2001:db8::/32\"]}"));
  EXPECT_FALSE(matches("{field: destination.ip, cidr: [\"2001:db9::/32\", 10.0.0.0/8]}"));
  EXPECT_TRUE(matches("{field: destination.ip, cidr: [\"::/0\"]}"));
  EXPECT_EQ(error("{field: source.ip, cidr: [10.0.0.0/33]}"),
            "c.yaml:1:27: '10.0.0.0/33': prefix length must be 0-32");
  EXPECT_EQ(error("{field: source.ip, cidr: [10.0.0/8]}"),
            "c.yaml:1:27: '10.0.0/8' is not an IP prefix (like 10.0.0.0/8 or 2001:db8::/32)");
  EXPECT_EQ(error("{field: source.ip, cidr: []}"),
            "c.yaml:1:26: cidr takes a non-empty list of prefixes");
}

TEST_F(ConditionTest, EqualsField) {
  addString(batch_, 0, "user.name", "root");
  addString(batch_, 0, "user.target.name", "root");
  addString(batch_, 0, "client.ip", "10.0.0.7");
  batch_.addField(batch_.events()[0], "destination.port", FieldValue::integer(22));
  EXPECT_TRUE(matches("{field: user.name, equals_field: user.target.name}"));
  EXPECT_TRUE(matches("{field: source.ip, equals_field: client.ip}"));
  EXPECT_TRUE(matches("{field: source.port, equals_field: destination.port}"));  // ints
  EXPECT_FALSE(matches("{field: source.ip, equals_field: user.name}"));
  EXPECT_FALSE(matches("{field: source.ip, equals_field: no.such.field}"));
  EXPECT_FALSE(matches("{field: no.such.field, equals_field: no.other.field}"));  // absent twice
  EXPECT_EQ(error("{field: a, equals_field: [b]}"), "c.yaml:1:26: expected a single value");
}

TEST_F(ConditionTest, TimeOfDayAndWeekdayInATimeZone) {
  // 2024-03-09 23:30 UTC is a Saturday; in New York (EST, UTC-5) it is 18:30 the same day, in
  // Tokyo (UTC+9) 08:30 on Sunday.
  addString(batch_, 0, "when", "2024-03-09T23:30:00Z");
  batch_.events()[0].timestamp_ns = 1710027000LL * 1'000'000'000;
  EXPECT_TRUE(matches("{field: '@timestamp', time_between: ['22:00', '06:00']}"));
  EXPECT_FALSE(matches("{field: '@timestamp', time_between: ['06:00', '22:00']}"));
  EXPECT_TRUE(matches("{field: when, time_between: ['23:30', '23:31']}"));
  EXPECT_FALSE(matches("{field: when, time_between: ['23:00', '23:30']}"));  // end excluded
  EXPECT_TRUE(matches("{field: when, weekdays: [sat, sun]}"));
  EXPECT_FALSE(matches("{field: when, weekdays: [mon, tue, wed, thu, fri]}"));
  EXPECT_TRUE(matches(
      "{field: when, time_between: ['18:00', '19:00'], weekdays: [saturday], timezone: "
      "America/New_York}"));
  EXPECT_TRUE(matches("{field: when, weekdays: [sun], timezone: Asia/Tokyo}"));
  EXPECT_FALSE(matches("{field: when, time_between: ['22:00', '06:00'], timezone: Asia/Tokyo}"));
  // A day later New York is on daylight time (UTC-4): 2024-03-10 23:30 UTC is 19:30 there.
  addString(batch_, 0, "later", "2024-03-10T23:30:00Z");
  EXPECT_TRUE(matches(
      "{field: later, time_between: ['19:30', '20:00'], timezone: America/New_York}"));
  EXPECT_FALSE(matches("{field: event.action, time_between: ['00:00', '24:00']}"));  // no time
  EXPECT_EQ(error("{field: when, time_between: ['25:00', '06:00']}"),
            "c.yaml:1:29: time_between takes two times of day, like [\"22:00\", \"06:00\"]");
  EXPECT_EQ(error("{field: when, weekdays: [someday]}"),
            "c.yaml:1:25: 'someday' is not a weekday (mon, tue, ... sun)");
  EXPECT_EQ(error("{field: when, weekdays: [sat], timezone: Mars/Olympus}"),
            "c.yaml:1:42: unknown time zone 'Mars/Olympus' (no /usr/share/zoneinfo/Mars/Olympus)");
  EXPECT_EQ(error("{field: when, equals: x, timezone: UTC}"),
            "c.yaml:1:36: timezone goes with time_between or weekdays");
  EXPECT_EQ(error("{field: when, equals: x, weekdays: [sat]}"),
            "c.yaml:1:26: 'weekdays' cannot be combined with 'equals'; use all or any to combine "
            "tests");
}

TEST_F(ConditionTest, ErrorsPointAtTheMistake) {
  EXPECT_EQ(error("field: event.action\nequal: x\n"),
            "c.yaml:2:1: unknown condition key 'equal' (known: field, equals, in, matches, "
            "exists, gte, lte, cidr, in_list, equals_field, time_between, weekdays, timezone, "
            "all, any, not)");
  EXPECT_EQ(error("field: message\nmatches: 'a(b'\n"),
            "c.yaml:2:10: invalid regular expression 'a(b': missing ): a(b");
  EXPECT_EQ(error("field: source.port\ngte: many\n"), "c.yaml:2:6: expected a number, got 'many'");
  EXPECT_EQ(error("field: source.ip\n"),
            "c.yaml:1:1: condition on 'source.ip' needs one of equals, in, matches, exists, gte, "
            "lte, cidr, in_list, equals_field, time_between, weekdays");
  EXPECT_EQ(error("equals: x\n"), "c.yaml:1:1: condition has no 'field' (or all, any, not)");
  EXPECT_EQ(error("field: a\nequals: x\nin: [y]\n"),
            "c.yaml:3:1: 'in' cannot be combined with 'equals'; use all or any to combine tests");
  EXPECT_EQ(error("field: a\nin: y\n"), "c.yaml:2:5: in takes a non-empty list of values");
  EXPECT_EQ(error("field: a\nequals: [x, y]\n"),
            "c.yaml:2:9: equals takes one value (use 'in' for a list)");
  EXPECT_EQ(error("field: a\nexists: maybe\n"), "c.yaml:2:9: expected true or false, got 'maybe'");
  EXPECT_EQ(error("all: {field: a, equals: b}\n"),
            "c.yaml:1:6: 'all' takes a non-empty list of conditions");
  EXPECT_EQ(error("all: []\n"), "c.yaml:1:6: 'all' takes a non-empty list of conditions");
  EXPECT_EQ(error("all: [{field: a, equals: b}]\nfield: c\n"),
            "c.yaml:2:8: 'all' takes its conditions as its value; field and operators go inside "
            "them");
  EXPECT_EQ(error("not: {field: a, equals: b}\nany: [{field: a, equals: b}]\n"),
            "c.yaml:2:1: 'any' cannot be combined with 'not' in one condition; nest them");
  // Nested mistakes are reported where they are, not at the top.
  EXPECT_EQ(error("any:\n  - {field: a, equals: b}\n  - {field: c, gte: x}\n"),
            "c.yaml:3:21: expected a number, got 'x'");
  EXPECT_EQ(error("not: 5\n"),
            "c.yaml:1:6: a condition is a map with field and one of equals, in, matches, exists, "
            "gte, lte; or all, any, not");
  EXPECT_EQ(error("field: '{a}'\nexists: true\n"), "c.yaml:1:8: '{a}' is not a field name");
}

TEST_F(ConditionTest, CopiesShareTheCompiledExpressions) {
  auto c = compile("{field: message, matches: 'root'}");
  ASSERT_TRUE(c);
  Condition copy = *c;
  c.reset();
  EXPECT_TRUE(copy.matches(batch_, batch_.events()[0]));
}

}  // namespace
}  // namespace logship
