#include "pipelines/tag_severity/tag_severity.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "agent/support/ascii.h"
#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

using namespace severity_text;
using testing::addString;
using testing::CapturingEmitter;
using testing::makeBatch;

TEST(SeverityTextTest, TextNumbersPriAndWords) {
  EXPECT_EQ(levelFromText("ERROR"), Severity::kHigh);
  EXPECT_EQ(levelFromText("warn"), Severity::kMedium);
  EXPECT_EQ(levelFromText("Warning"), Severity::kMedium);
  EXPECT_EQ(levelFromText("crit"), Severity::kCritical);
  EXPECT_EQ(levelFromText("FATAL"), Severity::kCritical);
  EXPECT_EQ(levelFromText("emerg"), Severity::kCritical);
  EXPECT_EQ(levelFromText("notice"), Severity::kLow);
  EXPECT_EQ(levelFromText("[info]"), Severity::kInfo);
  EXPECT_EQ(levelFromText("trace"), Severity::kDebug);
  EXPECT_EQ(levelFromText("E"), Severity::kHigh);
  EXPECT_EQ(levelFromText("medium"), Severity::kMedium);
  EXPECT_EQ(levelFromText("50"), Severity::kHigh);  // bunyan in a string
  EXPECT_EQ(levelFromText("banana"), Severity::kUnset);
  EXPECT_EQ(levelFromText(""), Severity::kUnset);

  EXPECT_EQ(levelFromNumber(0), Severity::kCritical);  // syslog emerg
  EXPECT_EQ(levelFromNumber(3), Severity::kHigh);      // err
  EXPECT_EQ(levelFromNumber(4), Severity::kMedium);    // warning
  EXPECT_EQ(levelFromNumber(5), Severity::kLow);       // notice
  EXPECT_EQ(levelFromNumber(6), Severity::kInfo);
  EXPECT_EQ(levelFromNumber(7), Severity::kDebug);
  EXPECT_EQ(levelFromNumber(10), Severity::kDebug);  // bunyan trace
  EXPECT_EQ(levelFromNumber(30), Severity::kInfo);
  EXPECT_EQ(levelFromNumber(40), Severity::kMedium);
  EXPECT_EQ(levelFromNumber(50), Severity::kHigh);
  EXPECT_EQ(levelFromNumber(60), Severity::kCritical);
  EXPECT_EQ(levelFromNumber(8), Severity::kUnset);

  EXPECT_EQ(levelFromPri("<34>Oct 11 22:14:15 mymachine su: 'su root' failed"),
            Severity::kCritical);
  EXPECT_EQ(levelFromPri("<13>Oct 11 22:14:15 host app: hello"), Severity::kLow);
  EXPECT_EQ(levelFromPri("<999>x"), Severity::kUnset);
  EXPECT_EQ(levelFromPri("<>x"), Severity::kUnset);
  EXPECT_EQ(levelFromPri("<1"), Severity::kUnset);

  EXPECT_EQ(levelFromWords("kernel: Kernel panic - not syncing"), Severity::kCritical);
  EXPECT_EQ(levelFromWords("sshd[1]: error: Could not load host key"), Severity::kHigh);
  EXPECT_EQ(levelFromWords("2024-01-01 WARN disk almost full"), Severity::kMedium);
  EXPECT_EQ(levelFromWords("INFO started; 0 errors"), Severity::kInfo);  // first word wins
  // Prose words count only as capitalised tags; longer words containing a level do not count.
  EXPECT_EQ(levelFromWords("more info at the debug page"), Severity::kUnset);
  EXPECT_EQ(levelFromWords("log_error=0 errors=0 terrorist"), Severity::kUnset);
  EXPECT_EQ(levelFromWords("session opened for user news"), Severity::kUnset);
  EXPECT_EQ(levelFromWords(""), Severity::kUnset);

  // Every level word in any case, and its near misses: one letter more or less, a digit or '_'
  // in place of a letter.
  for (auto [word, level] : {std::pair{"EMERGENCY", Severity::kCritical},
                             std::pair{"Crit", Severity::kCritical},
                             std::pair{"fAtAl", Severity::kCritical},
                             std::pair{"Err", Severity::kHigh},
                             std::pair{"SEVERE", Severity::kHigh},
                             std::pair{"Warning", Severity::kMedium},
                             std::pair{"NOTICE", Severity::kLow},
                             std::pair{"INFORMATIONAL", Severity::kInfo},
                             std::pair{"VERBOSE", Severity::kDebug},
                             std::pair{"TRACE", Severity::kDebug}}) {
    EXPECT_EQ(levelFromWords(std::string("x ") + word + " y"), level) << word;
    EXPECT_EQ(levelFromText(word), level) << word;
  }
  for (const char* miss : {"ERRO", "ERRORS", "ERR0R", "ERR_R", "WARNINGS", "INFORMATIONALS",
                           "EMERGENC", "PANICKED", "DEBUGGER", "LOWER"}) {
    EXPECT_EQ(levelFromWords(std::string("x ") + miss + " y"), Severity::kUnset) << miss;
    EXPECT_EQ(levelFromText(miss), Severity::kUnset) << miss;
  }
}

class TagSeverityTest : public testing::TransformTest {};

// Words are found 64 bytes at a time: a level word at every offset around the block edges, glued
// to word bytes or not, and at the very end of the message.
TEST(SeverityTextTest, WordsAcrossBlockBoundaries) {
  using severity_text::levelFromWords;
  for (size_t at = 0; at < 200; ++at) {
    std::string text(at, 'x');
    for (size_t i = 7; i < at; i += 8) text[i] = ' ';  // filler words of seven letters
    const bool glued = at > 0 && text.back() == 'x';
    EXPECT_EQ(levelFromWords(text + "ERROR"), glued ? Severity::kUnset : Severity::kHigh) << at;
    EXPECT_EQ(levelFromWords(text + "ERROR tail"), glued ? Severity::kUnset : Severity::kHigh)
        << at;
    EXPECT_EQ(levelFromWords(text + "ERRORS"), Severity::kUnset) << at;
    EXPECT_EQ(levelFromWords(std::string(at, ' ') + "fatal" + std::string(at, '_')),
              at == 0 ? Severity::kCritical : Severity::kUnset)
        << at;  // '_' is a word byte: "fatal___" is no level word
    EXPECT_EQ(levelFromWords(std::string(at, '-') + "warn"), Severity::kMedium) << at;
  }
}

// Random messages of level words (in every case), near misses, other words and separators, some
// glued together, against a plain word-by-word reading of what the level words are.
TEST(SeverityTextTest, RandomMessagesMatchAWordByWordReading) {
  using severity_text::levelFromWords;
  struct Level {
    Severity level;
    bool tag_only;  // counts only written without lower-case letters
  };
  const std::map<std::string, Level> levels = {
      {"emerg", {Severity::kCritical, false}},    {"emergency", {Severity::kCritical, false}},
      {"alert", {Severity::kCritical, true}},     {"crit", {Severity::kCritical, false}},
      {"critical", {Severity::kCritical, false}}, {"fatal", {Severity::kCritical, false}},
      {"panic", {Severity::kCritical, false}},    {"err", {Severity::kHigh, false}},
      {"error", {Severity::kHigh, false}},        {"severe", {Severity::kHigh, false}},
      {"high", {Severity::kHigh, true}},          {"warn", {Severity::kMedium, false}},
      {"warning", {Severity::kMedium, false}},    {"medium", {Severity::kMedium, true}},
      {"notice", {Severity::kLow, true}},         {"low", {Severity::kLow, true}},
      {"info", {Severity::kInfo, true}},          {"information", {Severity::kInfo, true}},
      {"informational", {Severity::kInfo, true}}, {"debug", {Severity::kDebug, true}},
      {"trace", {Severity::kDebug, true}},        {"verbose", {Severity::kDebug, true}},
  };
  auto reference = [&](std::string_view text) {
    for (size_t i = 0; i < text.size();) {
      size_t j = i;
      while (j < text.size() && isWordByte(static_cast<unsigned char>(text[j]))) ++j;
      if (j == i) {
        ++i;
        continue;
      }
      std::string word(text.substr(i, j - i)), lower;
      for (char c : word) lower += asciiLower(c);
      if (auto it = levels.find(lower); it != levels.end()) {
        if (!it->second.tag_only ||
            std::none_of(word.begin(), word.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
          return it->second.level;
        }
      }
      i = j;
    }
    return Severity::kUnset;
  };
  std::vector<std::string> tokens = {"session", "failed", "Password", "x",        "12",
                                     "user_1",  "ERRO",   "Errors",   "panicked", "EMERGENC",
                                     "lo",      "in",     "de",       "fa"};
  for (const auto& [name, level] : levels) {
    std::string upper, capital = name;
    for (char c : name) upper += static_cast<char>(c - 32);
    capital[0] = static_cast<char>(capital[0] - 32);
    tokens.insert(tokens.end(), {name, upper, capital});
  }
  const std::vector<std::string> separators = {" ", " ",  "-",        ": ", "[", "]",
                                               "=", "\"", "\xc3\xa9", "\t", ""};
  std::mt19937 random(11);
  for (int trial = 0; trial < 20000; ++trial) {
    std::string text;
    const int count = static_cast<int>(random() % 40);
    for (int t = 0; t < count; ++t) {
      // Level words are rare, as in real messages: most messages are read to their end.
      const std::string& token =
          random() % 8 == 0 ? tokens[random() % tokens.size()] : tokens[random() % 14];
      text += token;
      text += separators[random() % separators.size()];
    }
    ASSERT_EQ(levelFromWords(text), reference(text)) << text;
  }
}

TEST_F(TagSeverityTest, SourcesInOrderThenDefault) {
  auto t = build("tag_severity", "{type: tag_severity}");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"no level here", "{\"msg\":\"x\"}", "ERROR in message but field says info",
                       "<11>Jun 14 host app: something", "syslog code wins over words: ERROR",
                       "set by the parser", "the kernel said panic", "bunyan"});
  addString(b, 1, "level", "warn");
  addString(b, 2, "log.level", "info");
  b.addField(b.events()[4], "log.syslog.severity.code", FieldValue::integer(7));
  b.events()[5].severity = Severity::kLow;
  b.addField(b.events()[7], "level", FieldValue::integer(60));
  CapturingEmitter out;
  t->process(b, out);
  ASSERT_EQ(out.batches.size(), 1u);
  auto& e = out.batches[0]->events();
  EXPECT_EQ(e[0].severity, Severity::kInfo);  // default
  EXPECT_EQ(e[1].severity, Severity::kMedium);
  EXPECT_EQ(e[2].severity, Severity::kInfo);
  EXPECT_EQ(e[3].severity, Severity::kHigh);  // <11> = user.err
  EXPECT_EQ(e[4].severity, Severity::kDebug);
  EXPECT_EQ(e[5].severity, Severity::kLow);  // kept: no overwrite
  EXPECT_EQ(e[6].severity, Severity::kCritical);
  EXPECT_EQ(e[7].severity, Severity::kCritical);
}

TEST_F(TagSeverityTest, RulesSetAndRaise) {
  auto t = build("tag_severity", R"(
type: tag_severity
default: none
rules:
  - when: {field: message, matches: 'POSSIBLE BREAK-IN ATTEMPT'}
    set: high
  - when: {field: event.outcome, equals: failure}
    raise_to: medium
  - when: {field: event.action, equals: user_created}
    set: low
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({
      "reverse mapping checking getaddrinfo for x [1.2.3.4] failed - POSSIBLE BREAK-IN ATTEMPT!",
      "Failed password for root",
      "ERROR Failed password for admin",
      "new user: name=bob",
      "nothing at all",
  });
  addString(b, 1, "event.outcome", "failure");
  addString(b, 2, "event.outcome", "failure");
  addString(b, 3, "event.action", "user_created");
  b.events()[3].severity = Severity::kCritical;
  CapturingEmitter out;
  t->process(b, out);
  auto& e = out.batches[0]->events();
  EXPECT_EQ(e[0].severity, Severity::kHigh);
  EXPECT_EQ(e[1].severity, Severity::kMedium);  // raised from unset
  EXPECT_EQ(e[2].severity, Severity::kHigh);    // raise_to never lowers
  EXPECT_EQ(e[3].severity, Severity::kLow);     // set does
  EXPECT_EQ(e[4].severity, Severity::kUnset);   // default: none
}

TEST_F(TagSeverityTest, OverwriteReDerives) {
  auto t = build("tag_severity", "{type: tag_severity, overwrite: true}");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"FATAL boom"});
  b.events()[0].severity = Severity::kInfo;
  CapturingEmitter out;
  t->process(b, out);
  EXPECT_EQ(out.batches[0]->events()[0].severity, Severity::kCritical);
}

TEST_F(TagSeverityTest, ConfigErrors) {
  EXPECT_EQ(build("tag_severity", "type: tag_severity\ndefault: loud\n"), nullptr);
  EXPECT_EQ(firstError(),
            "t.yaml:2:10: 'loud' is not one of: critical, high, medium, low, info, debug, none");
  EXPECT_EQ(
      build("tag_severity",
            "type: tag_severity\nrules:\n  - when: {field: a, exists: true}\n    set: huge\n"),
      nullptr);
  EXPECT_EQ(firstError(),
            "t.yaml:4:10: 'huge' is not one of: critical, high, medium, low, info, debug");
  EXPECT_EQ(build("tag_severity", "type: tag_severity\nrules:\n  - {set: high}\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:3:5: a rule needs when and one of set or raise_to");
  EXPECT_EQ(build("tag_severity",
                  "type: tag_severity\nrules:\n  - {when: {field: a, exists: true}, to: high}\n"),
            nullptr);
  EXPECT_EQ(firstError(), "t.yaml:3:38: unknown rule key 'to' (known: when, set, raise_to)");
}

}  // namespace
}  // namespace logship
