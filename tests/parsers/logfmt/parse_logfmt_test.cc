#include "parsers/logfmt/parse_logfmt.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/parsers/parser_test_support.h"

namespace logship {
namespace {

using testing::boolean;
using testing::buildOrFail;
using testing::FakeContext;
using testing::integer;
using testing::isViewInto;
using testing::parseFailed;
using testing::runLines;
using testing::str;
using testing::utcNs;

class ParseLogfmtTest : public ::testing::Test {
 protected:
  std::unique_ptr<Batch> run(const std::vector<std::string>& lines,
                             const std::string& options = "") {
    transform_ = buildOrFail("parse_logfmt", options);
    if (transform_ == nullptr) return nullptr;
    return runLines(*transform_, lines, 0, &context_);
  }

  std::unique_ptr<Transform> transform_;
  FakeContext context_;
};

TEST_F(ParseLogfmtTest, PairsQuotedValuesAndBareKeys) {
  const std::string line =
      R"(ts=2024-01-02T03:04:05Z level=info msg="hello \"world\"" user=bob count=3 ok path=/a=b)";
  auto batch = run({line});
  ASSERT_NE(batch, nullptr);
  const Event& e = batch->events()[0];
  EXPECT_FALSE(parseFailed(e));
  EXPECT_EQ(e.timestamp_ns, utcNs(2024, 1, 2, 3, 4, 5));
  EXPECT_EQ(e.severity, Severity::kInfo);
  EXPECT_EQ(e.message, "hello \"world\"");
  EXPECT_EQ(str(e, "event.original"), line);
  EXPECT_EQ(str(e, "user"), "bob");
  EXPECT_EQ(str(e, "count"), "3");  // logfmt values are text
  EXPECT_EQ(boolean(e, "ok"), true);
  EXPECT_EQ(str(e, "path"), "/a=b");
  EXPECT_EQ(e.field_count, 5);
  // Unquoted values view the batch; the unescaped one lives in the arena.
  EXPECT_TRUE(isViewInto(e.findField("user")->value.string_value, batch->raw()));
  EXPECT_FALSE(isViewInto(e.message, batch->raw()));
}

TEST_F(ParseLogfmtTest, EscapesEmptyValuesAndSpacing) {
  auto batch = run({R"(a="x\ny\t\\z\q" b= c="" d="no escapes"   e=1	f=2 trace_id=abc)"});
  ASSERT_NE(batch, nullptr);
  const Event& e = batch->events()[0];
  EXPECT_EQ(str(e, "a"), "x\ny\t\\z\\q");  // an unknown escape is kept as written
  EXPECT_EQ(str(e, "b"), "");
  EXPECT_EQ(str(e, "c"), "");
  EXPECT_EQ(str(e, "d"), "no escapes");
  EXPECT_TRUE(isViewInto(e.findField("d")->value.string_value, batch->raw()));
  EXPECT_EQ(str(e, "e"), "1");
  EXPECT_EQ(str(e, "f"), "2");
  EXPECT_EQ(str(e, "trace.id"), "abc");
  EXPECT_EQ(e.message, batch->events()[0].message);  // no msg key: message untouched
  EXPECT_EQ(e.findField("event.original"), nullptr);
}

TEST_F(ParseLogfmtTest, MalformedLinesAreShippedWithAReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"(a="unterminated)", "unterminated quoted value"},
      {R"(a="ends with backslash\)", "unterminated quoted value"},
      {R"(=x)", "missing key before '='"},
      {R"(a="x"y)", "text after closing quote"},
      {R"("q"=1)", "unexpected quote in key"},
      {"   ", "empty line"},
      {R"(level=error msg="half" b="x)", "unterminated quoted value"},
  };
  std::vector<std::string> lines;
  for (const auto& [line, reason] : cases) lines.push_back(line);
  auto batch = run(lines);
  ASSERT_NE(batch, nullptr);
  for (size_t i = 0; i < cases.size(); ++i) {
    const Event& e = batch->events()[i];
    EXPECT_TRUE(parseFailed(e)) << cases[i].first;
    EXPECT_EQ(str(e, "event.parse_error"), cases[i].second) << cases[i].first;
    EXPECT_EQ(e.message, cases[i].first);
    EXPECT_EQ(e.severity, Severity::kUnset);
    EXPECT_EQ(e.field_count, 1);
  }
  EXPECT_EQ(context_.counting().discarded_by_reason["parse_error"], cases.size());
}

TEST_F(ParseLogfmtTest, BareKeysCanBeRefused) {
  auto batch = run({"hello world", "a=1 b"}, "bare_keys: false");
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(str(batch->events()[0], "event.parse_error"), "word without '='");
  EXPECT_EQ(str(batch->events()[1], "event.parse_error"), "word without '='");
}

TEST_F(ParseLogfmtTest, LevelsAreNormalised) {
  auto batch = run({"level=WARNING", "lvl=err", "severity=debug", "level=7", "level=weird"});
  ASSERT_NE(batch, nullptr);
  const auto& events = batch->events();
  EXPECT_EQ(events[0].severity, Severity::kMedium);
  EXPECT_EQ(events[1].severity, Severity::kHigh);
  EXPECT_EQ(events[2].severity, Severity::kDebug);
  EXPECT_EQ(events[3].severity, Severity::kDebug);
  EXPECT_EQ(events[4].severity, Severity::kUnset);
  EXPECT_EQ(str(events[4], "level"), "weird");
}

TEST_F(ParseLogfmtTest, FieldLimit) {
  auto batch = run({"a=1 b=2 c=3 d=4"}, "max_fields: 2");
  ASSERT_NE(batch, nullptr);
  const Event& e = batch->events()[0];
  EXPECT_EQ(str(e, "b"), "2");
  EXPECT_EQ(e.findField("c"), nullptr);
  EXPECT_EQ(integer(e, "log.truncated_fields"), 2);
}

}  // namespace
}  // namespace logship
