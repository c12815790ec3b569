// The host-security families of the auth classifier: sshd pre-authentication probes, PAM
// lockouts, login, pkexec, polkit, kernel firewall lines, and the fail2ban.log and dpkg.log
// files. Samples follow the programs' own format strings (OpenSSH packet.c/sshd.c, shadow-utils
// and util-linux login, pkexec, polkitd, pam_faillock, pam_tally2, nf_log_syslog, fail2ban's
// "%(asctime)s %(name)-24s [%(process)d]: %(levelname)-7s %(message)s", dpkg's log).

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "parsers/auth/auth_classifier.h"
#include "parsers/auth/parse_auth.h"
#include "tests/parsers/parser_test_support.h"

namespace logship::auth {
namespace {

using logship::testing::isViewInto;

struct HostCase {
  std::string_view program;
  std::string_view message;
  std::string_view action;
  std::string_view category;
  std::string_view outcome = {};
  std::string_view type = {};
  std::string_view user = {};
  std::string_view target_user = {};
  std::string_view source_ip = {};
  int source_port = -1;
  std::string_view destination_ip = {};
  int destination_port = -1;
  std::string_view transport = {};
  std::string_view interface_in = {};
  std::string_view tty = {};
  std::string_view command = {};
  int attempts = -1;
  std::string_view source_host = {};
};

void PrintTo(const HostCase& c, std::ostream* os) { *os << c.program << ": " << c.message; }

class HostLineTest : public ::testing::TestWithParam<HostCase> {};

TEST_P(HostLineTest, ExtractsEveryField) {
  const HostCase& c = GetParam();
  AuthEvent e;
  ASSERT_TRUE(classifyAuth(c.program, c.message, e));
  EXPECT_EQ(e.action, c.action);
  EXPECT_EQ(e.category, c.category);
  EXPECT_EQ(e.outcome, c.outcome);
  EXPECT_EQ(e.type, c.type);
  EXPECT_EQ(e.user, c.user);
  EXPECT_EQ(e.target_user, c.target_user);
  EXPECT_EQ(e.source_ip, c.source_ip);
  EXPECT_EQ(e.source_port, c.source_port);
  EXPECT_EQ(e.source_host, c.source_host);
  EXPECT_EQ(e.destination_ip, c.destination_ip);
  EXPECT_EQ(e.destination_port, c.destination_port);
  EXPECT_EQ(e.transport, c.transport);
  EXPECT_EQ(e.interface_in, c.interface_in);
  EXPECT_EQ(e.tty, c.tty);
  EXPECT_EQ(e.command, c.command);
  EXPECT_EQ(e.attempts, c.attempts);
  for (std::string_view field : {e.user, e.target_user, e.source_ip, e.destination_ip, e.tty,
                                 e.command, e.interface_in, e.interface_out, e.jail}) {
    EXPECT_TRUE(isViewInto(field, c.message)) << field;
  }
}

INSTANTIATE_TEST_SUITE_P(
    SshdProbes, HostLineTest,
    ::testing::Values(
        HostCase{.program = "sshd",
                 .message = "Did not receive identification string from 185.243.96.11 port 44000",
                 .action = action::kSshNoIdentification,
                 .category = category::kNetwork,
                 .outcome = outcome::kFailure,
                 .type = event_type::kConnection,
                 .source_ip = "185.243.96.11",
                 .source_port = 44000},
        // OpenSSH before 7.x wrote no port.
        HostCase{.program = "sshd",
                 .message = "Did not receive identification string from 45.27.162.22",
                 .action = action::kSshNoIdentification,
                 .category = category::kNetwork,
                 .outcome = outcome::kFailure,
                 .type = event_type::kConnection,
                 .source_ip = "45.27.162.22"},
        HostCase{.program = "sshd",
                 .message = "error: kex_exchange_identification: Connection closed by remote host",
                 .action = action::kSshNoIdentification,
                 .category = category::kNetwork,
                 .outcome = outcome::kFailure,
                 .type = event_type::kConnection},
        HostCase{.program = "sshd",
                 .message = "error: kex_exchange_identification: client sent invalid protocol "
                            "identifier \"MGLNDD_66.158.157.66_22\"",
                 .action = action::kSshNoIdentification,
                 .category = category::kNetwork,
                 .outcome = outcome::kFailure,
                 .type = event_type::kConnection},
        HostCase{.program = "sshd-session",
                 .message = "banner exchange: Connection from 4.151.220.155 port 42950: invalid "
                            "format",
                 .action = action::kSshBannerExchangeFailed,
                 .category = category::kNetwork,
                 .outcome = outcome::kFailure,
                 .type = event_type::kConnection,
                 .source_ip = "4.151.220.155",
                 .source_port = 42950},
        HostCase{.program = "sshd",
                 .message = "Unable to negotiate with 203.0.113.5 port 52814: no matching key "
                            "exchange method found. Their offer: "
                            "diffie-hellman-group14-sha1,diffie-hellman-group1-sha1 [preauth]",
                 .action = action::kSshNegotiationFailed,
                 .category = category::kNetwork,
                 .outcome = outcome::kFailure,
                 .type = event_type::kConnection,
                 .source_ip = "203.0.113.5",
                 .source_port = 52814},
        HostCase{.program = "sshd",
                 .message = "fatal: Unable to negotiate with 2001:db8::9 port 40022: no matching "
                            "host key type found. Their offer: ssh-rsa,ssh-dss [preauth]",
                 .action = action::kSshNegotiationFailed,
                 .category = category::kNetwork,
                 .outcome = outcome::kFailure,
                 .type = event_type::kConnection,
                 .source_ip = "2001:db8::9",
                 .source_port = 40022},
        HostCase{.program = "sshd",
                 .message = "Connection reset by 164.92.164.19 port 50000 [preauth]",
                 .action = action::kSshConnectionReset,
                 .category = category::kNetwork,
                 .outcome = outcome::kFailure,
                 .type = event_type::kConnection,
                 .source_ip = "164.92.164.19",
                 .source_port = 50000},
        HostCase{.program = "sshd",
                 .message = "Connection reset by authenticating user root 164.92.214.124 port "
                            "36562 [preauth]",
                 .action = action::kSshConnectionReset,
                 .category = category::kNetwork,
                 .outcome = outcome::kFailure,
                 .type = event_type::kConnection,
                 .user = "root",
                 .source_ip = "164.92.214.124",
                 .source_port = 36562}));

INSTANTIATE_TEST_SUITE_P(
    LockoutsAndPrivilege, HostLineTest,
    ::testing::Values(
        HostCase{.program = "sshd",
                 .message = "pam_faillock(sshd:auth): Consecutive login failures for user root "
                            "account temporarily locked",
                 .action = action::kAccountLocked,
                 .category = category::kAuthentication,
                 .outcome = outcome::kFailure,
                 .user = "root"},
        HostCase{.program = "sshd",
                 .message = "pam_tally2(sshd:auth): user root (0) tally 4, deny 3",
                 .action = action::kAccountLocked,
                 .category = category::kAuthentication,
                 .outcome = outcome::kFailure,
                 .user = "root",
                 .attempts = 4},
        HostCase{.program = "login",
                 .message = "FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure",
                 .action = action::kLoginFailed,
                 .category = category::kAuthentication,
                 .outcome = outcome::kFailure,
                 .type = event_type::kStart,
                 .user = "root",
                 .tty = "/dev/tty1",
                 .attempts = 1},
        HostCase{.program = "login",
                 .message = "FAILED LOGIN (2) on '/dev/pts/1' from 'host.example.com' FOR 'bob', "
                            "Authentication failure",
                 .action = action::kLoginFailed,
                 .category = category::kAuthentication,
                 .outcome = outcome::kFailure,
                 .type = event_type::kStart,
                 .user = "bob",
                 .tty = "/dev/pts/1",
                 .attempts = 2,
                 .source_host = "host.example.com"},
        HostCase{.program = "login",
                 .message = "FAILED LOGIN 1 FROM tty1 FOR root, Authentication failure",
                 .action = action::kLoginFailed,
                 .category = category::kAuthentication,
                 .outcome = outcome::kFailure,
                 .type = event_type::kStart,
                 .user = "root",
                 .tty = "tty1",
                 .attempts = 1},
        HostCase{.program = "pkexec",
                 .message = "alice: Executing command [USER=root] [TTY=/dev/pts/0] "
                            "[CWD=/home/alice] [COMMAND=/usr/bin/id]",
                 .action = action::kPkexecCommand,
                 .category = category::kAuthentication,
                 .outcome = outcome::kSuccess,
                 .user = "alice",
                 .target_user = "root",
                 .tty = "/dev/pts/0",
                 .command = "/usr/bin/id"},
        HostCase{
            .program = "pkexec",
            .message = "alice: Error executing command as another user: Not authorized "
                       "[USER=root] [TTY=/dev/pts/0] [CWD=/home/alice] [COMMAND=/usr/bin/bash]",
            .action = action::kPkexecDenied,
            .category = category::kAuthentication,
            .outcome = outcome::kFailure,
            .user = "alice",
            .target_user = "root",
            .tty = "/dev/pts/0",
            .command = "/usr/bin/bash"},
        HostCase{.program = "polkitd(authority=local)",
                 .message = "Operator of unix-session:2 FAILED to authenticate to gain "
                            "authorization for action org.freedesktop.policykit.exec for "
                            "unix-process:3042:4011 [bash] (owned by unix-user:alice)",
                 .action = action::kPolkitAuthFailure,
                 .category = category::kAuthentication,
                 .outcome = outcome::kFailure,
                 .user = "alice"},
        HostCase{.program = "polkitd",
                 .message = "Operator of unix-session:c2 successfully authenticated as "
                            "unix-user:root to gain TEMPORARY authorization for action "
                            "org.freedesktop.systemd1.manage-units for system-bus-name::1.86 "
                            "[systemctl restart nginx] (owned by unix-user:alice)",
                 .action = action::kPolkitAuthSuccess,
                 .category = category::kAuthentication,
                 .outcome = outcome::kSuccess,
                 .user = "alice",
                 .target_user = "root"}));

INSTANTIATE_TEST_SUITE_P(
    Firewall, HostLineTest,
    ::testing::Values(
        HostCase{.program = "kernel",
                 .message = "[12345.678901] [UFW BLOCK] IN=eth0 OUT= "
                            "MAC=00:16:3e:5a:1b:2c:00:16:3e:00:00:01:08:00 SRC=203.0.113.45 "
                            "DST=198.51.100.10 LEN=40 TOS=0x00 PREC=0x00 TTL=241 ID=54321 "
                            "PROTO=TCP SPT=44815 DPT=22 WINDOW=65535 RES=0x00 SYN URGP=0 ",
                 .action = action::kFirewallBlock,
                 .category = category::kNetwork,
                 .type = event_type::kDenied,
                 .source_ip = "203.0.113.45",
                 .source_port = 44815,
                 .destination_ip = "198.51.100.10",
                 .destination_port = 22,
                 .transport = "tcp",
                 .interface_in = "eth0"},
        // journald drops the uptime stamp.
        HostCase{
            .program = "kernel",
            .message = "[UFW ALLOW] IN=ens3 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 "
                       "SRC=192.0.2.50 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=64 "
                       "ID=4242 DF PROTO=TCP SPT=51234 DPT=443 WINDOW=64240 RES=0x00 SYN "
                       "URGP=0",
            .action = action::kFirewallAllow,
            .category = category::kNetwork,
            .type = event_type::kAllowed,
            .source_ip = "192.0.2.50",
            .source_port = 51234,
            .destination_ip = "192.0.2.10",
            .destination_port = 443,
            .transport = "tcp",
            .interface_in = "ens3"},
        HostCase{.program = "kernel",
                 .message = "[ 8811.204455] IPTABLES-DROPPED: IN=eth0 OUT= "
                            "MAC=00:16:3e:5a:1b:2c:00:16:3e:00:00:01:08:00 SRC=192.0.2.7 "
                            "DST=192.0.2.1 LEN=52 TOS=0x00 PREC=0x00 TTL=116 ID=25431 DF "
                            "PROTO=TCP SPT=52143 DPT=3389 WINDOW=8192 RES=0x00 SYN URGP=0",
                 .action = action::kFirewallBlock,
                 .category = category::kNetwork,
                 .type = event_type::kDenied,
                 .source_ip = "192.0.2.7",
                 .source_port = 52143,
                 .destination_ip = "192.0.2.1",
                 .destination_port = 3389,
                 .transport = "tcp",
                 .interface_in = "eth0"},
        // nftables "log prefix", IPv6 (no TOS/TTL; TC, HOPLIMIT, FLOWLBL instead).
        HostCase{
            .program = "kernel",
            .message = "nft drop in: IN=ens3 OUT= MAC=33:33:00:00:00:fb:52:54:00:12:34:56:86:dd "
                       "SRC=2001:db8::5 DST=2001:db8::1 LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=0 "
                       "PROTO=UDP SPT=5353 DPT=5353 LEN=40",
            .action = action::kFirewallBlock,
            .category = category::kNetwork,
            .type = event_type::kDenied,
            .source_ip = "2001:db8::5",
            .source_port = 5353,
            .destination_ip = "2001:db8::1",
            .destination_port = 5353,
            .transport = "udp",
            .interface_in = "ens3"},
        HostCase{
            .program = "kernel",
            .message = "[UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:5a:1b:2c:00:16:3e:00:00:01:08:00 "
                       "SRC=198.51.100.77 DST=198.51.100.10 LEN=28 TOS=0x00 PREC=0x00 TTL=52 "
                       "ID=0 PROTO=ICMP TYPE=8 CODE=0 ID=3371 SEQ=1",
            .action = action::kFirewallBlock,
            .category = category::kNetwork,
            .type = event_type::kDenied,
            .source_ip = "198.51.100.77",
            .destination_ip = "198.51.100.10",
            .transport = "icmp",
            .interface_in = "eth0"},
        HostCase{.program = "fail2ban.actions",
                 .message = "NOTICE  [sshd] Ban 195.178.110.227",
                 .action = action::kIpBanned,
                 .category = category::kIntrusionDetection,
                 .type = event_type::kDenied,
                 .source_ip = "195.178.110.227"}));

TEST(HostLineTest, LookAlikesStayUnclassified) {
  for (auto [program, message] :
       std::initializer_list<std::pair<std::string_view, std::string_view>>{
           {"kernel", "[UFW AUDIT] IN=eth0 OUT= SRC=192.0.2.7 DST=192.0.2.1 PROTO=TCP SPT=1 DPT=2"},
           {"kernel", "IN=eth0 OUT= SRC=192.0.2.7 DST=192.0.2.1 PROTO=TCP SPT=1 DPT=2"},
           {"kernel", "audit-log: IN=eth0 OUT= SRC=192.0.2.7 DST=192.0.2.1 PROTO=TCP"},
           {"kernel", "[UFW BLOCK] IN=eth0 OUT= SRC=not-an-ip DST=192.0.2.1 PROTO=TCP"},
           {"kernel", "[ 12.3] usb 1-1: new high-speed USB device number 2 using xhci_hcd"},
           {"login", "FAILED LOGIN (x) on '/dev/tty1' FOR 'root', Authentication failure"},
           {"login", "ROOT LOGIN  on '/dev/tty1'"},
           {"pkexec", "alice: Executing command"},
           {"polkitd", "Registered Authentication Agent for unix-session:2"},
           {"fail2ban.actions", "INFO      banTime: 600"},
           {"fail2ban.actions", "NOTICE  [sshd] Ban not-an-address"},
           {"sshd", "pam_tally2(sshd:auth): user root tally"},
       }) {
    AuthEvent e;
    EXPECT_FALSE(classifyAuth(program, message, e)) << program << ": " << message;
    EXPECT_TRUE(e.action.empty());
  }
}

TEST(FileLineTest, Fail2banLog) {
  AuthEvent e;
  FileLine header;
  ASSERT_TRUE(classifyFileLine(
      "2026-09-06 00:05:27,860 fail2ban.actions        [1544044]: NOTICE  [sshd] Ban "
      "195.178.110.227",
      0, e, header));
  EXPECT_EQ(e.action, action::kIpBanned);
  EXPECT_EQ(e.category, category::kIntrusionDetection);
  EXPECT_EQ(e.jail, "sshd");
  EXPECT_EQ(e.source_ip, "195.178.110.227");
  EXPECT_EQ(header.logger, "fail2ban.actions");
  EXPECT_EQ(header.pid, 1544044);
  EXPECT_EQ(header.timestamp_ns, logship::testing::utcNs(2026, 9, 6, 0, 5, 27, 860));

  ASSERT_TRUE(classifyFileLine(
      "2026-09-06 00:05:31,913 fail2ban.actions        [1544044]: NOTICE  [sshd] Unban "
      "37.111.53.110",
      3600, e, header));
  EXPECT_EQ(e.action, action::kIpUnbanned);
  EXPECT_EQ(e.source_ip, "37.111.53.110");
  // Local time one hour east of UTC.
  EXPECT_EQ(header.timestamp_ns, logship::testing::utcNs(2026, 9, 5, 23, 5, 31, 913));

  ASSERT_TRUE(classifyFileLine(
      "2024-03-01 10:20:30,123 fail2ban.filter         [1234]: INFO    [sshd] Found 203.0.113.9 "
      "- 2024-03-01 10:20:29",
      0, e, header));
  EXPECT_EQ(e.action, action::kIpFound);
  EXPECT_EQ(e.source_ip, "203.0.113.9");
  EXPECT_EQ(header.logger, "fail2ban.filter");

  for (std::string_view other :
       {"2022-04-01 18:07:23,424 fail2ban.actions        [1753]: INFO      banTime: 600",
        "2022-04-01 18:07:23,429 fail2ban.filter         [1753]: INFO    Added logfile: "
        "'/var/log/auth.log' (pos = 203485, hash = c86a8ead)",
        "2024-03-01 10:20:31 status half-installed nginx:amd64 1.22.1-9",
        "2024-03-01 10:20:31 configure nginx:amd64 1.22.1-9 <none>",
        "2024-03-01 10:20:31 startup archives unpack", "2024-03-01T10:20:31 install a b c",
        "Mar  1 10:20:31 host sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2"}) {
    EXPECT_FALSE(classifyFileLine(other, 0, e, header)) << other;
    EXPECT_TRUE(e.action.empty());
  }
}

TEST(FileLineTest, DpkgLog) {
  AuthEvent e;
  FileLine header;
  ASSERT_TRUE(
      classifyFileLine("2024-03-01 10:20:31 install nginx:amd64 <none> 1.22.1-9", 0, e, header));
  EXPECT_EQ(e.action, action::kPackageInstalled);
  EXPECT_EQ(e.category, category::kPackage);
  EXPECT_EQ(e.type, event_type::kInstallation);
  EXPECT_EQ(e.package, "nginx");
  EXPECT_EQ(e.package_architecture, "amd64");
  EXPECT_EQ(e.package_version, "1.22.1-9");
  EXPECT_EQ(header.timestamp_ns, logship::testing::utcNs(2024, 3, 1, 10, 20, 31));

  ASSERT_TRUE(classifyFileLine(
      "2024-03-02 06:25:11 upgrade libssl3:amd64 3.0.11-1~deb12u1 3.0.11-1~deb12u2", 0, e, header));
  EXPECT_EQ(e.action, action::kPackageUpgraded);
  EXPECT_EQ(e.type, event_type::kChange);
  EXPECT_EQ(e.package, "libssl3");
  EXPECT_EQ(e.package_version, "3.0.11-1~deb12u2");

  ASSERT_TRUE(
      classifyFileLine("2024-03-03 09:00:00 remove nginx:amd64 1.22.1-9 <none>", 0, e, header));
  EXPECT_EQ(e.action, action::kPackageRemoved);
  EXPECT_EQ(e.type, event_type::kDeletion);
  EXPECT_EQ(e.package_version, "1.22.1-9");

  ASSERT_TRUE(
      classifyFileLine("2024-03-03 09:00:05 purge nginx-common:all 1.22.1-9 <none>", 0, e, header));
  EXPECT_EQ(e.action, action::kPackageRemoved);
  EXPECT_EQ(e.package, "nginx-common");
  EXPECT_EQ(e.package_architecture, "all");
}

TEST(ParseAuthFileLineTest, TransformWritesFieldsAndTime) {
  auto transform = logship::testing::buildOrFail("parse_auth", "{timezone_offset: '+01:00'}");
  ASSERT_NE(transform, nullptr);
  auto batch = logship::testing::runLines(
      *transform,
      {"2026-11-22 10:00:00,123 fail2ban.actions        [1234]: NOTICE  [sshd] Ban 1.2.3.4",
       "2026-11-22 10:00:00 install pkg:amd64 <none> 1.2-3",
       "Nov 22 10:00:01 web1 kernel: [ 99.000001] [UFW BLOCK] IN=eth0 OUT= "
       "MAC=00:16:3e:5a:1b:2c:00:16:3e:00:00:01:08:00 SRC=1.2.3.4 DST=10.0.0.5 LEN=40 TOS=0x00 "
       "PREC=0x00 TTL=241 ID=54321 PROTO=TCP SPT=4444 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0"},
      logship::testing::utcNs(2026, 11, 22, 12, 0, 0));
  ASSERT_NE(batch, nullptr);
  using logship::testing::integer;
  using logship::testing::str;
  const Event& ban = batch->events()[0];
  EXPECT_FALSE(logship::testing::parseFailed(ban));
  EXPECT_EQ(ban.timestamp_ns, logship::testing::utcNs(2026, 11, 22, 9, 0, 0, 123));
  EXPECT_EQ(str(ban, "event.action"), "ip_banned");
  EXPECT_EQ(str(ban, "event.category"), "intrusion_detection");
  EXPECT_EQ(str(ban, "event.type"), "denied");
  EXPECT_EQ(str(ban, "fail2ban.jail"), "sshd");
  EXPECT_EQ(str(ban, "source.ip"), "1.2.3.4");
  EXPECT_EQ(str(ban, "log.logger"), "fail2ban.actions");
  EXPECT_EQ(integer(ban, "process.pid"), 1234);
  const Event& install = batch->events()[1];
  EXPECT_EQ(str(install, "event.action"), "package_installed");
  EXPECT_EQ(str(install, "package.name"), "pkg");
  EXPECT_EQ(str(install, "package.version"), "1.2-3");
  EXPECT_EQ(str(install, "package.architecture"), "amd64");
  const Event& block = batch->events()[2];
  EXPECT_EQ(str(block, "event.action"), "firewall_block");
  EXPECT_EQ(str(block, "event.category"), "network");
  EXPECT_EQ(str(block, "source.ip"), "1.2.3.4");
  EXPECT_EQ(integer(block, "source.port"), 4444);
  EXPECT_EQ(str(block, "destination.ip"), "10.0.0.5");
  EXPECT_EQ(integer(block, "destination.port"), 22);
  EXPECT_EQ(str(block, "network.transport"), "tcp");
  EXPECT_EQ(str(block, "observer.ingress.interface.name"), "eth0");
  EXPECT_FALSE(str(block, "observer.egress.interface.name").has_value());
}

}  // namespace
}  // namespace logship::auth
