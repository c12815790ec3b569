#include "pipelines/route/route.h"

#include <gtest/gtest.h>

#include "tests/agent/batch_messages.h"
#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

using testing::addString;
using testing::CapturingEmitter;
using testing::makeBatch;
using testing::messages;

class RecordingReceiver final : public AckReceiver {
 public:
  void acknowledge(uint64_t cookie, AckStatus status) override {
    ++calls;
    last_cookie = cookie;
    last_status = status;
  }
  int calls = 0;
  uint64_t last_cookie = 0;
  AckStatus last_status = AckStatus::kDelivered;
};

class RouteTest : public testing::TransformTest {
 protected:
  std::unique_ptr<Transform> buildRoutes() {
    return build("route", R"(
type: route
routes:
  auth: {when: {field: event.category, equals: authentication}}
  errors: {field: log.level, in: [critical, high]}
)");
  }
  // auth, auth+errors, errors, neither
  Batch mixed(AckToken ack = AckToken()) {
    Batch b = makeBatch({"login ok", "login failed badly", "disk error", "hello"}, std::move(ack));
    addString(b, 0, "event.category", "authentication");
    addString(b, 1, "event.category", "authentication");
    b.events()[1].severity = Severity::kHigh;
    b.events()[2].severity = Severity::kCritical;
    b.addSharedString("host.name", "web-1");
    return b;
  }
  const Batch* port(const CapturingEmitter& out, const std::string& name) {
    for (size_t i = 0; i < out.ports.size(); ++i) {
      if (out.ports[i] == name) return out.batches[i].get();
    }
    return nullptr;
  }
};

TEST_F(RouteTest, PortsAndEveryMatchingRoute) {
  auto t = buildRoutes();
  ASSERT_NE(t, nullptr) << firstError();
  EXPECT_EQ(t->ports(), (std::vector<std::string>{"auth", "errors", "_unmatched"}));
  Batch b = mixed();
  CapturingEmitter out;
  t->process(b, out);
  ASSERT_EQ(out.batches.size(), 3u);
  const Batch* auth = port(out, "auth");
  const Batch* errors = port(out, "errors");
  const Batch* rest = port(out, "_unmatched");
  ASSERT_TRUE(auth && errors && rest);
  EXPECT_EQ(messages(*auth), (std::vector<std::string>{"login ok", "login failed badly"}));
  EXPECT_EQ(messages(*errors), (std::vector<std::string>{"login failed badly", "disk error"}));
  EXPECT_EQ(messages(*rest), (std::vector<std::string>{"hello"}));
  // Copies carry fields, severity and the batch's shared fields.
  for (const Batch* p : {auth, errors, rest}) {
    for (auto& e : p->events()) {
      ASSERT_NE(p->findField(e, "host.name"), nullptr);
      EXPECT_EQ(p->findField(e, "host.name")->value.string_value, "web-1");
    }
  }
  EXPECT_EQ(errors->events()[0].severity, Severity::kHigh);
  EXPECT_EQ(errors->findField(errors->events()[0], "event.category")->value.string_value,
            "authentication");
}

TEST_F(RouteTest, CopiesOutliveTheOriginal) {
  auto t = buildRoutes();
  CapturingEmitter out;
  {
    Batch b = mixed();
    t->process(b, out);
  }
  // Whichever port got the original, the others must not view into freed memory.
  std::vector<std::string> all;
  for (auto& p : out.batches) {
    for (auto& m : messages(*p)) all.push_back(m);
  }
  EXPECT_EQ(all.size(), 5u);
}

TEST_F(RouteTest, SourceAckResolvesOnlyAfterEverySubBatch) {
  auto t = buildRoutes();
  RecordingReceiver receiver;
  CapturingEmitter out;
  {
    Batch b = mixed(AckToken(&receiver, 42));
    t->process(b, out);
    // What process() left of the input batch is released here, as the topology does.
  }
  ASSERT_EQ(out.batches.size(), 3u);
  EXPECT_EQ(receiver.calls, 0);
  out.batches[0]->ack().resolve(AckStatus::kDelivered);
  EXPECT_EQ(receiver.calls, 0);
  out.batches[2]->ack().resolve(AckStatus::kErrored);
  EXPECT_EQ(receiver.calls, 0);
  out.batches[1]->ack().resolve(AckStatus::kDelivered);
  EXPECT_EQ(receiver.calls, 1);
  EXPECT_EQ(receiver.last_cookie, 42u);
  EXPECT_EQ(receiver.last_status, AckStatus::kErrored);  // the worst of them
}

TEST_F(RouteTest, SingleRouteBatchIsPassedWithoutCopy) {
  auto t = buildRoutes();
  RecordingReceiver receiver;
  Batch b = makeBatch({"a", "b"}, AckToken(&receiver, 7));
  const char* raw = b.raw().data();
  CapturingEmitter out;
  t->process(b, out);
  ASSERT_EQ(out.batches.size(), 1u);
  EXPECT_EQ(out.ports[0], "_unmatched");
  EXPECT_EQ(out.batches[0]->raw().data(), raw);
  out.batches.clear();  // released downstream: delivered
  EXPECT_EQ(receiver.calls, 1);
  EXPECT_EQ(receiver.last_status, AckStatus::kDelivered);
}

TEST_F(RouteTest, ConfigErrors) {
  EXPECT_EQ(build("route", "type: route\nroutes:\n  _x: {field: a, exists: true}\n"), nullptr);
  EXPECT_EQ(firstError(),
            "t.yaml:3:3: route name '_x' must be letters, digits, '_' or '-' and not start with "
            "'_'");
  EXPECT_EQ(build("route", "type: route\nroutes:\n  a.b: {field: a, exists: true}\n"), nullptr);
  EXPECT_EQ(build("route", "type: route\nroutes:\n  auth: {when: {field: a, equal: b}}\n"),
            nullptr);
  EXPECT_EQ(firstError(),
            "t.yaml:3:27: unknown condition key 'equal' (known: field, equals, in, matches, "
            "exists, gte, lte, cidr, in_list, equals_field, time_between, weekdays, timezone, "
            "all, any, not)");
  EXPECT_EQ(build("route", "type: route\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:1:1: missing required option 'routes'");
}

}  // namespace
}  // namespace logship
