#include "parsers/json/parse_json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/parsers/parser_test_support.h"

namespace logship {
namespace {

using testing::boolean;
using testing::buildOrFail;
using testing::buildTransform;
using testing::FakeContext;
using testing::integer;
using testing::isViewInto;
using testing::parseFailed;
using testing::real;
using testing::runLines;
using testing::str;
using testing::utcNs;

class ParseJsonTest : public ::testing::Test {
 protected:
  std::unique_ptr<Batch> run(const std::vector<std::string>& lines,
                             const std::string& options = "") {
    transform_ = buildOrFail("parse_json", options);
    if (transform_ == nullptr) return nullptr;
    return runLines(*transform_, lines, 0, &context_);
  }
  uint64_t parseErrorsCounted() { return context_.counting().discarded_by_reason["parse_error"]; }

  std::unique_ptr<Transform> transform_;
  FakeContext context_;
};

TEST_F(ParseJsonTest, TypicalAppLineSetsTimestampLevelMessageAndTypedFields) {
  const std::string line =
      R"({"@timestamp":"2024-01-02T03:04:05.123Z","level":"warn","msg":"disk almost full",)"
      R"("service":"api","latency_ms":12,"ratio":0.5,"ok":true,"nothing":null,)"
      R"("trace_id":"4bf92f3577b34da6","span_id":"00f067aa0ba902b7","neg":-7})";
  auto batch = run({line});
  ASSERT_NE(batch, nullptr);
  const Event& e = batch->events()[0];
  EXPECT_FALSE(parseFailed(e));
  EXPECT_EQ(e.timestamp_ns, utcNs(2024, 1, 2, 3, 4, 5, 123));
  EXPECT_EQ(e.severity, Severity::kMedium);
  EXPECT_EQ(e.message, "disk almost full");
  EXPECT_EQ(str(e, "event.original"), line);
  EXPECT_EQ(str(e, "service"), "api");
  EXPECT_EQ(integer(e, "latency_ms"), 12);
  EXPECT_EQ(integer(e, "neg"), -7);
  EXPECT_EQ(real(e, "ratio"), 0.5);
  EXPECT_EQ(boolean(e, "ok"), true);
  EXPECT_EQ(str(e, "trace.id"), "4bf92f3577b34da6");
  EXPECT_EQ(str(e, "span.id"), "00f067aa0ba902b7");
  // Consumed keys do not stay as fields, null members are left out.
  for (const char* gone : {"@timestamp", "level", "msg", "nothing", "trace_id", "span_id"}) {
    EXPECT_EQ(e.findField(gone), nullptr) << gone;
  }
  EXPECT_EQ(e.field_count, 8);
  EXPECT_EQ(parseErrorsCounted(), 0u);
}

TEST_F(ParseJsonTest, PinoLineWithNumericLevelAndEpochMillis) {
  auto batch =
      run({R"({"level":30,"time":1531171074631,"pid":657,"hostname":"box","msg":"hello"})",
           R"({"level":50,"time":1531171074,"msg":"boom"})",
           R"({"severity":3,"ts":"1700000000.5","msg":"syslog-numbered"})", R"({"level":"FATAL"})",
           R"({"lvl":"notice"})", R"({"level":"TRACE"})", R"({"level":"verbose2"})"});
  ASSERT_NE(batch, nullptr);
  const auto& events = batch->events();
  EXPECT_EQ(events[0].severity, Severity::kInfo);
  EXPECT_EQ(events[0].timestamp_ns, 1'531'171'074'631'000'000);
  EXPECT_EQ(integer(events[0], "process.pid"), 657);
  EXPECT_EQ(str(events[0], "host.name"), "box");
  EXPECT_EQ(events[1].severity, Severity::kHigh);
  EXPECT_EQ(events[1].timestamp_ns, 1'531'171'074'000'000'000);
  EXPECT_EQ(events[2].severity, Severity::kHigh);
  EXPECT_EQ(events[2].timestamp_ns, 1'700'000'000'500'000'000);
  EXPECT_EQ(events[3].severity, Severity::kCritical);
  EXPECT_EQ(events[4].severity, Severity::kLow);
  EXPECT_EQ(events[5].severity, Severity::kDebug);
  // An unknown level is not guessed: it stays a field and the level stays unset.
  EXPECT_EQ(events[6].severity, Severity::kUnset);
  EXPECT_EQ(str(events[6], "level"), "verbose2");
}

TEST_F(ParseJsonTest, NestedObjectsAreFlattenedToDottedKeys) {
  auto batch = run({R"({"a":{"b":1,"c":{"d":"x"}},"e":2,"log":{"level":"error"},"empty":{}})"});
  ASSERT_NE(batch, nullptr);
  const Event& e = batch->events()[0];
  EXPECT_EQ(integer(e, "a.b"), 1);
  EXPECT_EQ(str(e, "a.c.d"), "x");
  EXPECT_EQ(integer(e, "e"), 2);
  // ECS loggers nest the level; the flattened name is recognised.
  EXPECT_EQ(e.severity, Severity::kHigh);
  EXPECT_EQ(e.findField("log.level"), nullptr);
  EXPECT_EQ(e.field_count, 3);
}

TEST_F(ParseJsonTest, NestedKeepStoresObjectsAsRawJsonText) {
  auto batch = run({R"({"a":{"b":1, "c":{"d":"x"}},"e":2})"}, "nested: keep");
  ASSERT_NE(batch, nullptr);
  const Event& e = batch->events()[0];
  EXPECT_EQ(str(e, "a"), R"({"b":1, "c":{"d":"x"}})");
  EXPECT_EQ(integer(e, "e"), 2);
  EXPECT_EQ(e.findField("a.b"), nullptr);
}

TEST_F(ParseJsonTest, ArraysStayJsonText) {
  auto batch = run({R"({"tags":["a","b"], "n":[1,[2,3],{"x":null}] ,"last":[]})"});
  ASSERT_NE(batch, nullptr);
  const Event& e = batch->events()[0];
  EXPECT_EQ(str(e, "tags"), R"(["a","b"])");
  EXPECT_EQ(str(e, "n"), R"([1,[2,3],{"x":null}])");
  EXPECT_EQ(str(e, "last"), "[]");
}

TEST_F(ParseJsonTest, EscapesAreUnescapedIntoTheArenaAndPlainStringsViewTheBatch) {
  const std::string line =
      R"({"msg":"line1\nline2 \"q\" \u00e9\ud83d\ude00","k\"ey":"v\\","plain":"as is","k\u0041":1})";
  // The second line is long enough that the first one is parsed in place, inside the batch buffer.
  const std::string filler = R"({"pad":")" + std::string(100, 'p') + R"("})";
  auto batch = run({line, filler});
  ASSERT_NE(batch, nullptr);
  // Parsing more documents on this thread reuses the parser's buffers; the first batch must not
  // have kept views into them.
  auto other =
      run({R"({"msg":"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\tzz","k\"ey":"\\\\\\\\\\\\"})"});
  ASSERT_NE(other, nullptr);
  const Event& e = batch->events()[0];
  EXPECT_EQ(e.message, "line1\nline2 \"q\" \xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(str(e, "k\"ey"), "v\\");
  EXPECT_EQ(str(e, "plain"), "as is");
  EXPECT_EQ(integer(e, "kA"), 1);
  EXPECT_TRUE(isViewInto(e.findField("plain")->value.string_value, batch->raw()));
  EXPECT_FALSE(isViewInto(e.message, batch->raw()));
  EXPECT_EQ(str(batch->events()[1], "pad"), std::string(100, 'p'));
}

TEST_F(ParseJsonTest, LinesAtTheEndOfTheBufferAreCopiedAndParseTheSame) {
  const std::string line = R"({"msg":"same","user":{"name":"bob"},"n":5})";
  auto single = run({line});                              // no padding after it: copied
  auto many = run({line, std::string(200, ' ') + "{}"});  // parsed in place
  ASSERT_NE(single, nullptr);
  ASSERT_NE(many, nullptr);
  for (const Batch* b : {single.get(), many.get()}) {
    const Event& e = b->events()[0];
    EXPECT_EQ(e.message, "same");
    EXPECT_EQ(str(e, "user.name"), "bob");
    EXPECT_EQ(integer(e, "n"), 5);
    // Views land in the batch whichever buffer simdjson read.
    EXPECT_TRUE(isViewInto(e.findField("user.name")->value.string_value, b->raw()));
  }
}

TEST_F(ParseJsonTest, InvalidJsonIsShippedRawWithAReasonAndCounted) {
  const std::vector<std::string> lines = {R"({"a":1,)",
                                          R"(not json at all)",
                                          R"({"a":tru})",
                                          R"([1,2])",
                                          R"({"a":1} trailing)",
                                          R"({"a":1}})",
                                          R"({"a" 1})",
                                          R"("just a string")",
                                          "",
                                          R"({"a":"\x"})",
                                          R"({"a":01})",
                                          "{\"a\":\"\xff\xfe\"}",
                                          R"({"msg":"ok","b":nul})"};
  auto batch = run(lines);
  ASSERT_NE(batch, nullptr);
  ASSERT_EQ(batch->events().size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const Event& e = batch->events()[i];
    EXPECT_TRUE(parseFailed(e)) << lines[i];
    EXPECT_EQ(e.message, lines[i]);  // the raw line, even when msg was read before the error
    auto reason = str(e, "event.parse_error");
    ASSERT_TRUE(reason.has_value()) << lines[i];
    EXPECT_FALSE(reason->empty());
    EXPECT_EQ(e.field_count, 1) << lines[i] << " kept fields of a half-parsed line";
    EXPECT_EQ(e.severity, Severity::kUnset);
  }
  EXPECT_EQ(str(batch->events()[3], "event.parse_error"), "not a JSON object");
  EXPECT_EQ(str(batch->events()[11], "event.parse_error"), "invalid UTF-8 in JSON");
  EXPECT_EQ(parseErrorsCounted(), lines.size());
}

TEST_F(ParseJsonTest, DepthLimitKeepsDeeperObjectsWhole) {
  auto batch = run({R"({"a":{"b":{"c":{"d":1}}},"top":1})"}, "max_depth: 2");
  ASSERT_NE(batch, nullptr);
  const Event& e = batch->events()[0];
  EXPECT_FALSE(parseFailed(e));
  EXPECT_EQ(str(e, "a.b"), R"({"c":{"d":1}})");
  EXPECT_EQ(integer(e, "top"), 1);
}

TEST_F(ParseJsonTest, PathologicalNestingStaysBoundedAndUnbalancedIsAnError) {
  // Walking stops at max_depth, so deep input costs no recursion: the rest is kept as text.
  std::string arrays = R"({"a":)";
  std::string objects = "{";
  for (int i = 0; i < 5000; ++i) {
    arrays += "[";
    objects += R"("o":{)";
  }
  for (int i = 0; i < 5000; ++i) {
    arrays += "]";
    objects += "}";
  }
  arrays += "}";
  objects += "}";
  std::string unbalanced = R"({"a":)" + std::string(5000, '[') + "}";
  auto batch = run({arrays, objects, unbalanced, R"({"ok":1})"}, "max_depth: 3");
  ASSERT_NE(batch, nullptr);
  const auto& events = batch->events();
  EXPECT_FALSE(parseFailed(events[0]));
  EXPECT_EQ(str(events[0], "a"), arrays.substr(5, arrays.size() - 6));
  EXPECT_FALSE(parseFailed(events[1]));
  const std::optional<std::string> kept = str(events[1], "o.o.o");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->size(), objects.size() - 3 * 5 - 3);
  EXPECT_TRUE(parseFailed(events[2]));
  EXPECT_EQ(integer(events[3], "ok"), 1);
}

TEST_F(ParseJsonTest, SizeLimitRejectsLongLines) {
  const std::string big = R"({"msg":")" + std::string(300, 'x') + R"("})";
  auto batch = run({big, R"({"msg":"small"})"}, "max_bytes: 256");
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(str(batch->events()[0], "event.parse_error"), "JSON larger than max_bytes");
  EXPECT_EQ(batch->events()[0].message, big);
  EXPECT_EQ(batch->events()[1].message, "small");
}

TEST_F(ParseJsonTest, FieldLimitCountsWhatWasLeftOut) {
  auto batch = run({R"({"a":1,"b":2,"c":3,"d":4,"e":5,"msg":"m"})"}, "max_fields: 3");
  ASSERT_NE(batch, nullptr);
  const Event& e = batch->events()[0];
  EXPECT_EQ(integer(e, "a"), 1);
  EXPECT_EQ(integer(e, "c"), 3);
  EXPECT_EQ(e.findField("d"), nullptr);
  EXPECT_EQ(integer(e, "log.truncated_fields"), 2);
  EXPECT_EQ(e.message, "m");  // the message is not a field and is never cut
}

TEST_F(ParseJsonTest, WrappedJsonAfterAPrefix) {
  auto batch = run({R"(2024-01-02 12:00:00 INFO app:  {"msg":"hi","user":"bob"})",
                    R"({"msg":"no prefix"})", "no json here"},
                   "wrapped: true");
  ASSERT_NE(batch, nullptr);
  const auto& events = batch->events();
  EXPECT_EQ(events[0].message, "hi");
  EXPECT_EQ(str(events[0], "log.prefix"), "2024-01-02 12:00:00 INFO app:");
  EXPECT_EQ(str(events[0], "user"), "bob");
  EXPECT_EQ(events[1].message, "no prefix");
  EXPECT_EQ(events[1].findField("log.prefix"), nullptr);
  EXPECT_EQ(str(events[2], "event.parse_error"), "no JSON object in line");
}

TEST_F(ParseJsonTest, WithoutWrappedAPrefixIsAnErrorButSpacesAreNot) {
  auto batch = run({R"(INFO {"msg":"hi"})", " \t {\"msg\":\"spaced\"}  \t"});
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(str(batch->events()[0], "event.parse_error"), "not a JSON object");
  EXPECT_EQ(batch->events()[1].message, "spaced");
}

TEST_F(ParseJsonTest, BigIntegersKeepTheirDigits) {
  auto batch = run({R"({"id":123456789012345678901234567890,"u":18446744073709551615})"});
  ASSERT_NE(batch, nullptr);
  const Event& e = batch->events()[0];
  EXPECT_EQ(str(e, "id"), "123456789012345678901234567890");
  EXPECT_EQ(real(e, "u"), 18446744073709551615.0);
}

TEST_F(ParseJsonTest, ParsesAFieldInsteadOfTheMessage) {
  transform_ = buildOrFail("parse_json", "field: syslog.message");
  ASSERT_NE(transform_, nullptr);
  transform_->start(context_);
  Batch batch = testing::makeBatch({"<13>Jan  1 00:00:00 h app: {\"msg\":\"inner\"}", "no field"});
  batch.addField(
      batch.events()[0], "syslog.message",
      FieldValue::string(batch.events()[0].message.substr(batch.events()[0].message.find('{'))));
  testing::CapturingEmitter out;
  transform_->process(batch, out);
  ASSERT_EQ(out.batches.size(), 1u);
  const auto& events = out.batches[0]->events();
  EXPECT_EQ(events[0].message, "inner");
  EXPECT_EQ(str(events[0], "event.original"), "<13>Jan  1 00:00:00 h app: {\"msg\":\"inner\"}");
  EXPECT_EQ(str(events[1], "event.parse_error"), "field to parse is missing");
}

TEST_F(ParseJsonTest, ZoneLessTimestampsUseTheConfiguredOffset) {
  auto batch = run({R"({"time":"2024-01-02 03:04:05"})"}, "timezone_offset: '+02:00'");
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->events()[0].timestamp_ns, utcNs(2024, 1, 2, 1, 4, 5));
}

TEST(ParseJsonConfigTest, UnknownOptionsAndBadValuesAreRejectedWithTheirLocation) {
  Diagnostics diag;
  EXPECT_EQ(testing::buildTransform("parse_json", "nested: keep\nnestd: keep", diag), nullptr);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0].rfind("t.yaml:2:1: unknown option 'nestd'", 0), 0u)
      << diag.errors()[0];

  Diagnostics bad;
  EXPECT_EQ(testing::buildTransform("parse_json",
                                    "nested: deep\nmax_depth: 0\ntimezone_offset: Mars", bad),
            nullptr);
  ASSERT_EQ(bad.errors().size(), 3u);
  EXPECT_EQ(bad.errors()[0], "t.yaml:1:9: 'deep' is not one of: flatten, keep");
  EXPECT_EQ(bad.errors()[1].rfind("t.yaml:3:18: timezone_offset 'Mars'", 0), 0u) << bad.errors()[1];
  EXPECT_EQ(bad.errors()[2], "t.yaml:2:12: max_depth must be between 1 and 64");
}

}  // namespace
}  // namespace logship
