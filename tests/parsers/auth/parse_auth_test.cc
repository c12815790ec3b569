#include "parsers/auth/parse_auth.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/parsers/parser_test_support.h"
#include "tests/requirements.h"

namespace logship {
namespace {

using testing::buildOrFail;
using testing::CapturingEmitter;
using testing::FakeContext;
using testing::integer;
using testing::kCorpusReadTimeNs;
using testing::makeBatch;
using testing::parseFailed;
using testing::runLines;
using testing::str;
using testing::utcNs;

// "key=value" inside a PAM message ("... rhost=1.2.3.4  user=root"), empty when absent.
std::string pamValue(const std::string& text, const std::string& key) {
  size_t at = 0;
  while ((at = text.find(key + "=", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == ' ' || text[at - 1] == ';') {
      const size_t begin = at + key.size() + 1;
      const size_t end = text.find(' ', begin);
      return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    }
    at += key.size();
  }
  return {};
}

struct AuthExpectation {
  std::string action;  // empty: the line is not an auth event
  std::string category;
  std::string outcome;
  std::string user;
  std::string target_user;
  std::string rhost;
};

// The corpus rules, from what each line says: the auth lines of this corpus are PAM lines of
// sshd/su/login/gdm ("sshd(pam_unix)[pid]: ..."); everything else (ftpd, kernel, cron...) is not.
AuthExpectation expectAuth(const std::string& line) {
  AuthExpectation out;
  const size_t tag_end = line.find("(pam_unix)[");
  if (tag_end == std::string::npos) return out;
  const size_t tag_begin = line.rfind(' ', tag_end) + 1;
  const std::string service = line.substr(tag_begin, tag_end - tag_begin);
  std::string text = line.substr(line.find("]: ", tag_end) + 3);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  const bool su = service == "su";
  if (text.rfind("authentication failure;", 0) == 0) {
    out.action = su ? "su_failure" : "pam_auth_failure";
    out.category = "authentication";
    out.outcome = "failure";
    if (su) {
      out.target_user = pamValue(text, "user");
      out.user = pamValue(text, "ruser");
      if (out.user.empty()) out.user = pamValue(text, "logname");
    } else {
      out.user = pamValue(text, "user");
    }
    out.rhost = pamValue(text, "rhost");
  } else if (text == "check pass; user unknown") {
    out.action = "pam_check_pass_user_unknown";
    out.category = "authentication";
    out.outcome = "failure";
  } else if (text.rfind("session opened for user ", 0) == 0) {
    const std::string rest = text.substr(24);
    const std::string user = rest.substr(0, rest.find(' '));
    out.action = su ? "su_success" : "session_opened";
    out.category = su ? "authentication" : "session";
    out.outcome = "success";
    (su ? out.target_user : out.user) = user;
  } else if (text.rfind("session closed for user ", 0) == 0) {
    out.action = "session_closed";
    out.category = "session";
    out.outcome = "success";
    out.user = text.substr(24);
  }
  return out;
}

bool isDottedQuad(const std::string& text) {
  int parts = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t digits = 0;
    while (i < text.size() && isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
    if (digits == 0 || digits > 3) return false;
    ++parts;
    if (i < text.size() && text[i++] != '.') return false;
  }
  return parts == 4 && text.back() != '.';
}

void expectAuthFields(const Event& e, const AuthExpectation& expected, const std::string& line,
                      std::map<std::string, int>& seen) {
  if (expected.action.empty()) return;
  ++seen[expected.action];
  EXPECT_EQ(str(e, "event.action"), expected.action) << line;
  EXPECT_EQ(str(e, "event.category"), expected.category) << line;
  EXPECT_EQ(str(e, "event.outcome"), expected.outcome) << line;
  EXPECT_EQ(str(e, "user.name").value_or(""), expected.user) << line;
  EXPECT_EQ(str(e, "user.target.name").value_or(""), expected.target_user) << line;
  if (expected.rhost.empty()) {
    EXPECT_EQ(e.findField("source.ip"), nullptr) << line;
    EXPECT_EQ(e.findField("source.domain"), nullptr) << line;
  } else if (isDottedQuad(expected.rhost)) {
    EXPECT_EQ(str(e, "source.ip"), expected.rhost) << line;
    ++seen["rhost address"];
  } else {
    EXPECT_EQ(str(e, "source.domain"), expected.rhost) << line;
    ++seen["rhost name"];
  }
}

class ParseAuthCorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lines_ = testing::readLines("linux_syslog_2k.log");
    LOGSHIP_REQUIRE(!(lines_.empty()), "corpus not readable under " << LOGSHIP_CORPUS_DIR);
  }
  void expectEveryRuleFired(const std::map<std::string, int>& seen) {
    for (const char* rule : {"pam_auth_failure", "pam_check_pass_user_unknown", "su_success",
                             "session_opened", "session_closed", "rhost address", "rhost name"}) {
      EXPECT_GT(seen.count(rule), 0u) << rule << " never fired: the test proves nothing for it";
    }
  }
  std::vector<std::string> lines_;
};

TEST_F(ParseAuthCorpusTest, RawAuthLogLinesGetTheActionTheirTextImplies) {
  auto transform = buildOrFail("parse_auth");
  ASSERT_NE(transform, nullptr);
  FakeContext context;
  auto batch = runLines(*transform, lines_, kCorpusReadTimeNs, &context);
  ASSERT_NE(batch, nullptr);
  std::map<std::string, int> seen;
  for (size_t i = 0; i < lines_.size(); ++i) {
    const Event& e = batch->events()[i];
    const AuthExpectation expected = expectAuth(lines_[i]);
    EXPECT_FALSE(parseFailed(e)) << lines_[i];
    EXPECT_EQ(e.message, lines_[i]);
    if (expected.action.empty()) {
      // Not an auth event: no fields, but its own time, not the time it was read.
      EXPECT_EQ(e.field_count, 0) << lines_[i];
      EXPECT_NE(e.timestamp_ns, kCorpusReadTimeNs) << lines_[i];
      EXPECT_LT(e.timestamp_ns, kCorpusReadTimeNs) << lines_[i];
      continue;
    }
    expectAuthFields(e, expected, lines_[i], seen);
    // The header was read here, so its fields come too.
    EXPECT_EQ(str(e, "host.name"), "combo");
    EXPECT_TRUE(integer(e, "process.pid").has_value()) << lines_[i];
    EXPECT_NE(e.timestamp_ns, kCorpusReadTimeNs);
  }
  expectEveryRuleFired(seen);
  EXPECT_TRUE(context.counting().discarded_by_reason.empty());
}

TEST_F(ParseAuthCorpusTest, AfterParseSyslogTheParsedHeaderIsReused) {
  auto syslog = buildOrFail("parse_syslog");
  auto auth = buildOrFail("parse_auth");
  ASSERT_NE(syslog, nullptr);
  ASSERT_NE(auth, nullptr);
  auto parsed = runLines(*syslog, lines_, kCorpusReadTimeNs);
  ASSERT_NE(parsed, nullptr);
  CapturingEmitter out;
  FakeContext context;
  auth->start(context);
  auth->process(*parsed, out);
  ASSERT_EQ(out.batches.size(), 1u);
  const Batch& batch = *out.batches[0];
  std::map<std::string, int> seen;
  for (size_t i = 0; i < lines_.size(); ++i) {
    const Event& e = batch.events()[i];
    const AuthExpectation expected = expectAuth(lines_[i]);
    if (expected.action.empty()) {
      EXPECT_EQ(e.findField("event.action"), nullptr) << lines_[i];
      continue;
    }
    expectAuthFields(e, expected, lines_[i], seen);
    // Header fields were written once, by parse_syslog.
    int hosts = 0;
    for (uint16_t f = 0; f < e.field_count; ++f) hosts += e.fields[f].key == "host.name";
    EXPECT_EQ(hosts, 1) << lines_[i];
  }
  expectEveryRuleFired(seen);
}

TEST(ParseAuthTest, SshdSudoAndAccountLinesFromRawSyslog) {
  auto transform = buildOrFail("parse_auth");
  ASSERT_NE(transform, nullptr);
  auto batch = runLines(
      *transform,
      {"Mar  3 10:00:01 bastion sshd[811]: Failed password for invalid user admin from "
       "203.0.113.9 port 52144 ssh2",
       "<86>Mar  3 10:00:02 bastion sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
       "COMMAND=/usr/bin/systemctl restart nginx",
       "Mar  3 10:00:03 bastion useradd[900]: new user: name=deploy, UID=1001, GID=1001, "
       "home=/home/deploy, shell=/bin/bash, from=/dev/pts/0",
       "Mar  3 10:00:04 bastion CRON[901]: (root) CMD (run-parts /etc/cron.hourly)",
       "this is not syslog"},
      utcNs(2024, 3, 10, 0, 0, 0));
  ASSERT_NE(batch, nullptr);
  const auto& events = batch->events();
  EXPECT_EQ(str(events[0], "event.action"), "ssh_failed_password");
  EXPECT_EQ(str(events[0], "event.category"), "authentication");
  EXPECT_EQ(str(events[0], "event.outcome"), "failure");
  EXPECT_EQ(str(events[0], "user.name"), "admin");
  EXPECT_EQ(str(events[0], "source.ip"), "203.0.113.9");
  EXPECT_EQ(integer(events[0], "source.port"), 52144);
  EXPECT_EQ(str(events[0], "system.auth.ssh.method"), "password");
  EXPECT_EQ(integer(events[0], "process.pid"), 811);
  EXPECT_EQ(str(events[0], "process.name"), "sshd");
  EXPECT_EQ(str(events[0], "host.name"), "bastion");
  EXPECT_EQ(events[0].timestamp_ns, utcNs(2024, 3, 3, 10, 0, 1));

  EXPECT_EQ(str(events[1], "event.action"), "sudo_command");
  EXPECT_EQ(str(events[1], "user.name"), "alice");
  EXPECT_EQ(str(events[1], "user.target.name"), "root");
  EXPECT_EQ(str(events[1], "process.command_line"), "/usr/bin/systemctl restart nginx");
  EXPECT_EQ(str(events[1], "system.auth.tty"), "pts/0");
  EXPECT_EQ(events[1].severity, Severity::kInfo);  // <86> = authpriv.info

  EXPECT_EQ(str(events[2], "event.action"), "user_created");
  EXPECT_EQ(str(events[2], "event.category"), "iam");
  EXPECT_EQ(str(events[2], "user.target.name"), "deploy");

  EXPECT_EQ(events[3].field_count, 0);  // cron: not auth, untouched
  EXPECT_FALSE(parseFailed(events[3]));

  EXPECT_TRUE(parseFailed(events[4]));
  EXPECT_EQ(str(events[4], "event.parse_error"), "not a syslog line");
}

TEST(ParseAuthTest, JournaldEventsUseTheIdentifierField) {
  auto transform = buildOrFail("parse_auth");
  ASSERT_NE(transform, nullptr);
  FakeContext context;
  transform->start(context);
  Batch batch =
      makeBatch({"Accepted publickey for deploy from 2001:db8::5 port 40022 ssh2: "
                 "ED25519 SHA256:abc",
                 "New session 42 of user alice.", "no identifier here"});
  batch.addField(batch.events()[0], "SYSLOG_IDENTIFIER", FieldValue::string("sshd"));
  batch.addField(batch.events()[1], "process.name", FieldValue::string("systemd-logind"));
  CapturingEmitter out;
  transform->process(batch, out);
  ASSERT_EQ(out.batches.size(), 1u);
  const auto& events = out.batches[0]->events();
  EXPECT_EQ(str(events[0], "event.action"), "ssh_accepted_publickey");
  EXPECT_EQ(str(events[0], "event.outcome"), "success");
  EXPECT_EQ(str(events[0], "user.name"), "deploy");
  EXPECT_EQ(str(events[0], "source.ip"), "2001:db8::5");
  EXPECT_EQ(integer(events[0], "source.port"), 40022);
  EXPECT_EQ(events[0].findField("host.name"), nullptr);  // no header to read in journald
  EXPECT_EQ(str(events[1], "event.action"), "logind_new_session");
  EXPECT_EQ(str(events[1], "system.auth.session.id"), "42");
  EXPECT_EQ(str(events[1], "user.name"), "alice");
  // Without fields, auto mode reads a syslog header, which this line does not have.
  EXPECT_EQ(str(events[2], "event.parse_error"), "not a syslog line");
  EXPECT_EQ(context.counting().discarded_by_reason["parse_error"], 1u);
}

TEST(ParseAuthTest, InputModesAndHeaderOnEveryLine) {
  const std::vector<std::string> lines = {
      "Mar  3 10:00:04 bastion CRON[901]: (root) CMD (true)",
      "Mar  3 10:00:05 bastion su[902]: pam_unix(su:session): session opened for user root by "
      "alice(uid=1000)"};
  auto every = buildOrFail("parse_auth", "header_on_every_line: true");
  ASSERT_NE(every, nullptr);
  auto batch = runLines(*every, lines, utcNs(2024, 3, 10, 0, 0, 0));
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(str(batch->events()[0], "process.name"), "CRON");
  EXPECT_EQ(batch->events()[0].findField("event.action"), nullptr);
  EXPECT_EQ(str(batch->events()[1], "event.action"), "su_success");
  EXPECT_EQ(str(batch->events()[1], "user.name"), "alice");
  EXPECT_EQ(str(batch->events()[1], "user.target.name"), "root");

  // `fields` never reads the raw line: events without fields pass untouched, even non-syslog.
  auto fields = buildOrFail("parse_auth", "input: fields");
  ASSERT_NE(fields, nullptr);
  auto untouched = runLines(*fields, {lines[1], "not syslog"});
  ASSERT_NE(untouched, nullptr);
  EXPECT_EQ(untouched->events()[0].field_count, 0);
  EXPECT_EQ(untouched->events()[1].field_count, 0);

  Diagnostics diag;
  EXPECT_EQ(testing::buildTransform("parse_auth", "input: journal", diag), nullptr);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0], "t.yaml:1:8: 'journal' is not one of: auto, syslog, fields");
}

}  // namespace
}  // namespace logship
