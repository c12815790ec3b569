#include "outputs/common/template.h"

#include <gtest/gtest.h>

#include "tests/outputs/common/http_test_support.h"

namespace logship {
namespace {

using testing::makeBatch;

class OutputTemplateTest : public ::testing::Test {
 protected:
  std::string render(const std::string& text, bool dates = false) {
    OutputTemplate t;
    std::string error;
    EXPECT_TRUE(t.compile(text, dates, &error)) << error;
    t.setTierNames({"audit", "app"});
    std::string out;
    t.render(*batch_, batch_->events()[0], out);
    return out;
  }
  std::string compileError(const std::string& text, bool dates = false) {
    OutputTemplate t;
    std::string error;
    EXPECT_FALSE(t.compile(text, dates, &error));
    return error;
  }

  std::shared_ptr<Batch> batch_ = [] {
    // 2026-11-22T03:57:28Z
    auto b = makeBatch({"Failed password for root"}, AckToken(), "/var/log/auth.log",
                       1795319848'000000000);
    Event& e = b->events()[0];
    e.severity = Severity::kHigh;
    e.tier = 1;
    e.correlation_id = "c-42";
    b->addField(e, "source.ip", FieldValue::string("10.0.0.7"));
    b->addField(e, "source.port", FieldValue::integer(2222));
    b->addField(e, "score", FieldValue::real(0.5));
    b->addField(e, "event.ok", FieldValue::boolean(false));
    return b;
  }();
};

TEST_F(OutputTemplateTest, RendersEventFieldsBatchFieldsAndBuiltIns) {
  EXPECT_EQ(render("{host.name}/{source.ip}:{source.port}"), "web-1/10.0.0.7:2222");
  EXPECT_EQ(render("{tier}-{log.level}-{correlation_id}"), "app-high-c-42");
  EXPECT_EQ(render("{message}"), "Failed password for root");
  EXPECT_EQ(render("{score} {event.ok}"), "0.5 false");
  EXPECT_EQ(render("{log.file.path}"), "/var/log/auth.log");
}

TEST_F(OutputTemplateTest, MissingFieldsRenderEmptyAndBracesEscape) {
  EXPECT_EQ(render("a{user.name}b"), "ab");
  EXPECT_EQ(render("{{literal}} {tier}"), "{literal} app");
  OutputTemplate constant;
  std::string error;
  ASSERT_TRUE(constant.compile("fixed", false, &error));
  EXPECT_TRUE(constant.isConstant());
}

TEST_F(OutputTemplateTest, BuiltInsFallBackToFieldsWhenSlotsAreUnset) {
  Event& e = batch_->events()[0];
  e.severity = Severity::kUnset;
  e.tier = kNoTier;
  batch_->addField(e, "log.level", FieldValue::string("warning"));
  batch_->addField(e, "tier", FieldValue::string("custom"));
  EXPECT_EQ(render("{log.level}/{tier}"), "warning/custom");
}

TEST_F(OutputTemplateTest, DatesComeFromTheEventTimestampInUtc) {
  EXPECT_EQ(render("logs-{tier}-%Y.%m.%d", true), "logs-app-2026.11.22");
  EXPECT_EQ(render("%H%%", true), "03%");
  // Without dates enabled, percent signs are text.
  EXPECT_EQ(render("%Y"), "%Y");
  // Before 1970 the day still rounds down.
  batch_->events()[0].timestamp_ns = -1;
  EXPECT_EQ(render("%Y-%m-%d %H", true), "1969-12-31 23");
}

TEST_F(OutputTemplateTest, RejectsMalformedTemplates) {
  EXPECT_NE(compileError("{host.name").find("unclosed"), std::string::npos);
  EXPECT_NE(compileError("a}b").find("unmatched"), std::string::npos);
  EXPECT_NE(compileError("{}").find("empty"), std::string::npos);
  EXPECT_NE(compileError("%Q", true).find("unknown date directive"), std::string::npos);
}

TEST_F(OutputTemplateTest, ListsTheFieldsItReads) {
  OutputTemplate t;
  std::string error;
  ASSERT_TRUE(t.compile("{a.b}-x-{tier}", false, &error));
  EXPECT_EQ(t.fieldNames(), (std::vector<std::string>{"a.b", "tier"}));
}

}  // namespace
}  // namespace logship
