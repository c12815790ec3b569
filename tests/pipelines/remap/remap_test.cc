#include "pipelines/remap/remap.h"

#include <gtest/gtest.h>

#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

using testing::CapturingEmitter;
using testing::makeBatch;

class RemapTest : public testing::TransformTest {
 protected:
  std::unique_ptr<Batch> run(Transform& t, Batch b) {
    CapturingEmitter out;
    t.process(b, out);
    EXPECT_EQ(out.batches.size(), 1u);
    return std::move(out.batches.at(0));
  }

  // The event's fields as "key=value" in order (values as text), for whole-event assertions.
  static std::string fields(const Batch& b, size_t i) {
    std::string s;
    const Event& e = b.events()[i];
    for (uint16_t k = 0; k < e.field_count; ++k) {
      char buf[32];
      const FieldValue& v = e.fields[k].value;
      const char* kind = v.kind == FieldValue::Kind::kString   ? ""
                         : v.kind == FieldValue::Kind::kInt    ? "(int)"
                         : v.kind == FieldValue::Kind::kDouble ? "(float)"
                                                               : "(bool)";
      s += (s.empty() ? "" : " ") + std::string(e.fields[k].key) + "=" +
           std::string(valueText(v, buf)) + kind;
    }
    return s;
  }
};

TEST_F(RemapTest, MapsASourcesOwnNamesToEcs) {
  auto t = build("remap", R"(
type: remap
rename: {user: user.name, ip: source.ip, uid: user.id}
set: {event.module: chain, observer.name: "{host.name}/{user.name}"}
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"l"});
  b.addSharedString("host.name", "node-1");
  testing::addString(b, 0, "user", "alice");
  testing::addString(b, 0, "ip", "203.0.113.7");
  testing::addString(b, 0, "uid", "1001");
  auto out = run(*t, std::move(b));
  EXPECT_EQ(fields(*out, 0),
            "user.name=alice source.ip=203.0.113.7 user.id=1001 event.module=chain "
            "observer.name=node-1/alice");
}

TEST_F(RemapTest, OperationsRunInTheOrderWritten) {
  // Copy before the rename sees the old name; the later set sees the renamed field.
  auto t = build("remap", R"(
type: remap
copy: {ip: raw.ip}
rename: {ip: source.ip}
set: {note: "from {source.ip}", missing: "{no.such.field}"}
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"l"});
  testing::addString(b, 0, "ip", "10.0.0.1");
  auto out = run(*t, std::move(b));
  // The set of `missing` names an absent field and is skipped.
  EXPECT_EQ(fields(*out, 0), "source.ip=10.0.0.1 raw.ip=10.0.0.1 note=from 10.0.0.1");
  // The same as a list, where an operation may come twice.
  t = build("remap", R"(
type: remap
operations:
  - copy: {ip: raw.ip}
  - rename: {ip: source.ip}
  - set: {note: "from {source.ip}", missing: "{no.such.field}"}
  - rename: {raw.ip: original.ip}
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch c = makeBatch({"l"});
  testing::addString(c, 0, "ip", "10.0.0.1");
  EXPECT_EQ(fields(*run(*t, std::move(c)), 0),
            "source.ip=10.0.0.1 original.ip=10.0.0.1 note=from 10.0.0.1");
}

TEST_F(RemapTest, RenameReplacesWhatTheNewNameHeldAndDeleteRemoves) {
  auto t = build("remap", "{type: remap, rename: {a: b}, delete: [c, absent]}");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"l", "m"});
  testing::addString(b, 0, "b", "old");
  testing::addString(b, 0, "a", "new");
  testing::addString(b, 0, "c", "gone");
  testing::addString(b, 0, "d", "kept");
  testing::addString(b, 1, "b", "only b");
  auto out = run(*t, std::move(b));
  EXPECT_EQ(fields(*out, 0), "b=new d=kept");
  EXPECT_EQ(fields(*out, 1), "b=only b");
}

TEST_F(RemapTest, CoerceConvertsOrCountsAndLeavesAsItWas) {
  auto t = build("remap", R"(
type: remap
coerce: {n: int, f: float, b: bool, t: timestamp, bad: int, pid: int}
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"l"});
  testing::addString(b, 0, "n", "42");
  testing::addString(b, 0, "f", "3.5");
  testing::addString(b, 0, "b", "Yes");
  testing::addString(b, 0, "t", "1700000000");
  testing::addString(b, 0, "bad", "forty-two");
  b.addField(b.events()[0], "pid", FieldValue::real(12.0));
  auto out = run(*t, std::move(b));
  EXPECT_EQ(fields(*out, 0),
            "n=42(int) f=3.5(float) b=true(bool) t=2023-11-14T22:13:20.000000000Z bad=forty-two "
            "pid=12(int)");
  EXPECT_EQ(testing::metricValue(context_->registry_, "logship_remap_coerce_failures_total", {}),
            1);
}

TEST_F(RemapTest, LowercaseAndBatchWideFields) {
  auto t = build(
      "remap", "{type: remap, lowercase: [user.name, host.name], copy: {message: event.original}}");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"first line", "second"});
  b.addSharedString("host.name", "NODE-1");
  testing::addString(b, 0, "user.name", "Alice");
  testing::addString(b, 1, "user.name", "bob");
  auto out = run(*t, std::move(b));
  EXPECT_EQ(fields(*out, 0), "user.name=alice host.name=node-1 event.original=first line");
  EXPECT_EQ(fields(*out, 1), "user.name=bob host.name=node-1 event.original=second");
  EXPECT_TRUE(out->sharedFields().empty());  // no event carries host.name twice
}

TEST_F(RemapTest, ReplaceRewritesEveryMatchInFieldsAndTheMessage) {
  auto t = build("remap", R"(
type: remap
replace:
  message: {pattern: 'password=\S+', with: 'password=***'}
  url.path: {pattern: '/users/(\d+)/', with: '/users/<\1>/'}
  host.name: {pattern: '^([a-z]+)-(\d+)$', with: '\2.\1'}
  n: {pattern: '\d', with: 'x'}
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"login password=hunter2 then password=abc ok", "nothing to hide"});
  b.addSharedString("host.name", "node-7");
  testing::addString(b, 0, "url.path", "/users/12/a/users/345/b");
  b.addField(b.events()[0], "n", FieldValue::integer(42));  // only text values change
  testing::addString(b, 1, "url.path", "/static/x");
  auto out = run(*t, std::move(b));
  EXPECT_EQ(out->events()[0].message, "login password=*** then password=*** ok");
  EXPECT_EQ(fields(*out, 0), "url.path=/users/<12>/a/users/<345>/b n=42(int) host.name=7.node");
  EXPECT_EQ(out->events()[1].message, "nothing to hide");
  EXPECT_EQ(fields(*out, 1), "url.path=/static/x host.name=7.node");
}

TEST_F(RemapTest, ReplaceConfigErrors) {
  EXPECT_EQ(build("remap", "type: remap\nreplace: {a: {pattern: '(x', with: y}}\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:2:24: invalid regular expression '(x': missing ): (x");
  EXPECT_EQ(build("remap", "type: remap\nreplace: {a: {pattern: '(x)', with: '\\2'}}\n"), nullptr);
  EXPECT_EQ(firstError().rfind("t.yaml:2:37: ", 0), 0u) << firstError();
  EXPECT_EQ(build("remap", "type: remap\nreplace: {a: {pattern: x}}\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:2:14: replace of 'a' needs both pattern and with");
  EXPECT_EQ(build("remap", "type: remap\nreplace: {a: {pattern: x, with: y, by: z}}\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:2:36: unknown key 'by' (known: pattern, with)");
  EXPECT_EQ(build("remap", "type: remap\nreplace: {a: x}\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:2:14: replace of 'a' is {pattern: <regex>, with: <text>}");
  EXPECT_EQ(build("remap", "type: remap\nreplace: {tier: {pattern: x, with: y}}\n"), nullptr);
  EXPECT_EQ(firstError().rfind("t.yaml:2:11: 'tier' is not a field remap changes", 0), 0u)
      << firstError();
}

TEST_F(RemapTest, ConfigErrors) {
  EXPECT_EQ(build("remap", "type: remap\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:1:1: remap has no operation");
  EXPECT_EQ(build("remap", "type: remap\ncoerce: {a: decimal}\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:2:13: 'decimal' is not one of: int, float, bool, timestamp");
  EXPECT_EQ(build("remap", "type: remap\nrename: {message: msg}\n"), nullptr);
  EXPECT_EQ(firstError().rfind("t.yaml:2:10: 'message' is not a field remap changes", 0), 0u)
      << firstError();
  EXPECT_EQ(build("remap", "type: remap\nset: {a: \"{unclosed\"}\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:2:10: unclosed '{' in template '{unclosed'");
  EXPECT_EQ(build("remap", "type: remap\noperations: [{upcase: [a]}]\n"), nullptr);
  EXPECT_EQ(firstError(),
            "t.yaml:2:15: unknown operation 'upcase' (known: set, rename, copy, delete, coerce, "
            "lowercase, replace)");
  EXPECT_EQ(build("remap", "type: remap\nrenam: {a: b}\n"), nullptr);
  EXPECT_EQ(firstError().rfind("t.yaml:2:1: unknown option 'renam'", 0), 0u) << firstError();
}

}  // namespace
}  // namespace logship
