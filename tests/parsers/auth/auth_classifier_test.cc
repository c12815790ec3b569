#include "parsers/auth/auth_classifier.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/common/syslog_parser.h"
#include "tests/parsers/parser_test_support.h"
#include "tests/requirements.h"

#ifndef LOGSHIP_CORPUS_DIR
#error "LOGSHIP_CORPUS_DIR must name the directory holding linux_syslog_2k.log"
#endif

namespace logship::auth {
namespace {

using logship::testing::isViewInto;

// Every extracted value must point into the message; category/outcome/action are constants.
void expectWellFormed(const AuthEvent& e, std::string_view message) {
  for (std::string_view field : {e.user, e.source_ip, e.target_user, e.command, e.auth_method,
                                 e.tty, e.source_host, e.group, e.session_id}) {
    EXPECT_TRUE(isViewInto(field, message)) << field << " not inside " << message;
  }
  EXPECT_FALSE(e.action.empty());
  EXPECT_TRUE(e.category == category::kAuthentication || e.category == category::kIam ||
              e.category == category::kSession)
      << e.category;
  EXPECT_TRUE(e.outcome == outcome::kSuccess || e.outcome == outcome::kFailure ||
              e.outcome == outcome::kUnknown)
      << e.outcome;
  if (!e.source_ip.empty()) {
    EXPECT_TRUE(isIpAddress(e.source_ip)) << e.source_ip;
  }
  if (!e.source_host.empty()) {
    EXPECT_FALSE(isIpAddress(e.source_host)) << e.source_host;
  }
}

void expectUnclassified(const AuthEvent& e) {
  EXPECT_EQ(e.action, "");
  EXPECT_EQ(e.category, "");
  EXPECT_EQ(e.outcome, "");
  EXPECT_EQ(e.user, "");
  EXPECT_EQ(e.source_ip, "");
  EXPECT_EQ(e.source_host, "");
  EXPECT_EQ(e.target_user, "");
  EXPECT_EQ(e.command, "");
  EXPECT_EQ(e.tty, "");
  EXPECT_EQ(e.source_port, -1);
  EXPECT_EQ(e.attempts, -1);
}

// Category is fixed by the action; this is the specification table, kept apart from the code.
std::string_view expectedCategory(std::string_view action_name) {
  static const std::map<std::string_view, std::string_view> kTable = {
      {action::kUserCreated, category::kIam},
      {action::kUserDeleted, category::kIam},
      {action::kUserModified, category::kIam},
      {action::kUserAddedToGroup, category::kIam},
      {action::kUserRemovedFromGroup, category::kIam},
      {action::kGroupMembersSet, category::kIam},
      {action::kGroupCreated, category::kIam},
      {action::kGroupDeleted, category::kIam},
      {action::kPasswordChanged, category::kIam},
      {action::kSessionOpened, category::kSession},
      {action::kSessionClosed, category::kSession},
      {action::kSshDisconnect, category::kSession},
      {action::kSshConnectionClosed, category::kSession},
      {action::kLogindNewSession, category::kSession},
      {action::kLogindSessionRemoved, category::kSession},
  };
  const auto it = kTable.find(action_name);
  return it == kTable.end() ? category::kAuthentication : it->second;
}

struct Case {
  std::string_view program;
  std::string_view message;
  std::string_view action;
  std::string_view outcome;
  std::string_view user = {};
  std::string_view target_user = {};
  std::string_view source_ip = {};
  std::string_view source_host = {};
  int source_port = -1;
  std::string_view auth_method = {};
  std::string_view tty = {};
  std::string_view command = {};
  std::string_view group = {};
  std::string_view session_id = {};
  int attempts = -1;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.program << ": " << c.message; }

class ClassifiedLineTest : public ::testing::TestWithParam<Case> {};

TEST_P(ClassifiedLineTest, ExtractsEveryField) {
  const Case& c = GetParam();
  AuthEvent e;
  ASSERT_TRUE(classifyAuth(c.program, c.message, e));
  EXPECT_EQ(e.action, c.action);
  EXPECT_EQ(e.category, expectedCategory(c.action));
  EXPECT_EQ(e.outcome, c.outcome);
  EXPECT_EQ(e.user, c.user);
  EXPECT_EQ(e.target_user, c.target_user);
  EXPECT_EQ(e.source_ip, c.source_ip);
  EXPECT_EQ(e.source_host, c.source_host);
  EXPECT_EQ(e.source_port, c.source_port);
  EXPECT_EQ(e.auth_method, c.auth_method);
  EXPECT_EQ(e.tty, c.tty);
  EXPECT_EQ(e.command, c.command);
  EXPECT_EQ(e.group, c.group);
  EXPECT_EQ(e.session_id, c.session_id);
  EXPECT_EQ(e.attempts, c.attempts);
  expectWellFormed(e, c.message);
}

// OpenSSH lines as written by real servers (several from Loghub's OpenSSH_2k, the rest from
// current OpenSSH releases).
INSTANTIATE_TEST_SUITE_P(
    Sshd, ClassifiedLineTest,
    ::testing::Values(
        Case{.program = "sshd",
             .message = "Failed password for invalid user webmaster from 173.234.31.186 port "
                        "38926 ssh2",
             .action = action::kSshFailedPassword,
             .outcome = outcome::kFailure,
             .user = "webmaster",
             .source_ip = "173.234.31.186",
             .source_port = 38926,
             .auth_method = "password"},
        Case{.program = "sshd",
             .message = "Failed password for root from 5.36.59.76 port 42393 ssh2",
             .action = action::kSshFailedPassword,
             .outcome = outcome::kFailure,
             .user = "root",
             .source_ip = "5.36.59.76",
             .source_port = 42393,
             .auth_method = "password"},
        Case{.program = "sshd",
             .message = "Failed password for invalid user  from 2001:db8::7 port 22 ssh2",
             .action = action::kSshFailedPassword,
             .outcome = outcome::kFailure,
             .source_ip = "2001:db8::7",
             .source_port = 22,
             .auth_method = "password"},
        Case{.program = "sshd",
             .message = "Failed password for invalid user a from b from 10.1.2.3 port 22 ssh2",
             .action = action::kSshFailedPassword,
             .outcome = outcome::kFailure,
             .user = "a from b",
             .source_ip = "10.1.2.3",
             .source_port = 22,
             .auth_method = "password"},
        Case{.program = "sshd-session",
             .message = "Failed publickey for root from 10.0.0.5 port 50022 ssh2: RSA "
                        "SHA256:Qm9vbSBmcm9tIHRoZSBmdXR1cmU",
             .action = action::kSshFailedPublickey,
             .outcome = outcome::kFailure,
             .user = "root",
             .source_ip = "10.0.0.5",
             .source_port = 50022,
             .auth_method = "publickey"},
        Case{.program = "sshd",
             .message = "Failed keyboard-interactive/pam for invalid user bob from 1.2.3.4 port "
                        "4000 ssh2",
             .action = action::kSshFailedKeyboardInteractive,
             .outcome = outcome::kFailure,
             .user = "bob",
             .source_ip = "1.2.3.4",
             .source_port = 4000,
             .auth_method = "keyboard-interactive/pam"},
        Case{.program = "sshd",
             .message = "Failed none for invalid user admin from 1.2.3.4 port 4001 ssh2",
             .action = action::kSshFailedOther,
             .outcome = outcome::kFailure,
             .user = "admin",
             .source_ip = "1.2.3.4",
             .source_port = 4001,
             .auth_method = "none"},
        Case{.program = "sshd",
             .message = "Invalid user webmaster from 173.234.31.186",
             .action = action::kSshInvalidUser,
             .outcome = outcome::kFailure,
             .user = "webmaster",
             .source_ip = "173.234.31.186"},
        Case{.program = "sshd",
             .message = "Invalid user test9 from 52.80.34.196 port 36060",
             .action = action::kSshInvalidUser,
             .outcome = outcome::kFailure,
             .user = "test9",
             .source_ip = "52.80.34.196",
             .source_port = 36060},
        Case{.program = "/usr/sbin/sshd",
             .message = "Illegal user guest from ::ffff:192.0.2.9",
             .action = action::kSshInvalidUser,
             .outcome = outcome::kFailure,
             .user = "guest",
             .source_ip = "::ffff:192.0.2.9"},
        Case{.program = "sshd",
             .message = "Accepted password for fztu from 119.137.62.142 port 49116 ssh2",
             .action = action::kSshAcceptedPassword,
             .outcome = outcome::kSuccess,
             .user = "fztu",
             .source_ip = "119.137.62.142",
             .source_port = 49116,
             .auth_method = "password"},
        Case{.program = "sshd",
             .message = "Accepted publickey for deploy from 10.0.0.5 port 50022 ssh2: ED25519 "
                        "SHA256:abcdefghijklmnop",
             .action = action::kSshAcceptedPublickey,
             .outcome = outcome::kSuccess,
             .user = "deploy",
             .source_ip = "10.0.0.5",
             .source_port = 50022,
             .auth_method = "publickey"},
        Case{.program = "sshd",
             .message = "Accepted password for alice from gw.example.org port 2222 ssh2",
             .action = action::kSshAcceptedPassword,
             .outcome = outcome::kSuccess,
             .user = "alice",
             .source_host = "gw.example.org",
             .source_port = 2222,
             .auth_method = "password"},
        Case{.program = "sshd",
             .message = "Disconnected from user deploy 10.0.0.5 port 50022",
             .action = action::kSshDisconnect,
             .outcome = outcome::kUnknown,
             .user = "deploy",
             .source_ip = "10.0.0.5",
             .source_port = 50022},
        Case{.program = "sshd",
             .message = "Disconnected from invalid user admin 1.2.3.4 port 4242 [preauth]",
             .action = action::kSshDisconnect,
             .outcome = outcome::kUnknown,
             .user = "admin",
             .source_ip = "1.2.3.4",
             .source_port = 4242},
        Case{.program = "sshd",
             .message = "Disconnected from authenticating user root 1.2.3.4 port 4243 [preauth]",
             .action = action::kSshDisconnect,
             .outcome = outcome::kUnknown,
             .user = "root",
             .source_ip = "1.2.3.4",
             .source_port = 4243},
        Case{.program = "sshd",
             .message = "Disconnected from 1.2.3.4 port 4244 [preauth]",
             .action = action::kSshDisconnect,
             .outcome = outcome::kUnknown,
             .source_ip = "1.2.3.4",
             .source_port = 4244},
        Case{.program = "sshd",
             .message = "Received disconnect from 112.95.230.3: 11: Bye Bye [preauth]",
             .action = action::kSshDisconnect,
             .outcome = outcome::kUnknown,
             .source_ip = "112.95.230.3"},
        Case{.program = "sshd",
             .message = "Received disconnect from 2001:db8::1 port 51234:11: disconnected by user",
             .action = action::kSshDisconnect,
             .outcome = outcome::kUnknown,
             .source_ip = "2001:db8::1",
             .source_port = 51234},
        Case{.program = "sshd",
             .message = "Connection closed by 212.47.254.145 [preauth]",
             .action = action::kSshConnectionClosed,
             .outcome = outcome::kUnknown,
             .source_ip = "212.47.254.145"},
        Case{.program = "sshd",
             .message = "Connection closed by authenticating user root 1.2.3.4 port 51234 "
                        "[preauth]",
             .action = action::kSshConnectionClosed,
             .outcome = outcome::kUnknown,
             .user = "root",
             .source_ip = "1.2.3.4",
             .source_port = 51234},
        Case{.program = "sshd",
             .message = "Connection closed by invalid user oracle 1.2.3.4 port 51235 [preauth]",
             .action = action::kSshConnectionClosed,
             .outcome = outcome::kUnknown,
             .user = "oracle",
             .source_ip = "1.2.3.4",
             .source_port = 51235},
        Case{.program = "sshd",
             .message = "reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com "
                        "[173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
             .action = action::kSshBreakInAttempt,
             .outcome = outcome::kUnknown,
             .source_ip = "173.234.31.186",
             .source_host = "ns.marryaldkfaczcz.com"},
        Case{.program = "sshd",
             .message = "Address 123.235.32.19 maps to "
                        "19.32.235.123.broad.qd.sd.dynamic.163data.com.cn, but this does not map "
                        "back to the address - POSSIBLE BREAK-IN ATTEMPT!",
             .action = action::kSshBreakInAttempt,
             .outcome = outcome::kUnknown,
             .source_ip = "123.235.32.19",
             .source_host = "19.32.235.123.broad.qd.sd.dynamic.163data.com.cn"},
        Case{.program = "sshd",
             .message = "error: maximum authentication attempts exceeded for root from "
                        "5.36.59.76 port 42393 ssh2 [preauth]",
             .action = action::kSshMaxAuthTries,
             .outcome = outcome::kFailure,
             .user = "root",
             .source_ip = "5.36.59.76",
             .source_port = 42393},
        Case{.program = "sshd",
             .message = "error: maximum authentication attempts exceeded for invalid user "
                        "support from 1.2.3.4 port 6000 ssh2 [preauth]",
             .action = action::kSshMaxAuthTries,
             .outcome = outcome::kFailure,
             .user = "support",
             .source_ip = "1.2.3.4",
             .source_port = 6000},
        Case{.program = "sshd",
             .message = "Disconnecting: Too many authentication failures for root [preauth]",
             .action = action::kSshMaxAuthTries,
             .outcome = outcome::kFailure,
             .user = "root"},
        Case{.program = "sshd",
             .message = "Disconnecting authenticating user root 1.2.3.4 port 6001: Too many "
                        "authentication failures [preauth]",
             .action = action::kSshMaxAuthTries,
             .outcome = outcome::kFailure,
             .user = "root",
             .source_ip = "1.2.3.4",
             .source_port = 6001},
        Case{.program = "sshd",
             .message = "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh "
                        "ruser= rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  user=root",
             .action = action::kSshPamRepeatedFailures,
             .outcome = outcome::kFailure,
             .user = "root",
             .source_host = "5.36.59.76.dynamic-dsl-ip.omantel.net.om",
             .tty = "ssh",
             .attempts = 5}));

INSTANTIATE_TEST_SUITE_P(
    Pam, ClassifiedLineTest,
    ::testing::Values(
        Case{.program = "sshd",
             .message = "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
                        "tty=ssh ruser= rhost=173.234.31.186 ",
             .action = action::kPamAuthFailure,
             .outcome = outcome::kFailure,
             .source_ip = "173.234.31.186",
             .tty = "ssh"},
        Case{.program = "sshd",
             .message = "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
                        "tty=ssh ruser= rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  user=root",
             .action = action::kPamAuthFailure,
             .outcome = outcome::kFailure,
             .user = "root",
             .source_host = "5.36.59.76.dynamic-dsl-ip.omantel.net.om",
             .tty = "ssh"},
        Case{.program = "sshd(pam_unix)",
             .message = "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= "
                        "rhost=220-135-151-1.hinet-ip.hinet.net  user=root",
             .action = action::kPamAuthFailure,
             .outcome = outcome::kFailure,
             .user = "root",
             .source_host = "220-135-151-1.hinet-ip.hinet.net",
             .tty = "NODEVssh"},
        Case{.program = "gdm(pam_unix)",
             .message = "authentication failure; logname= uid=0 euid=0 tty=:0 ruser= rhost= ",
             .action = action::kPamAuthFailure,
             .outcome = outcome::kFailure,
             .tty = ":0"},
        Case{.program = "sshd",
             .message = "pam_unix(sshd:auth): check pass; user unknown",
             .action = action::kPamCheckPassUserUnknown,
             .outcome = outcome::kFailure},
        Case{.program = "sshd(pam_unix)",
             .message = "check pass; user unknown",
             .action = action::kPamCheckPassUserUnknown,
             .outcome = outcome::kFailure},
        Case{.program = "sshd",
             .message = "pam_unix(sshd:session): session opened for user fztu by (uid=0)",
             .action = action::kSessionOpened,
             .outcome = outcome::kSuccess,
             .user = "fztu"},
        Case{.program = "sshd",
             .message = "pam_unix(sshd:session): session opened for user deploy(uid=1001) by "
                        "(uid=0)",
             .action = action::kSessionOpened,
             .outcome = outcome::kSuccess,
             .user = "deploy"},
        Case{.program = "sshd",
             .message = "pam_unix(sshd:session): session closed for user deploy",
             .action = action::kSessionClosed,
             .outcome = outcome::kSuccess,
             .user = "deploy"},
        Case{.program = "login(pam_unix)",
             .message = "session opened for user root by LOGIN(uid=0)",
             .action = action::kSessionOpened,
             .outcome = outcome::kSuccess,
             .user = "root"},
        Case{.program = "CRON",
             .message = "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
             .action = action::kSessionOpened,
             .outcome = outcome::kSuccess,
             .user = "root"},
        Case{.program = "cron",
             .message = "pam_unix(cron:session): session closed for user root",
             .action = action::kSessionClosed,
             .outcome = outcome::kSuccess,
             .user = "root"},
        Case{.program = "sshd",
             .message = "pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 "
                        "tty=ssh ruser= rhost=10.9.8.7 user=carol",
             .action = action::kPamAuthFailure,
             .outcome = outcome::kFailure,
             .user = "carol",
             .source_ip = "10.9.8.7",
             .tty = "ssh"},
        Case{.program = "passwd",
             .message = "pam_unix(passwd:chauthtok): password changed for alice",
             .action = action::kPasswordChanged,
             .outcome = outcome::kSuccess,
             .target_user = "alice"}));

INSTANTIATE_TEST_SUITE_P(
    SudoSu, ClassifiedLineTest,
    ::testing::Values(
        Case{.program = "sudo",
             .message = "    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
                        "COMMAND=/usr/bin/apt update",
             .action = action::kSudoCommand,
             .outcome = outcome::kSuccess,
             .user = "alice",
             .target_user = "root",
             .tty = "pts/0",
             .command = "/usr/bin/apt update"},
        Case{.program = "sudo",
             .message = "alice : TTY=pts/0 ; PWD=/srv ; USER=www-data ; COMMAND=/bin/sh -c echo "
                        "a ; echo b",
             .action = action::kSudoCommand,
             .outcome = outcome::kSuccess,
             .user = "alice",
             .target_user = "www-data",
             .tty = "pts/0",
             .command = "/bin/sh -c echo a ; echo b"},
        Case{.program = "sudo",
             .message = "  deploy : PWD=/opt/app ; USER=root ; COMMAND=/usr/bin/systemctl "
                        "restart app",
             .action = action::kSudoCommand,
             .outcome = outcome::kSuccess,
             .user = "deploy",
             .target_user = "root",
             .command = "/usr/bin/systemctl restart app"},
        Case{.program = "sudo",
             .message = "alice : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/alice ; "
                        "USER=root ; COMMAND=/bin/cat /etc/shadow",
             .action = action::kSudoAuthFailure,
             .outcome = outcome::kFailure,
             .user = "alice",
             .target_user = "root",
             .tty = "pts/1",
             .command = "/bin/cat /etc/shadow",
             .attempts = 3},
        Case{.program = "sudo",
             .message = "alice : 1 incorrect password attempt ; TTY=pts/1 ; PWD=/ ; USER=root ; "
                        "COMMAND=/bin/true",
             .action = action::kSudoAuthFailure,
             .outcome = outcome::kFailure,
             .user = "alice",
             .target_user = "root",
             .tty = "pts/1",
             .command = "/bin/true",
             .attempts = 1},
        Case{.program = "sudo",
             .message = "pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 "
                        "euid=0 tty=/dev/pts/1 ruser=alice rhost=  user=alice",
             .action = action::kSudoAuthFailure,
             .outcome = outcome::kFailure,
             .user = "alice",
             .tty = "/dev/pts/1"},
        Case{.program = "sudo",
             .message = "     bob : user NOT in sudoers ; TTY=pts/2 ; PWD=/home/bob ; USER=root "
                        "; COMMAND=/bin/bash",
             .action = action::kSudoCommandDenied,
             .outcome = outcome::kFailure,
             .user = "bob",
             .target_user = "root",
             .tty = "pts/2",
             .command = "/bin/bash"},
        Case{.program = "sudo",
             .message = "pam_unix(sudo:session): session opened for user root(uid=0) by "
                        "alice(uid=1000)",
             .action = action::kSessionOpened,
             .outcome = outcome::kSuccess,
             .user = "root"},
        Case{.program = "su",
             .message = "Successful su for root by alice",
             .action = action::kSuSuccess,
             .outcome = outcome::kSuccess,
             .user = "alice",
             .target_user = "root"},
        Case{.program = "su",
             .message = "+ pts/0 alice:root",
             .action = action::kSuSuccess,
             .outcome = outcome::kSuccess,
             .user = "alice",
             .target_user = "root",
             .tty = "pts/0"},
        Case{.program = "su",
             .message = "- pts/3 mallory:root",
             .action = action::kSuFailure,
             .outcome = outcome::kFailure,
             .user = "mallory",
             .target_user = "root",
             .tty = "pts/3"},
        Case{.program = "su",
             .message = "FAILED SU (to root) mallory on pts/3",
             .action = action::kSuFailure,
             .outcome = outcome::kFailure,
             .user = "mallory",
             .target_user = "root",
             .tty = "pts/3"},
        Case{.program = "su",
             .message = "(to postgres) alice on pts/0",
             .action = action::kSuSuccess,
             .outcome = outcome::kSuccess,
             .user = "alice",
             .target_user = "postgres",
             .tty = "pts/0"},
        Case{.program = "su",
             .message = "pam_unix(su:session): session opened for user root(uid=0) by "
                        "alice(uid=1000)",
             .action = action::kSuSuccess,
             .outcome = outcome::kSuccess,
             .user = "alice",
             .target_user = "root"},
        Case{.program = "su(pam_unix)",
             .message = "session opened for user cyrus by (uid=0)",
             .action = action::kSuSuccess,
             .outcome = outcome::kSuccess,
             .target_user = "cyrus"},
        Case{.program = "su(pam_unix)",
             .message = "session closed for user cyrus",
             .action = action::kSessionClosed,
             .outcome = outcome::kSuccess,
             .user = "cyrus"},
        Case{.program = "su",
             .message = "pam_unix(su:auth): authentication failure; logname=alice uid=1000 "
                        "euid=0 tty=pts/0 ruser=alice rhost=  user=root",
             .action = action::kSuFailure,
             .outcome = outcome::kFailure,
             .user = "alice",
             .target_user = "root",
             .tty = "pts/0"}));

INSTANTIATE_TEST_SUITE_P(
    AccountsAndLogind, ClassifiedLineTest,
    ::testing::Values(Case{.program = "useradd",
                           .message = "new user: name=bob, UID=1001, GID=1001, home=/home/bob, "
                                      "shell=/bin/bash, from=/dev/pts/0",
                           .action = action::kUserCreated,
                           .outcome = outcome::kSuccess,
                           .target_user = "bob"},
                      Case{.program = "useradd",
                           .message = "new group: name=bob, GID=1001",
                           .action = action::kGroupCreated,
                           .outcome = outcome::kSuccess,
                           .group = "bob"},
                      Case{.program = "useradd",
                           .message = "add 'bob' to group 'sudo'",
                           .action = action::kUserAddedToGroup,
                           .outcome = outcome::kSuccess,
                           .target_user = "bob",
                           .group = "sudo"},
                      Case{.program = "usermod",
                           .message = "change user 'bob' shell from '/bin/sh' to '/bin/bash'",
                           .action = action::kUserModified,
                           .outcome = outcome::kSuccess,
                           .target_user = "bob"},
                      Case{.program = "usermod",
                           .message = "lock user 'bob' password",
                           .action = action::kUserModified,
                           .outcome = outcome::kSuccess,
                           .target_user = "bob"},
                      Case{.program = "usermod",
                           .message = "delete 'bob' from group 'docker'",
                           .action = action::kUserRemovedFromGroup,
                           .outcome = outcome::kSuccess,
                           .target_user = "bob",
                           .group = "docker"},
                      Case{.program = "usermod",
                           .message = "add 'bob' to group 'wheel'",
                           .action = action::kUserAddedToGroup,
                           .outcome = outcome::kSuccess,
                           .target_user = "bob",
                           .group = "wheel"},
                      Case{.program = "gpasswd",
                           .message = "user mallory added by root to group docker",
                           .action = action::kUserAddedToGroup,
                           .outcome = outcome::kSuccess,
                           .user = "root",
                           .target_user = "mallory",
                           .group = "docker"},
                      Case{.program = "gpasswd",
                           .message = "user mallory added by root to group docker in /etc/gshadow",
                           .action = action::kUserAddedToGroup,
                           .outcome = outcome::kSuccess,
                           .user = "root",
                           .target_user = "mallory",
                           .group = "docker"},
                      Case{.program = "gpasswd",
                           .message = "user bob removed by alice from group sudo",
                           .action = action::kUserRemovedFromGroup,
                           .outcome = outcome::kSuccess,
                           .user = "alice",
                           .target_user = "bob",
                           .group = "sudo"},
                      Case{.program = "gpasswd",
                           .message = "members of group wheel set by root to alice,bob",
                           .action = action::kGroupMembersSet,
                           .outcome = outcome::kSuccess,
                           .user = "root",
                           .group = "wheel"},
                      Case{.program = "userdel",
                           .message = "delete user 'bob'",
                           .action = action::kUserDeleted,
                           .outcome = outcome::kSuccess,
                           .target_user = "bob"},
                      Case{.program = "userdel",
                           .message = "removed group 'bob' owned by 'bob'",
                           .action = action::kGroupDeleted,
                           .outcome = outcome::kSuccess,
                           .group = "bob"},
                      Case{.program = "groupadd",
                           .message = "new group: name=devs, GID=1002",
                           .action = action::kGroupCreated,
                           .outcome = outcome::kSuccess,
                           .group = "devs"},
                      Case{.program = "groupdel",
                           .message = "group 'devs' removed",
                           .action = action::kGroupDeleted,
                           .outcome = outcome::kSuccess,
                           .group = "devs"},
                      Case{.program = "passwd",
                           .message = "password for 'alice' changed by 'root'",
                           .action = action::kPasswordChanged,
                           .outcome = outcome::kSuccess,
                           .user = "root",
                           .target_user = "alice"},
                      Case{.program = "systemd-logind",
                           .message = "New session 42 of user alice.",
                           .action = action::kLogindNewSession,
                           .outcome = outcome::kSuccess,
                           .user = "alice",
                           .session_id = "42"},
                      Case{.program = "systemd-logind",
                           .message = "New session c1 of user gdm.",
                           .action = action::kLogindNewSession,
                           .outcome = outcome::kSuccess,
                           .user = "gdm",
                           .session_id = "c1"},
                      Case{.program = "systemd-logind",
                           .message = "Removed session 42.",
                           .action = action::kLogindSessionRemoved,
                           .outcome = outcome::kSuccess,
                           .session_id = "42"}));

struct LookAlike {
  std::string_view program;
  std::string_view message;
};

void PrintTo(const LookAlike& c, std::ostream* os) { *os << c.program << ": " << c.message; }

class LookAlikeTest : public ::testing::TestWithParam<LookAlike> {};

TEST_P(LookAlikeTest, StaysUnclassified) {
  const LookAlike& c = GetParam();
  AuthEvent e;
  // Stale values from a previous line must not leak into an unclassified result.
  e.action = "stale";
  e.user = "stale";
  e.source_port = 1;
  EXPECT_FALSE(classifyAuth(c.program, c.message, e));
  expectUnclassified(e);
}

INSTANTIATE_TEST_SUITE_P(
    AuthLookAlikes, LookAlikeTest,
    ::testing::Values(
        // Right text, wrong program: only sshd writes these.
        LookAlike{"ftpd", "Failed password for root from 1.2.3.4 port 22 ssh2"},
        LookAlike{"myapp", "Accepted password for root from 1.2.3.4 port 22 ssh2"},
        LookAlike{"sshd-wrapper", "Invalid user x from 1.2.3.4"},
        // Real corpus lines that mention authentication but are not PAM/sshd events.
        LookAlike{"klogind",
                  "Authentication failed from 163.27.187.39 (163.27.187.39): "
                  "Permission denied in replay cache code "},
        LookAlike{"klogind", "Kerberos authentication failed "},
        LookAlike{"gdm-binary", "Couldn't authenticate user"},
        LookAlike{"-- root", "ROOT LOGIN ON tty2"},
        LookAlike{"ftpd",
                  "connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at "
                  "Fri Jun 17 07:07:00 2005 "},
        LookAlike{"ftpd", "authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=x"},
        // sshd lines that are related but not one of the recognised events.
        LookAlike{"sshd", "Failed password for root"},
        LookAlike{"sshd", "Failed password for root from"},
        LookAlike{"sshd", "Failed passwordless for root from 1.2.3.4 port 22 ssh2"},
        LookAlike{"sshd", "Failed password for root from 1.2.3.4 port 99999 ssh2"},
        LookAlike{"sshd", "Accepted password for root"},
        LookAlike{"sshd",
                  "message repeated 5 times: [ Failed password for root from 5.36.59.76 "
                  "port 42393 ssh2]"},
        LookAlike{"sshd", "input_userauth_request: invalid user webmaster [preauth]"},
        LookAlike{"sshd", "Did not receive identification string from"},
        LookAlike{"sshd", "Connection reset by peer"},
        LookAlike{"sshd", "Unable to negotiate with 1.2.3.4 port 22"},
        LookAlike{"sshd", "Server listening on 0.0.0.0 port 22."},
        LookAlike{"sshd", "Connection closed"}, LookAlike{"sshd", "Connection closed by"},
        LookAlike{"sshd", "Connection closed by 1.2.3.4 port abc [preauth]"},
        LookAlike{"sshd", "Disconnecting: Change of username or service not allowed"},
        LookAlike{"sshd", "Received disconnect from"}, LookAlike{"sshd", "Invalid user"},
        LookAlike{"sshd", "this is not a POSSIBLE BREAK-IN ATTEMPT!"},
        LookAlike{"sshd",
                  "reverse mapping checking getaddrinfo for x [not-an-ip] failed - "
                  "POSSIBLE BREAK-IN ATTEMPT!"},
        LookAlike{"sshd", "PAM adding faulty module: /lib/security/pam_foo.so"},
        LookAlike{"sshd", "pam_unix(sshd:auth): authentication failures x"},
        LookAlike{"sshd", "pam_unix(sshd:session): session opened for user  by (uid=0)"},
        LookAlike{"sshd", "error: Could not load host key: /etc/ssh/ssh_host_ed25519_key"},
        // sudo lines that are neither a command run nor a failed authentication.
        LookAlike{"sudo",
                  "alice : a password is required ; TTY=pts/0 ; PWD=/ ; USER=root ; "
                  "COMMAND=/bin/ls"},
        LookAlike{"sudo", "alice : TTY=pts/0 ; PWD=/ ; USER=root"},
        LookAlike{"sudo", "alice bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls"},
        LookAlike{"sudo", "unable to resolve host web-1: Name or service not known"},
        LookAlike{"sudo", "alice : many incorrect password attempts ; TTY=pts/0"},
        // su, shadow-utils and logind lines that duplicate or only resemble events.
        LookAlike{"su", "session opened for user root by alice"}, LookAlike{"su", "FAILED SU root"},
        LookAlike{"su", "+ pts/0 alice root"}, LookAlike{"useradd", "new user: UID=1001"},
        LookAlike{"useradd", "add 'bob' to shadow group 'sudo'"},
        LookAlike{"useradd", "failed adding user 'bob', data deleted"},
        LookAlike{"usermod", "add 'bob' to shadow group 'docker'"},
        LookAlike{"userdel", "removed shadow group 'bob' owned by 'bob'"},
        LookAlike{"userdel", "delete 'bob' from group 'sudo' extra"},
        LookAlike{"groupadd", "group added to /etc/group: name=devs, GID=1002"},
        LookAlike{"groupadd", "group added to /etc/gshadow: name=devs"},
        LookAlike{"groupdel", "group 'devs' removed from /etc/group"},
        LookAlike{"passwd", "password for 'alice' changed by"},
        LookAlike{"systemd-logind", "Session 42 logged out. Waiting for processes to exit."},
        LookAlike{"systemd-logind", "New session 42 of user alice"},
        LookAlike{"systemd-logind", "New seat seat0."},
        LookAlike{"CRON", "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)"},
        LookAlike{"", ""}, LookAlike{"sshd", ""}));

class IpAddressTest : public ::testing::Test {};

TEST_F(IpAddressTest, AcceptsAddresses) {
  for (std::string_view ip : {"0.0.0.0", "218.188.2.4", "255.255.255.255", "::", "::1",
                              "1::", "2001:db8::7", "fe80::1%eth0", "::ffff:192.0.2.9",
                              "2001:0db8:0000:0000:0000:ff00:0042:8329", "1:2:3:4:5:6:1.2.3.4"}) {
    EXPECT_TRUE(isIpAddress(ip)) << ip;
  }
}

TEST_F(IpAddressTest, RejectsHostnamesAndMalformed) {
  for (std::string_view bad : {"",
                               "220-135-151-1.hinet-ip.hinet.net",
                               "061092085098.ctinets.com",
                               "1.2.3",
                               "1.2.3.4.5",
                               "256.1.1.1",
                               "1.2.3.4 ",
                               "1..2.3",
                               "1234.1.1.1",
                               ":",
                               ":::",
                               "1:2",
                               "1::2::3",
                               "12345::1",
                               "1:2:3:4:5:6:7:8:9",
                               "1:2:3:4:5:6:7",
                               "::g",
                               "fe80::1%",
                               "1:2:3:4:5:6:7:1.2.3.4",
                               "localhost"}) {
    EXPECT_FALSE(isIpAddress(bad)) << bad;
  }
}

struct CorpusExpectation {
  std::string_view action;
  std::string user;
  std::string target_user;
  std::string rhost;
};

// Value of " key=" in a pam_unix key/value list, read the simple way.
std::string pamValue(std::string_view message, std::string_view key) {
  const std::string needle = " " + std::string(key) + "=";
  const size_t at = message.find(needle);
  if (at == std::string_view::npos) return {};
  const size_t begin = at + needle.size();
  return std::string(message.substr(begin, message.find(' ', begin) - begin));
}

bool isDottedQuad(const std::string& text) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  int consumed = 0;
  return std::sscanf(text.c_str(), "%3u.%3u.%3u.%3u%n", &a, &b, &c, &d, &consumed) == 4 &&
         static_cast<size_t>(consumed) == text.size() && a < 256 && b < 256 && c < 256 && d < 256;
}

// The corpus rules, derived from what each line says rather than from counted totals.
CorpusExpectation expectationFor(std::string_view app, std::string_view message) {
  CorpusExpectation expected;
  constexpr std::string_view kPamSuffix = "(pam_unix)";
  if (!app.ends_with(kPamSuffix)) return expected;  // nothing else in this corpus is auth
  const std::string_view service = app.substr(0, app.size() - kPamSuffix.size());
  const bool su = service == "su";
  std::string_view text = message;
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.starts_with("authentication failure;")) {
    expected.action = su ? action::kSuFailure : action::kPamAuthFailure;
    if (su) {
      // su authenticates the caller (ruser, else logname) for the target account (user=).
      expected.target_user = pamValue(text, "user");
      expected.user = pamValue(text, "ruser");
      if (expected.user.empty()) expected.user = pamValue(text, "logname");
    } else {
      expected.user = pamValue(text, "user");
    }
    expected.rhost = pamValue(text, "rhost");
  } else if (text == "check pass; user unknown") {
    expected.action = action::kPamCheckPassUserUnknown;
  } else if (text.starts_with("session opened for user ")) {
    const std::string_view rest = text.substr(24);
    const std::string user(rest.substr(0, rest.find(' ')));
    expected.action = su ? action::kSuSuccess : action::kSessionOpened;
    (su ? expected.target_user : expected.user) = user;
  } else if (text.starts_with("session closed for user ")) {
    expected.action = action::kSessionClosed;
    expected.user = std::string(text.substr(24));
  }
  return expected;
}

class AuthCorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(std::string(LOGSHIP_CORPUS_DIR) + "/linux_syslog_2k.log", std::ios::binary);
    std::string line;
    while (std::getline(in, line)) lines_.push_back(line);
    LOGSHIP_REQUIRE(!(lines_.empty()), "corpus not readable under " << LOGSHIP_CORPUS_DIR);
  }

  std::vector<std::string> lines_;
  const syslog::SyslogOptions options_{};
};

TEST_F(AuthCorpusTest, EveryLineGetsTheActionItsTextImplies) {
  std::map<std::string_view, int> seen;
  int hostnames = 0;
  int addresses = 0;
  for (const std::string& line : lines_) {
    syslog::SyslogMessage m;
    ASSERT_TRUE(syslog::parseSyslog(line, options_, m)) << line;
    const CorpusExpectation expected = expectationFor(m.app_name, m.message);
    AuthEvent e;
    const bool classified = classifyAuth(m.app_name, m.message, e);
    EXPECT_EQ(classified, !expected.action.empty()) << line;
    EXPECT_EQ(e.action, expected.action) << line;
    if (!classified) continue;
    ++seen[e.action];
    expectWellFormed(e, m.message);
    EXPECT_EQ(e.user, expected.user) << line;
    EXPECT_EQ(e.target_user, expected.target_user) << line;
    if (expected.rhost.empty()) {
      EXPECT_EQ(e.source_ip, "") << line;
      EXPECT_EQ(e.source_host, "") << line;
    } else if (isDottedQuad(expected.rhost)) {
      EXPECT_EQ(e.source_ip, expected.rhost) << line;
      EXPECT_EQ(e.source_host, "") << line;
      ++addresses;
    } else {
      EXPECT_EQ(e.source_ip, "") << line;
      EXPECT_EQ(e.source_host, expected.rhost) << line;
      ++hostnames;
    }
  }
  // Each rule must actually have fired, or the test above proves nothing.
  EXPECT_GT(seen[action::kPamAuthFailure], 0);
  EXPECT_GT(seen[action::kPamCheckPassUserUnknown], 0);
  EXPECT_GT(seen[action::kSuSuccess], 0);
  EXPECT_GT(seen[action::kSessionOpened], 0);
  EXPECT_GT(seen[action::kSessionClosed], 0);
  EXPECT_GT(hostnames, 0);
  EXPECT_GT(addresses, 0);
}

// Prefixes of corpus and hand-written lines must never crash or escape the message.
TEST_F(AuthCorpusTest, TruncatedMessagesAreSafe) {
  std::vector<std::pair<std::string, std::string>> inputs;
  for (const std::string& line : lines_) {
    syslog::SyslogMessage m;
    if (syslog::parseSyslog(line, options_, m)) {
      inputs.emplace_back(std::string(m.app_name), std::string(m.message));
    }
  }
  const std::pair<const char*, const char*> extra[] = {
      {"sshd", "Failed password for invalid user a from 2001:db8::7 port 22 ssh2"},
      {"sshd",
       "Disconnecting authenticating user root 1.2.3.4 port 6001: Too many "
       "authentication failures [preauth]"},
      {"sshd",
       "reverse mapping checking getaddrinfo for h [1.2.3.4] failed - POSSIBLE BREAK-IN "
       "ATTEMPT!"},
      {"sshd", "Received disconnect from 2001:db8::1 port 51234:11: disconnected by user"},
      {"sudo", "alice : 3 incorrect password attempts ; TTY=pts/1 ; USER=root ; COMMAND=/bin/x"},
      {"su", "FAILED SU (to root) mallory on pts/3"},
      {"usermod", "change user 'bob' shell from '/bin/sh' to '/bin/bash'"},
      {"systemd-logind", "New session 42 of user alice."}};
  for (const auto& [program, message] : extra) inputs.emplace_back(program, message);

  int classified = 0;
  for (const auto& [program, message] : inputs) {
    for (size_t length = 0; length <= message.size(); ++length) {
      const std::string prefix = message.substr(0, length);
      AuthEvent e;
      if (classifyAuth(program, prefix, e)) {
        ++classified;
        expectWellFormed(e, prefix);
      } else {
        expectUnclassified(e);
      }
    }
  }
  EXPECT_GT(classified, 0);
}

}  // namespace
}  // namespace logship::auth
