#include "pipelines/scrub_pii/pii_scrubber.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "pipelines/scrub_pii/builtin_matchers.h"
#include "pipelines/scrub_pii/hmac_sha256.h"
#include "pipelines/scrub_pii/luhn.h"
#include "pipelines/scrub_pii/trigger_scan.h"
#include "tests/requirements.h"

#ifndef LOGSHIP_CORPUS_DIR
#error "LOGSHIP_CORPUS_DIR must name the directory holding the real-log corpus"
#endif

// Counts heap allocations so that the "no allocation when nothing matches" promise is checked,
// not assumed. Replacing operator new is program-wide, and this file shares a test binary with
// other tests: the replacement is malloc-backed like the default, and it is left out of
// AddressSanitizer builds, where it would hide new/delete mismatches everywhere else.
#if defined(__SANITIZE_ADDRESS__)
#define LOGSHIP_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LOGSHIP_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef LOGSHIP_COUNT_ALLOCATIONS
#define LOGSHIP_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace

#if LOGSHIP_COUNT_ALLOCATIONS
#if defined(__GNUC__) && !defined(__clang__)
// GCC cannot see that the replacement delete below frees what the replacement new malloc'ed.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace logship::scrub_pii {
namespace {

constexpr std::string_view kJwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaW"
    "F0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
constexpr std::string_view kJwtRs256 =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1c2VyLTQyIiwic2NvcGUiOiJyZWFk"
    "In0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk5Pl6YzV0XvzLq1Nzu-Z-ofmB1oR_3LuFcqJxHY0I6uA";
constexpr std::string_view kJwtEs256 =
    "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20iLCJleHAiOjE3"
    "MDAwMDAwMDB9.tyh-VfuzIxCyGYDlkBA7DfyjrqmSHu6pQ2hoZuFqUSLPNY2N0mpHb3nk5K17HWP_3cYHBw7AhHale5wky"
    "6-sVA";
constexpr std::string_view kJwtUnsigned = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.";
constexpr std::string_view kPeerId = "12D3KooWBjYK2W4dsBfsrFA9tZCStb5ogPb6STQqi2AK9awXfXyG";
constexpr std::string_view kEscapedPem =
    R"(-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n)"
    R"(-----END OPENSSH PRIVATE KEY-----)";

PiiScrubber scrubberFor(const std::vector<std::string>& names, Action action = Action::kRedact,
                        std::string key = "", size_t hex_chars = 16) {
  ScrubberOptions options;
  for (const std::string& name : names) options.rules.push_back({name, "", action});
  options.hmac_key = std::move(key);
  options.hash_hex_chars = hex_chars;
  return PiiScrubber(std::move(options));
}

PiiScrubber allRules(Action action = Action::kRedact, std::string key = "") {
  return PiiScrubber(ScrubberOptions{PiiScrubber::builtinRules(action), std::move(key), 16});
}

// The text after scrubbing; the input itself when scrub() reports no change, in which case
// `out` must also have been left alone. Output is appended, never overwritten.
std::string scrubbedText(const PiiScrubber& scrubber, std::string_view text,
                         MatchCounts* counts = nullptr) {
  constexpr std::string_view kPrefix = "kept:";
  std::string out(kPrefix);
  if (!scrubber.scrub(text, out, counts)) {
    EXPECT_EQ(out, kPrefix) << "scrub() returned false but wrote to out";
    return std::string(text);
  }
  EXPECT_TRUE(out.starts_with(kPrefix)) << "scrub() must append to out";
  return out.substr(kPrefix.size());
}

struct Positive {
  std::string line;
  std::vector<std::string> pii;  // in order of appearance
};

std::string withRedactions(const Positive& c, std::string_view rule) {
  const std::string marker = "[REDACTED:" + std::string(rule) + "]";
  std::string expected = c.line;
  size_t from = 0;
  for (const std::string& value : c.pii) {
    const size_t at = expected.find(value, from);
    if (at == std::string::npos) {
      ADD_FAILURE() << "bad test case: '" << value << "' not in '" << c.line << "'";
      return expected;
    }
    expected.replace(at, value.size(), marker);
    from = at + marker.size();
  }
  return expected;
}

// Each value must be replaced exactly by the rule alone, and must not survive all rules.
void expectScrubbed(std::string_view rule, const std::vector<Positive>& cases) {
  ASSERT_GE(cases.size(), 20u);
  const PiiScrubber only = scrubberFor({std::string(rule)});
  const PiiScrubber all = allRules();
  for (const Positive& c : cases) {
    SCOPED_TRACE(c.line);
    EXPECT_EQ(scrubbedText(only, c.line), withRedactions(c, rule));
    const std::string scrubbed = scrubbedText(all, c.line);
    for (const std::string& value : c.pii) {
      EXPECT_EQ(scrubbed.find(value), std::string::npos) << value << " survived in " << scrubbed;
    }
  }
}

// Look-alikes must survive every built-in rule, byte for byte, and count nothing.
void expectUntouched(const std::vector<std::string>& lines) {
  ASSERT_GE(lines.size(), 20u);
  const PiiScrubber all = allRules();
  for (const std::string& line : lines) {
    SCOPED_TRACE(line);
    std::string out;
    MatchCounts counts;
    EXPECT_FALSE(all.scrub(line, out, &counts)) << "became: " << out;
    EXPECT_TRUE(out.empty());
    for (size_t i = 0; i < all.ruleCount(); ++i) {
      EXPECT_EQ(counts.by_rule[i], 0u) << all.ruleName(i);
    }
  }
}

std::string hmacHex(std::string_view key, std::string_view data, size_t chars = 64) {
  std::string hex;
  appendHex(HmacSha256(key).digest(data), chars, hex);
  return hex;
}

std::string fromHex(std::string_view hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

std::vector<std::string> readLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string invalidConfigMessage(ScrubberOptions options) {
  try {
    PiiScrubber scrubber(std::move(options));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "<no exception>";
}

class PiiScrubberTest : public ::testing::Test {};

// ---------------------------------------------------------------------------------------------
// Rules: values that must go, look-alikes that must stay.

TEST_F(PiiScrubberTest, EmailScrubbed) {
  expectScrubbed(
      "email",
      {
          {"user john.doe@example.com logged in", {"john.doe@example.com"}},
          {"Jul 27 14:41:57 combo kernel: Linux version 2.6.5-1.358 "
           "(bhcompile@bugs.build.redhat.com) (gcc version 3.3.3 20040412 (Red Hat Linux "
           "3.3.3-7)) #1 Sat May 8 09:04:50 EDT 2004",
           {"bhcompile@bugs.build.redhat.com"}},
          {R"({"email":"Jane_Smith+newsletter@mail.example.co.uk","ok":true})",
           {"Jane_Smith+newsletter@mail.example.co.uk"}},
          {"sent reset link to <alice@example.org>", {"alice@example.org"}},
          {"href=mailto:bob@example.net", {"bob@example.net"}},
          {"contact support@my-company.io.", {"support@my-company.io"}},
          {"from=first.last@sub.domain.example.com to=x", {"first.last@sub.domain.example.com"}},
          {"USER=ADMIN@EXAMPLE.COM", {"ADMIN@EXAMPLE.COM"}},
          {"email='o.reilly@example.ie'", {"o.reilly@example.ie"}},
          {"a@b.io", {"a@b.io"}},
          {"cloning git@github.com:org/repo.git", {"git@github.com"}},
          {"postfix/smtp[123]: 4F2C: to=<user123@gmail.com>, relay=mx", {"user123@gmail.com"}},
          {"rcpt user%tag@example.com ok", {"user%tag@example.com"}},
          {"x-forwarded-email: jane-doe@example.travel", {"jane-doe@example.travel"}},
          {"login failed for 'test.user@example.com'", {"test.user@example.com"}},
          {R"(Reply-To: "Doe, John" <john.doe@example.com>)", {"john.doe@example.com"}},
          {"GET /verify?email=john.doe@example.com&next=/home", {"john.doe@example.com"}},
          {"(maria@example.es)", {"maria@example.es"}},
          {"notify ops-team@alerts.example.com;dev@example.com",
           {"ops-team@alerts.example.com", "dev@example.com"}},
          {"[user@example.com]", {"user@example.com"}},
          {"email\t\"u.ser_name@example-mail.com\"", {"u.ser_name@example-mail.com"}},
          {R"("to":["ana@example.pt","rui@example.pt"])", {"ana@example.pt", "rui@example.pt"}},
          {"--john@example.com", {"john@example.com"}},
      });
}

TEST_F(PiiScrubberTest, EmailLookAlikesUntouched) {
  expectUntouched({
      "nginx@1.21.6 started",
      "installed lodash@4.17.21",
      "image docker.io/library/redis@sha256:3b4c5d6e7f",
      "@channel please look",
      "ping @alice",
      "user@localhost",
      "foo@bar",
      "a@b.c",
      "icon@2x.png",
      "logo@3x.webp",
      "email: [at] example dot com",
      "user @ example.com",
      "foo@-bar.com",
      "foo@bar-.com",
      "x@y.z1",
      "root@server01 ready",
      "@@",
      "obj@0x7f3a2b",
      "decorator @property",
      "matrix @user:server",
      "2021-05-30@16:57 run",
      "proxy http://user@host.example.com/path",
      ".@example.com",
      "price 5@3.99",
      "john.@example.com",
  });
}

TEST_F(PiiScrubberTest, Ipv4Scrubbed) {
  expectScrubbed(
      "ipv4",
      {
          {"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 "
           "euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
           {"218.188.2.4"}},
          {"2021-05-30 16:57:45 [Relaychain] Discovered new external address for our node: "
           "/ip4/192.168.42.204/tcp/30334/ws/p2p/" +
               std::string(kPeerId),
           {"192.168.42.204"}},
          {"2021-05-30 16:57:44 [Relaychain] Prometheus server started at 127.0.0.1:9616",
           {"127.0.0.1"}},
          {"Jul  3 10:05:25 combo ftpd[32069]: connection from 203.101.45.59 "
           "(dsl-Chn-static-059.45.101.203.touchtelindia.net) at Sun Jul  3 10:05:25 2005",
           {"203.101.45.59", "059.45.101.203"}},
          {"client_ip=10.0.0.1, status=200", {"10.0.0.1"}},
          {R"({"ip":"172.16.254.1"})", {"172.16.254.1"}},
          {"connect [10.1.2.3]:8080", {"10.1.2.3"}},
          {"Accepted password for root from 8.8.8.8 port 22 ssh2", {"8.8.8.8"}},
          {"listening on 0.0.0.0:80", {"0.0.0.0"}},
          {"broadcast 255.255.255.255", {"255.255.255.255"}},
          {"x-forwarded-for: 203.0.113.7, 198.51.100.2", {"203.0.113.7", "198.51.100.2"}},
          {"blocked ip=192.0.2.1.", {"192.0.2.1"}},
          {"route 100.64.0.1/10 via eth0", {"100.64.0.1"}},
          {"from ::ffff:192.0.2.128 port 22", {"192.0.2.128"}},
          {"host-10.20.30.40 up", {"10.20.30.40"}},
          {"src=1.1.1.1 dst=9.9.9.9", {"1.1.1.1", "9.9.9.9"}},
          {"dsn tcp://10.0.0.5:5432", {"10.0.0.5"}},
          {"metadata 169.254.169.254 reachable", {"169.254.169.254"}},
          {"peer (192.168.0.1)", {"192.168.0.1"}},
          {"addr '10.10.10.10'", {"10.10.10.10"}},
          {"/ip4/10.0.0.2/udp/30333/quic", {"10.0.0.2"}},
          {"built on host 10.0.0.1", {"10.0.0.1"}},
          {"last octet 10.0.0.009", {"10.0.0.009"}},
      });
}

TEST_F(PiiScrubberTest, Ipv4LookAlikesUntouched) {
  expectUntouched({
      "running v1.2.3.4",
      "version 1.2.3.4",
      "version: 10.0.0.1",
      "release=2.0.0.1",
      "seq 1.2.3.4.5",
      "OID 1.3.6.1.4.1.2021.10",
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36",
      "256.1.1.1",
      "1.2.3",
      "10.0.0.999",
      "1.2.3.4a",
      "x1.2.3.4",
      "1.2.3.4567",
      "2021-05-30 16:57:44",
      "time 15:16:01.123",
      std::string(kPeerId),
      "best: #8 (0xe60b\xE2\x80\xA6"
      "9b0a), finalized #5 (0x1e6f\xE2\x80\xA6"
      "567c), \xE2\xAC\x87 4.5kiB/s \xE2\xAC\x86 2.2kiB/s",
      "lib.so.1.2.3.4",
      "firmware 2.0.0.1",
      "1234.5.6.7",
      "a_10.0.0.1",
      "file1.2.3.4.txt",
      "0.1.2.3.4.5.6",
  });
}

TEST_F(PiiScrubberTest, Ipv6Scrubbed) {
  expectScrubbed("ipv6",
                 {
                     {"addr 2001:db8:85a3::8a2e:370:7334 up", {"2001:db8:85a3::8a2e:370:7334"}},
                     {"link fe80::1%eth0", {"fe80::1"}},
                     {"connect [::1]:8080", {"::1"}},
                     {"from ::ffff:192.0.2.128 port 22", {"::ffff:192.0.2.128"}},
                     {"full 2001:0db8:0000:0000:0000:ff00:0042:8329",
                      {"2001:0db8:0000:0000:0000:ff00:0042:8329"}},
                     {"client=2606:4700:4700::1111", {"2606:4700:4700::1111"}},
                     {"/ip6/2001:db8::1/tcp/30333", {"2001:db8::1"}},
                     {"ip=fd00::abcd:1234,", {"fd00::abcd:1234"}},
                     {"listening on ::1", {"::1"}},
                     {"upper 2001:DB8::1", {"2001:DB8::1"}},
                     {"prefix fe80:: only", {"fe80::"}},
                     {"2001:db8:0:0:1:0:0:1 tail", {"2001:db8:0:0:1:0:0:1"}},
                     {"(2001:db8::ff00:42:8329)", {"2001:db8::ff00:42:8329"}},
                     {"inet6 fe80::a00:27ff:fe4e:66a1/64 scope link", {"fe80::a00:27ff:fe4e:66a1"}},
                     {R"({"ipv6":"2a00:1450:4001:82b::200e"})", {"2a00:1450:4001:82b::200e"}},
                     {"mapped ::ffff:10.0.0.1", {"::ffff:10.0.0.1"}},
                     {"nat64 64:ff9b::192.0.2.33", {"64:ff9b::192.0.2.33"}},
                     {"2001:db8:a0b:12f0::1", {"2001:db8:a0b:12f0::1"}},
                     {"peer=[2001:db8::2]:30333", {"2001:db8::2"}},
                     {"a 2001:db8::1 and 2001:db8::2", {"2001:db8::1", "2001:db8::2"}},
                     {"sentence ends at fe80::2.", {"fe80::2"}},
                 });
}

TEST_F(PiiScrubberTest, Ipv6LookAlikesUntouched) {
  expectUntouched({
      "at 15:16:01",
      "2021-05-30T16:57:44Z",
      "std::vector<int>",
      "main WARN sc_service::builder  Using default protocol ID",
      "MAC 00:1a:2b:3c:4d:5e",
      "digest sha256:abcdef0123456789",
      "Abc::Def",
      "dead:beef",
      "key: value",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "::",
      "a:b:c",
      "ratio 16:9",
      "substrate_prometheus_endpoint::known_os",
      "12345::1",
      "fe80:::1",
      "x::1",
      "http://host:8080/x",
      "time=12:30:45.678",
      "uuid 550e8400-e29b-41d4-a716-446655440000",
      "C::D::E",
  });
}

TEST_F(PiiScrubberTest, CardScrubbed) {
  expectScrubbed("card", {
                             {"card=4111111111111111", {"4111111111111111"}},
                             {"paid with 4111 1111 1111 1111 exp 12/25", {"4111 1111 1111 1111"}},
                             {"pan 4111-1111-1111-1111.", {"4111-1111-1111-1111"}},
                             {R"({"pan":"5555555555554444"})", {"5555555555554444"}},
                             {"mc 5105105105105100", {"5105105105105100"}},
                             {"mc2 2223003122003222 ok", {"2223003122003222"}},
                             {"amex 378282246310005", {"378282246310005"}},
                             {"amex 3782 822463 10005 grouped", {"3782 822463 10005"}},
                             {"amex 371449635398431", {"371449635398431"}},
                             {"discover 6011111111111117", {"6011111111111117"}},
                             {"discover 6011 0009 9013 9424", {"6011 0009 9013 9424"}},
                             {"jcb 3530111333300000", {"3530111333300000"}},
                             {"jcb 3566002020360505", {"3566002020360505"}},
                             {"diners 30569309025904", {"30569309025904"}},
                             {"diners 38520000023237", {"38520000023237"}},
                             {"unionpay 6200000000000005", {"6200000000000005"}},
                             {"visa-debit 4000056655665556", {"4000056655665556"}},
                             {"visa13 4222222222222", {"4222222222222"}},
                             {"maestro 6759649826438453", {"6759649826438453"}},
                             {"visa19 4000000000000000006", {"4000000000000000006"}},
                             {"card: 4012 8888 8888 1881, year 2024", {"4012 8888 8888 1881"}},
                             {"followed by more 4111 1111 1111 1111 2024", {"4111 1111 1111 1111"}},
                             {"ORDER-4111111111111111", {"4111111111111111"}},
                         });
}

TEST_F(PiiScrubberTest, CardLookAlikesUntouched) {
  expectUntouched({
      "n 4111111111111112",
      "epoch_ms 1622393864103",  // Luhn-valid, but no issuer uses a leading 1
      "epoch_ns 1622393864123456789",
      "id 7992739871300008",  // Luhn-valid, no issuer
      "id 1234567812345678",
      "order 4111 1111 1111 1112",
      "41111111111111111111",
      "block 0x4111111111111111",
      "trace 4111111111111111abcdef",
      "x4111111111111111",
      "4111 1111 1111",
      "4111-1111 1111-1111",
      "4111  1111  1111  1111",
      "5555555555554445",
      "6011111111111118",
      "3782822463100005",
      "id 12345678-1234-1234-1234-123456789012",
      "2021-05-30 16:57:44",
      "9999999999999999",
      "123 4567 8901 2345",
      "amount 4111111111111111.50",
      "trace_id 4bf92f3577b34da6a3ce929d0e0e4736",
      "traceparent 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  });
}

TEST_F(PiiScrubberTest, SsnScrubbed) {
  expectScrubbed("ssn", {
                            {"ssn=123-45-6789", {"123-45-6789"}},
                            {"SSN: 001-01-0001", {"001-01-0001"}},
                            {"applicant 899-99-9999 approved", {"899-99-9999"}},
                            {"ssn 665-12-3456.", {"665-12-3456"}},
                            {"ssn 667-12-3456", {"667-12-3456"}},
                            {"ssn 123-01-0001", {"123-01-0001"}},
                            {"(123-45-6789)", {"123-45-6789"}},
                            {R"({"ssn":"234-56-7890"})", {"234-56-7890"}},
                            {"tax id 321-54-9876 verified", {"321-54-9876"}},
                            {"ssn:555-12-3456", {"555-12-3456"}},
                            {"'456-78-1234'", {"456-78-1234"}},
                            {"ids 111-22-3333,444-55-6666", {"111-22-3333", "444-55-6666"}},
                            {"ssn=587-65-4321&x=1", {"587-65-4321"}},
                            {"ssn [555-55-5555]", {"555-55-5555"}},
                            {"<ssn>219-09-9999</ssn>", {"219-09-9999"}},
                            {"ssn\t372-12-3456", {"372-12-3456"}},
                            {"SSN 078-05-1120 on file", {"078-05-1120"}},
                            {"ssn 600-10-1000", {"600-10-1000"}},
                            {"ssn 899-01-0001 end", {"899-01-0001"}},
                            {"ssn=\"100-20-3000\"", {"100-20-3000"}},
                            {"ssn 010-10-0101", {"010-10-0101"}},
                        });
}

TEST_F(PiiScrubberTest, SsnLookAlikesUntouched) {
  expectUntouched({
      "000-12-3456",   "666-12-3456",   "900-12-3456",
      "999-99-9999",   "123-00-4567",   "123-45-0000",
      "123-45-67890",  "1234-56-7890",  "123-456-7890",
      "12-345-6789",   "2021-05-30",    "x123-45-6789",
      "123-45-6789x",  "A-123-45-6789", "123-45-6789-1",
      "123.45.6789",   "123 45 6789",   "123-45-678",
      "1-123-45-6789", "v123-45-6789",  "isbn 978-3-16-148410-0",
  });
}

TEST_F(PiiScrubberTest, PhoneScrubbed) {
  expectScrubbed("phone", {
                              {"call (555) 123-4567 now", {"(555) 123-4567"}},
                              {"phone=555-123-4567", {"555-123-4567"}},
                              {"sms to +1 555 123 4567 sent", {"+1 555 123 4567"}},
                              {"twilio to=+14155552671", {"+14155552671"}},
                              {"uk +44 20 7946 0958", {"+44 20 7946 0958"}},
                              {"uk +44 (0)20 7946 0958", {"+44 (0)20 7946 0958"}},
                              {"fr +33 1 23 45 67 89.", {"+33 1 23 45 67 89"}},
                              {"de +49-30-1234567", {"+49-30-1234567"}},
                              {"tollfree +1-800-555-0199", {"+1-800-555-0199"}},
                              {"tollfree 1-800-555-0199", {"1-800-555-0199"}},
                              {"us 1 (800) 555-0199", {"1 (800) 555-0199"}},
                              {"dots 555.123.4567", {"555.123.4567"}},
                              {"tight (555)123-4567", {"(555)123-4567"}},
                              {"in +91 98765 43210", {"+91 98765 43210"}},
                              {"jp +81 3-1234-5678", {"+81 3-1234-5678"}},
                              {"au +61 2 9876 5432", {"+61 2 9876 5432"}},
                              {"us +1 (555) 123-4567", {"+1 (555) 123-4567"}},
                              {"ie +353 1 234 5678", {"+353 1 234 5678"}},
                              {"cn +86 10 1234 5678", {"+86 10 1234 5678"}},
                              {"tel:+15551234567", {"+15551234567"}},
                              {R"(phone="212-555-0147")", {"212-555-0147"}},
                              {"ru +7 495 123-45-67", {"+7 495 123-45-67"}},
                              {"space (555) 123 4567", {"(555) 123 4567"}},
                          });
}

TEST_F(PiiScrubberTest, PhoneLookAlikesUntouched) {
  expectUntouched({
      "2021-05-30 16:57:44",
      "offset +05:30",
      "UTC+0530",
      "tz +0000",
      "latency +1500ms",
      "123-456-7890",
      "555-1234",
      "5551234567",
      "555-123-45678",
      "+12 34",
      "15:16:01",
      "0x555-123-4567",
      "ver 555.123.4567.8",
      "+1 2 3",
      "v555-123-4567",
      "555-123-4567-89",
      "Idle (2 peers), best: #8",
      "ISBN 978-0-306-40615-7",
      "port 30334",
      "pid 19939",
      "+123456789",
      "a+15551234567",
      "1-555-123",
      "(055) 123-4567",
  });
}

TEST_F(PiiScrubberTest, JwtScrubbed) {
  const std::string jwt(kJwt);
  expectScrubbed(
      "jwt", {
                 {"Authorization: Bearer " + jwt, {jwt}},
                 {"GET /cb?token=" + jwt + "&state=xyz", {jwt}},
                 {R"({"id_token":")" + jwt + R"("})", {jwt}},
                 {"jwt " + jwt + ". next", {jwt}},
                 {"cookie: session=" + jwt + ";", {jwt}},
                 {"(" + jwt + ")", {jwt}},
                 {"'" + jwt + "'", {jwt}},
                 {"unsigned " + std::string(kJwtUnsigned) + " done", {std::string(kJwtUnsigned)}},
                 {"rs256 " + std::string(kJwtRs256), {std::string(kJwtRs256)}},
                 {"es256=" + std::string(kJwtEs256), {std::string(kJwtEs256)}},
                 {jwt, {jwt}},
                 {jwt + " at start", {jwt}},
                 {"two " + jwt + " " + std::string(kJwtRs256), {jwt, std::string(kJwtRs256)}},
                 {"x-auth-jwt:" + jwt, {jwt}},
                 {"<" + jwt + ">", {jwt}},
                 {"[" + jwt + "]", {jwt}},
                 {"jwt=" + jwt + "\tnext", {jwt}},
                 {"token: " + std::string(kJwtEs256) + ", user: 42", {std::string(kJwtEs256)}},
                 {"/" + jwt + "/", {jwt}},
                 {"\"" + std::string(kJwtRs256) + "\"", {std::string(kJwtRs256)}},
                 {"jwe eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..aXYxMjM0NTY3OA."
                  "Y2lwaGVydGV4dA.dGFnMTIzNDU2Nzg5 end",
                  {"eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..aXYxMjM0NTY3OA."
                   "Y2lwaGVydGV4dA.dGFnMTIzNDU2Nzg5"}},
             });
}

TEST_F(PiiScrubberTest, JwtLookAlikesUntouched) {
  expectUntouched({
      "eyJ",
      "header eyJhbGciOiJIUzI1NiJ9 alone",
      "two eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0 segments",
      "keyJohn.was.here",
      "heyJude.song.mp3",
      "eyJabc.def.ghi",
      "base64 eyJmb28iOiJiYXIifQ== blob",
      "xeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
      "eyes.on.you",
      "eyJhbGciOiJIUzI1NiJ9..c2ln",
      "eyJhbGciOiJIUzI1NiJ9.x.y",
      "they say eyJ is how JSON looks in base64",
      "surveyJSON.v1.final",
      "eyJhbGciOiJIUzI1NiJ9 . eyJzdWIiOiIxIn0 . sig",
      "Hey everyone",
      "the eye.test.result",
      "_eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
      "eyJhbGciOiJIUzI1NiJ9.",
      "eyJhbGciOiJIUzI1NiJ9.e",
      "money.eyJ.value",
      "payload=eyJ9.eyJ9.eyJ9",
  });
}

TEST_F(PiiScrubberTest, SecretScrubbed) {
  expectScrubbed(
      "secret",
      {
          {"password=hunter2", {"hunter2"}},
          {"Authorization: Bearer abc123def456ghi789", {"abc123def456ghi789"}},
          {"Authorization: Basic dXNlcjpwYXNzd29yZA==", {"dXNlcjpwYXNzd29yZA=="}},
          {R"({"password":"s3cr3t!"})", {"s3cr3t!"}},
          {"db_password: 'p@ss w0rd'", {"p@ss w0rd"}},
          {"api_key=AbC123xYz789", {"AbC123xYz789"}},
          {"apikey: 0123456789abcdef", {"0123456789abcdef"}},
          {"X-Api-Key: 9f8e7d6c5b4a", {"9f8e7d6c5b4a"}},
          {"client_secret=shhh-its-secret", {"shhh-its-secret"}},
          {"accessToken=ya29.a0AfH6SMBx", {"ya29.a0AfH6SMBx"}},
          {"token: ghp_16C7e42F292c6912E7710c838347Ae178B4a",
           {"ghp_16C7e42F292c6912E7710c838347Ae178B4a"}},
          {"passwd=letmein; user=bob", {"letmein"}},
          {"connecting to postgres://bob:s3cr3t@db.internal:5432/app", {"s3cr3t"}},
          {"https://admin:hunter2@example.com/", {"hunter2"}},
          {"redis://:authpass@cache:6379/0", {"authpass"}},
          {"aws_access_key_id=AKIAIOSFODNN7EXAMPLE", {"AKIAIOSFODNN7EXAMPLE"}},
          {"sts creds ASIAY34FZKBOKMUTVV7A expire", {"ASIAY34FZKBOKMUTVV7A"}},
          {"key -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq9\n-----END RSA PRIVATE "
           "KEY----- loaded",
           {"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq9\n-----END RSA PRIVATE "
            "KEY-----"}},
          // Newlines escaped as "\n" text, as JSON-encoded logs carry them.
          {"k=\"" + std::string(kEscapedPem) + "\"", {std::string(kEscapedPem)}},
          {"truncated -----BEGIN PRIVATE KEY----- MIIEvQIBADANBgkqhkiG9w0B",
           {"-----BEGIN PRIVATE KEY----- MIIEvQIBADANBgkqhkiG9w0B"}},
          {R"(password => "x1y2z3")", {"x1y2z3"}},
          {R"({"log":"{\"password\":\"hunter2\",\"user\":\"bob\"}"})", {"hunter2"}},
          {"got Bearer 8f14e45fceea167a5a36dedd4bea2543 from cache",
           {"8f14e45fceea167a5a36dedd4bea2543"}},
          {"secret_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
           {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}},
          {"GET /api?token=abc123&user=1", {"abc123"}},
          {R"(Authorization: Digest username="bob", response="6629fae49393a05397450978507c4ef1")",
           {R"(username="bob", response="6629fae49393a05397450978507c4ef1")"}},
          {"passphrase: 'correct horse battery staple'", {"correct horse battery staple"}},
          {R"({"headers":{"authorization":"Bearer tok_live_123456789"}})", {"tok_live_123456789"}},
          {"Password: Summer2024!", {"Summer2024!"}},
      });
}

TEST_F(PiiScrubberTest, SecretLookAlikesUntouched) {
  expectUntouched({
      "sshd[1]: Failed password for invalid user admin",
      "password changed for user alice",
      "Jun 15 04:06:18 combo sudo: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
      "COMMAND=/bin/ls",
      "token_type=bearer",
      "tokens=5",
      "max_tokens: 512",
      "if password == expected",
      "if (token != null)",
      "secret::Kind",
      "https://example.com:8443/path",
      "http://user@example.com/",
      "AKIA1234",
      "XAKIAIOSFODNN7EXAMPLE",
      "AKIAIOSFODNN7EXAMPLE1",
      "akiaiosfodnn7example",
      "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
      "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYI\n-----END PUBLIC KEY-----",
      "Bearer token expired",
      R"(WWW-Authenticate: Bearer realm="api")",
      "password=[REDACTED:secret]",
      "password=***",
      "password= ",
      "token: ",
      "tokenizer=bpe",
      "secretary=alice",
      "author=bob",
  });
}

// BIP-39 mnemonics with valid checksums: test vectors of the standard, Substrate's development
// phrase, and 15 to 24 words made from fixed entropy with python3-mnemonic.
constexpr std::string_view kDevPhrase =
    "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
constexpr std::string_view kMnemonic15 =
    "define annual action chicken atom eagle catch again entry vocal also crunch chat sell dove";
constexpr std::string_view kMnemonic18 =
    "demand lion antique curious nation liberty bunker prepare emerge sadness dwarf pill fabric "
    "rescue before window stock river";
constexpr std::string_view kMnemonic21 =
    "behind spawn behind split mammal pledge nothing chief range differ reflect stuff fatigue card "
    "boy knock mention robot leave very hurdle";
constexpr std::string_view kMnemonic24 =
    "post lounge swear feel trap news humor balcony best biology pool galaxy magnet tag youth "
    "bracket gun common half adapt idle salmon sauce solution";
constexpr std::string_view kSeed =
    "0x3c8a1f0e9b5d7c2a4e6f8091b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1";

TEST_F(PiiScrubberTest, SubstrateKeyMaterialScrubbed) {
  const std::string dev(kDevPhrase);
  const std::string seed(kSeed);
  expectScrubbed(
      "secret",
      {
          {"Secret phrase:       " + dev, {dev}},
          {"mnemonic=\"" + std::string(kMnemonic15) + "\"", {std::string(kMnemonic15)}},
          {R"({"phrase":")" + std::string(kMnemonic18) + R"("})", {std::string(kMnemonic18)}},
          {"restored from " + std::string(kMnemonic21) + ".", {std::string(kMnemonic21)}},
          {std::string(kMnemonic24), {std::string(kMnemonic24)}},
          {"vector: abandon abandon abandon abandon abandon abandon abandon abandon abandon "
           "abandon abandon about",
           {"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
            "abandon about"}},
          {"zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
           {"zoo zoo zoo zoo zoo zoo zoo "
            "zoo zoo zoo zoo wrong"}},
          // Word-list words next to a mnemonic ("key") go with it.
          {"key " + dev + "//polkadot//0///hunter2 inserted",
           {"key " + dev + "//polkadot//0///hunter2"}},
          {"subkey inspect '" + dev + "//Alice'", {dev + "//Alice"}},
          {"--suri //Alice", {"//Alice"}},
          {"signing with //Bob//stash", {"//Bob//stash"}},
          {R"({"suri":"//Charlie"})", {"//Charlie"}},
          {"uri=//hard/soft///p4ssw0rd done", {"//hard/soft///p4ssw0rd"}},
          {"dev account ///only-password", {"///only-password"}},
          {"Secret seed:       " + seed, {seed}},
          {"--node-key " + seed, {seed}},
          {"seed=" + seed, {seed}},
          {R"({"secretSeed":")" + seed + R"("})", {seed}},
          {"private key " + seed + " loaded", {seed}},
          {"using " + seed + "//Alice", {seed + "//Alice"}},
          {"keystore insert --suri \"" + seed + "\" --key-type gran", {seed}},
      });
}

TEST_F(PiiScrubberTest, SubstrateKeyMaterialLookAlikesUntouched) {
  expectUntouched({
      // Block and extrinsic hashes have a seed's shape but no key word.
      "✨ Imported #4242 (" + std::string(kSeed) + ")",
      "🏆 Imported #17 (0x1a2b…3c4d → " + std::string(kSeed) + ")",
      "finalized #4240 (" + std::string(kSeed) + "), ⬇ 1.2kiB/s ⬆ 0.9kiB/s",
      "tx " + std::string(kSeed) + " included in block",
      // The key word must be the hash's own key, not a neighbour's.
      R"({"seed_nodes":2,"block":")" + std::string(kSeed) + R"("})",
      "secret rotation done; best block " + std::string(kSeed),
      "0x" + std::string(63, 'a'),
      // Twelve word-list words without a valid checksum, and prose.
      "bottom drive obey lake curtain smoke basket hold race lonely fit wall",
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon",
      "the quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat",
      "please wait while the system finishes loading all modules and checks the disk health",
      "Bottom Drive Obey Lake Curtain Smoke Basket Hold Race Lonely Fit Walk",
      // URLs, paths and comments.
      "GET https://rpc.example.com//v1/blocks",
      "loaded //cdn.example.com/app.js",
      "proxy //localhost:8080/api",
      "// a comment in a config dump",
      "path /var/lib//chains/polkadot",
      "file:///etc/ssl/certs",
      "s3://bucket//key",
      "a//b",
      "sync 12%, 120/450 blocks",
      "//",
      "password=[REDACTED:secret] seed=***",
  });
}

TEST_F(PiiScrubberTest, RandomIdentifiersAndNumbersAreNeverScrubbed) {
  // Random values of the shapes logs are full of: any rule firing on them is a false positive.
  std::mt19937_64 rng(42);
  auto hex = [&rng](size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back("0123456789abcdef"[rng() % 16]);
    return s;
  };
  auto base58 = [&rng](size_t n) {
    static constexpr std::string_view kAlphabet =
        "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(kAlphabet[rng() % kAlphabet.size()]);
    return s;
  };
  const PiiScrubber scrubber = allRules();
  for (int i = 0; i < 5000; ++i) {
    const std::string line =
        "ts=" + std::to_string(1600000000000ull + rng() % 200000000000ull) +
        " epoch=" + std::to_string(1600000000ull + rng() % 200000000ull) +
        " ns=" + std::to_string(1600000000000000000ull + rng() % 200000000000000000ull) +
        " trace_id=" + hex(32) + " traceparent=00-" + hex(32) + "-" + hex(16) + "-01" +
        " uuid=" + hex(8) + "-" + hex(4) + "-4" + hex(3) + "-a" + hex(3) + "-" + hex(12) +
        " block=0x" + hex(64) + " best: #" + std::to_string(rng() % 10000000) + " (0x" + hex(4) +
        "\xE2\x80\xA6" + hex(4) + ") peer=12D3KooW" + base58(44) + " legacy=Qm" + base58(44) +
        " pid=" + std::to_string(rng() % 4000000) + " port=" + std::to_string(rng() % 65536) +
        " at " + std::to_string(10 + rng() % 14) + ":" + std::to_string(10 + rng() % 50) + ":" +
        std::to_string(10 + rng() % 50) + "." + std::to_string(rng() % 1000) + " v" +
        std::to_string(rng() % 10) + "." + std::to_string(rng() % 30) + "." +
        std::to_string(rng() % 300) + " took " + std::to_string(rng() % 100000) + "ms";
    std::string out;
    ASSERT_FALSE(scrubber.scrub(line, out)) << line << "\n=> " << out;
  }
}

// ---------------------------------------------------------------------------------------------
// Actions

TEST_F(PiiScrubberTest, RedactRendersRuleName) {
  const PiiScrubber scrubber = scrubberFor({"email", "ipv4"});
  EXPECT_EQ(scrubbedText(scrubber, "a@example.com from 10.0.0.1"),
            "[REDACTED:email] from [REDACTED:ipv4]");
}

TEST_F(PiiScrubberTest, MaskKeepsDocumentedParts) {
  const PiiScrubber scrubber = allRules(Action::kMask);
  const std::pair<std::string, std::string> cases[] = {
      {"user john.doe@example.com", "user j***@example.com"},
      {"ip 192.168.1.23:80", "ip 192.168.1.xxx:80"},
      {"ip 059.45.101.203", "ip 059.45.101.xxx"},
      {"ip6 2001:db8:85a3::8a2e:370:7334", "ip6 2001:db8:85a3:xxxx:xxxx:xxxx:xxxx:xxxx"},
      {"ip6 fe80::1", "ip6 fe80:0:0:xxxx:xxxx:xxxx:xxxx:xxxx"},
      {"card 4111 1111 1111 1111", "card **** **** **** 1111"},
      {"card 4111111111111111", "card ************1111"},
      {"amex 3782 822463 10005", "amex **** ****** *0005"},
      {"ssn 123-45-6789", "ssn ***-**-6789"},
      {"tel (555) 123-4567", "tel (***) ***-4567"},
      {"tel +1 555 123 4567", "tel +* *** *** 4567"},
      {"jwt " + std::string(kJwt), "jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.***"},
      {"password=hunter2 ok", "password=*** ok"},
      {"dsn postgres://bob:s3cr3t@db/app", "dsn postgres://bob:***@db/app"},
      {"id AKIAIOSFODNN7EXAMPLE", "id AKIA************MPLE"},
      {"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIO\n-----END EC PRIVATE KEY-----",
       "-----BEGIN EC PRIVATE KEY-----***-----END EC PRIVATE KEY-----"},
  };
  for (const auto& [input, expected] : cases) EXPECT_EQ(scrubbedText(scrubber, input), expected);
}

TEST_F(PiiScrubberTest, MaskOfCustomRuleKeepsWholeUtf8Characters) {
  ScrubberOptions options;
  options.rules = {{"customer", R"(CUST-\d+)", Action::kMask},
                   {"short", R"(AB\d\d)", Action::kMask},
                   {"name", "\xC3\xA9lodie\\w*", Action::kMask}};  // "élodie"
  const PiiScrubber scrubber(std::move(options));
  EXPECT_EQ(scrubbedText(scrubber, "c=CUST-12345678"), "c=C***8");
  EXPECT_EQ(scrubbedText(scrubber, "code AB12"), "code ***");
  EXPECT_EQ(scrubbedText(scrubber, "hi \xC3\xA9lodie!"), "hi \xC3\xA9***e!");
}

TEST_F(PiiScrubberTest, HashIsKeyedHmacOfCanonicalValue) {
  const std::string key = "correlation-key-0123456789";
  const PiiScrubber scrubber = allRules(Action::kHash, key);
  EXPECT_EQ(scrubbedText(scrubber, "user john.doe@example.com"),
            "user [email:" + hmacHex(key, "john.doe@example.com", 16) + "]");
  EXPECT_EQ(scrubbedText(scrubber, "from 10.0.0.1"),
            "from [ipv4:" + hmacHex(key, "10.0.0.1", 16) + "]");
  EXPECT_EQ(scrubbedText(scrubber, "password=hunter2"),
            "password=[secret:" + hmacHex(key, "hunter2", 16) + "]");
  // Spellings of the same value hash alike, so they still correlate.
  const std::pair<std::string, std::string> same[] = {
      {"John.Doe@Example.COM", "john.doe@example.com"},
      {"4111 1111 1111 1111", "4111111111111111"},
      {"4111-1111-1111-1111", "4111111111111111"},
      {"059.045.101.203", "59.45.101.203"},
      {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
      {"2001:0db8:0000:0001:0000:0000:0000:0001", "2001:db8:0:1::1"},
      {"+1 555 123 4567", "+1-555-123-4567"},
  };
  for (const auto& [a, b] : same) {
    SCOPED_TRACE(a);
    const std::string hashed = scrubbedText(scrubber, a);
    EXPECT_NE(hashed, a);
    EXPECT_EQ(hashed, scrubbedText(scrubber, b));
  }
  EXPECT_EQ(scrubbedText(scrubber, "2001:DB8:0:0:0:0:0:1"),
            "[ipv6:" + hmacHex(key, "2001:db8::1", 16) + "]");
  EXPECT_EQ(scrubbedText(scrubber, "card 4111 1111 1111 1111"),
            "card [card:" + hmacHex(key, "4111111111111111", 16) + "]");
  EXPECT_EQ(scrubbedText(scrubber, "tel +1 555 123 4567"),
            "tel [phone:" + hmacHex(key, "+15551234567", 16) + "]");
  EXPECT_NE(scrubbedText(scrubber, "a@example.com"), scrubbedText(scrubber, "b@example.com"));
}

TEST_F(PiiScrubberTest, HashIsStableAcrossInstancesAndDependsOnKey) {
  const std::string line =
      "login jane@example.com from 203.0.113.9 card 4111111111111111 token=abc123";
  const std::string first = scrubbedText(allRules(Action::kHash, "key-one"), line);
  const std::string second = scrubbedText(allRules(Action::kHash, "key-one"), line);
  const std::string other_key = scrubbedText(allRules(Action::kHash, "key-two"), line);
  EXPECT_NE(first, line);
  EXPECT_EQ(first, second);
  EXPECT_NE(first, other_key);
  std::string renderings_removed = first;
  EXPECT_EQ(RE2::GlobalReplace(&renderings_removed,
                               RE2(R"(\[(email|ipv4|card|secret):[0-9a-f]{16}\])"), ""),
            4);
  EXPECT_EQ(renderings_removed, "login  from  card  token=");
}

TEST_F(PiiScrubberTest, HashHexCharsIsHonoured) {
  const PiiScrubber scrubber = scrubberFor({"email"}, Action::kHash, "k", 64);
  EXPECT_EQ(scrubbedText(scrubber, "a@example.com"),
            "[email:" + hmacHex("k", "a@example.com") + "]");
}

TEST_F(PiiScrubberTest, KeepCountsButDoesNotReplace) {
  ScrubberOptions options;
  options.rules = {{"ipv4", "", Action::kKeep}, {"email", "", Action::kRedact}};
  const PiiScrubber scrubber(std::move(options));
  MatchCounts counts;
  std::string out;
  EXPECT_FALSE(scrubber.scrub("from 10.0.0.1 and 10.0.0.2", out, &counts));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(counts.by_rule[0], 2u);
  EXPECT_EQ(scrubbedText(scrubber, "a@example.com from 10.0.0.1", &counts),
            "[REDACTED:email] from 10.0.0.1");
  EXPECT_EQ(counts.by_rule[0], 3u);
  EXPECT_EQ(counts.by_rule[1], 1u);
}

TEST_F(PiiScrubberTest, ParseAndNameActions) {
  for (Action action : {Action::kRedact, Action::kMask, Action::kHash, Action::kKeep}) {
    EXPECT_EQ(parseAction(actionName(action)), action);
  }
  EXPECT_FALSE(parseAction("Redact").has_value());
  EXPECT_FALSE(parseAction("").has_value());
}

// ---------------------------------------------------------------------------------------------
// HMAC and Luhn helpers

TEST(HmacSha256Test, Rfc4231Vectors) {
  struct Vector {
    std::string key;
    std::string data;
    std::string_view mac;
  };
  const Vector vectors[] = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {fromHex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
  };
  for (const Vector& v : vectors) {
    EXPECT_EQ(hmacHex(v.key, v.data), v.mac);
    // A context reused across digests (as a scrub call does) must restart cleanly each time.
    HmacSha256 hmac(v.key);
    HmacSha256::Context context(hmac);
    for (int round = 0; round < 3; ++round) {
      Sha256Digest digest;
      ASSERT_TRUE(context.digest(v.data, digest));
      std::string hex;
      appendHex(digest, 64, hex);
      EXPECT_EQ(hex, v.mac) << "round " << round;
    }
  }
  // RFC 4231 test case 5 is defined on the truncated output.
  EXPECT_EQ(hmacHex(std::string(20, '\x0c'), "Test With Truncation", 32),
            "a3b6167473100ee06e0c796c2955552b");
}

TEST(HmacSha256Test, RejectsEmptyKey) { EXPECT_THROW(HmacSha256(""), std::invalid_argument); }

TEST(LuhnTest, ValidAndInvalid) {
  static_assert(luhnValid("79927398713"));
  static_assert(!luhnValid("79927398710"));
  for (std::string_view valid : {"4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111",
                                 "378282246310005", "6011111111111117", "00", "18"}) {
    EXPECT_TRUE(luhnValid(valid)) << valid;
  }
  // A lone digit is never treated as a checked number.
  for (std::string_view invalid :
       {"4111111111111112", "1234567812345678", "", "0", "4111x1111", "41111111/11111111", "19"}) {
    EXPECT_FALSE(luhnValid(invalid)) << invalid;
  }
}

// ---------------------------------------------------------------------------------------------
// Custom rules

TEST_F(PiiScrubberTest, CustomRuleWithoutGroupReplacesWholeMatch) {
  ScrubberOptions options;
  options.rules = {{"order_id", "ORD-[0-9]{6}", Action::kRedact}};
  const PiiScrubber scrubber(std::move(options));
  EXPECT_EQ(scrubbedText(scrubber, "orders ORD-123456, ORD-654321 and ORD-12"),
            "orders [REDACTED:order_id], [REDACTED:order_id] and ORD-12");
}

TEST_F(PiiScrubberTest, CustomRuleWithGroupReplacesGroupOne) {
  ScrubberOptions options;
  options.rules = {{"session", "(?i)session=([a-z0-9]+)", Action::kRedact},
                   {"maybe", "user(?:=([a-z]+))?;", Action::kRedact}};
  const PiiScrubber scrubber(std::move(options));
  EXPECT_EQ(scrubbedText(scrubber, "SESSION=abc123; path=/"), "SESSION=[REDACTED:session]; path=/");
  // An optional group that did not take part replaces nothing.
  EXPECT_EQ(scrubbedText(scrubber, "user=bob; user;"), "user=[REDACTED:maybe]; user;");
}

TEST_F(PiiScrubberTest, CustomRulesInterleaveInTextOrder) {
  ScrubberOptions options;
  options.rules = {{"foo", R"(foo\d)", Action::kRedact}, {"bar", R"(bar\d)", Action::kRedact}};
  const PiiScrubber scrubber(std::move(options));
  EXPECT_EQ(scrubbedText(scrubber, "bar1 foo2 bar3 foo4 x"),
            "[REDACTED:bar] [REDACTED:foo] [REDACTED:bar] [REDACTED:foo] x");
  // More matches than can wait at once: they must still arrive in text order across rules.
  std::string text;
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    text += "bar1 foo2 ";
    expected += "[REDACTED:bar] [REDACTED:foo] ";
  }
  EXPECT_EQ(scrubbedText(scrubber, text), expected);
}

TEST_F(PiiScrubberTest, DenseCustomMatchesDoNotSplitAnEarlierStartingEmail) {
  // Every 'q' matches the custom rule, including the 50 in the email's local part, which the
  // scan only sees once it reaches the '@'. The email starts first and is longer, so it wins.
  ScrubberOptions options;
  options.rules = {{"q", "q", Action::kRedact}, {"email", "", Action::kRedact}};
  const PiiScrubber scrubber(std::move(options));
  std::string text = std::string(100, 'q') + " " + std::string(50, 'q') + "@example.com q";
  std::string expected;
  for (int i = 0; i < 100; ++i) expected += "[REDACTED:q]";
  expected += " [REDACTED:email] [REDACTED:q]";
  EXPECT_EQ(scrubbedText(scrubber, text), expected);
}

TEST_F(PiiScrubberTest, CustomRuleHashes) {
  ScrubberOptions options;
  options.rules = {{"customer", R"(CUST-(\d+))", Action::kHash}};
  options.hmac_key = "k";
  const PiiScrubber scrubber(std::move(options));
  EXPECT_EQ(scrubbedText(scrubber, "CUST-42"), "CUST-[customer:" + hmacHex("k", "42", 16) + "]");
}

// ---------------------------------------------------------------------------------------------
// Overlaps and several rules on one line

TEST_F(PiiScrubberTest, EarliestThenLongestThenFirstListedWins) {
  // An email whose local part looks like an address: the email starts at the same byte and is
  // longer.
  EXPECT_EQ(scrubbedText(allRules(), "x 10.0.0.1@example.com y"), "x [REDACTED:email] y");

  ScrubberOptions earliest;
  earliest.rules = {{"long", "bcdefgh", Action::kRedact}, {"early", "abc", Action::kRedact}};
  EXPECT_EQ(scrubbedText(PiiScrubber(std::move(earliest)), "abcdefgh"), "[REDACTED:early]defgh");

  ScrubberOptions longest;
  longest.rules = {{"short", "abc", Action::kRedact}, {"long", "abcdef", Action::kRedact}};
  EXPECT_EQ(scrubbedText(PiiScrubber(std::move(longest)), "abcdefg"), "[REDACTED:long]g");

  // Same span: the rule listed first.
  EXPECT_EQ(scrubbedText(scrubberFor({"secret", "email"}), "password=john@example.com"),
            "password=[REDACTED:secret]");
  EXPECT_EQ(scrubbedText(scrubberFor({"email", "secret"}), "password=john@example.com"),
            "password=[REDACTED:email]");
  ScrubberOptions custom_first;
  custom_first.rules = {{"internal_ip", R"(10\.0\.\d+\.\d+)", Action::kRedact},
                        {"ipv4", "", Action::kRedact}};
  EXPECT_EQ(scrubbedText(PiiScrubber(std::move(custom_first)), "from 10.0.3.4 and 192.168.0.1"),
            "from [REDACTED:internal_ip] and [REDACTED:ipv4]");
}

TEST_F(PiiScrubberTest, MatchStartingTheMaximumDistanceBeforeItsTriggerStillWins) {
  // The local part is 64 bytes (the most an address may have) and starts with a dotted quad:
  // the IPv4 candidate must still be pending when the '@' shows the longer email. The prefix
  // puts the scan well past the first 64 bytes, where pending matches get committed.
  const std::string prefix(100, 'x');
  const std::string local = "10.0.0.1." + std::string(55, 'a');
  ASSERT_EQ(local.size(), matchers::kEmailMaxLocal);
  EXPECT_EQ(scrubbedText(allRules(), prefix + " " + local + "@example.com end"),
            prefix + " [REDACTED:email] end");
  // One byte longer is not an address; the quad is then scrubbed on its own.
  EXPECT_EQ(scrubbedText(allRules(), prefix + " -" + local + "@example.com end"),
            prefix + " -[REDACTED:ipv4]." + std::string(55, 'a') + "@example.com end");
}

TEST_F(PiiScrubberTest, MultiRuleLine) {
  const std::string line =
      "user=jane.doe@example.com ip=10.1.2.3 ip6=fe80::1 card=4111 1111 "
      "1111 1111 ssn=123-45-6789 phone=+1 555 123 4567 token=abcdef123456 "
      "jwt=" +
      std::string(kJwt) + " peer=" + std::string(kPeerId) +
      " block=0xe60b9b0a at 2021-05-30 16:57:44";
  MatchCounts counts;
  const PiiScrubber scrubber = allRules();
  EXPECT_EQ(scrubbedText(scrubber, line, &counts),
            "user=[REDACTED:email] ip=[REDACTED:ipv4] ip6=[REDACTED:ipv6] card=[REDACTED:card] "
            "ssn=[REDACTED:ssn] phone=[REDACTED:phone] token=[REDACTED:secret] "
            "jwt=[REDACTED:jwt] peer=" +
                std::string(kPeerId) + " block=0xe60b9b0a at 2021-05-30 16:57:44");
  for (size_t i = 0; i < scrubber.ruleCount(); ++i) {
    EXPECT_EQ(counts.by_rule[i], 1u) << scrubber.ruleName(i);
  }
  // Scrubbed output is a fixed point: running the scrubber again changes nothing.
  EXPECT_EQ(scrubbedText(scrubber, scrubbedText(scrubber, line)), scrubbedText(scrubber, line));
}

TEST_F(PiiScrubberTest, LongTextWithManyMatchesAndLookbehind) {
  // Matches spread over a long text exercise committing pending matches while scanning.
  std::string text;
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    const std::string local(1 + i % 60, static_cast<char>('a' + i % 26));
    text += "entry " + std::to_string(i) + " " + local + "@example.com 10.0.0." +
            std::to_string(i % 256) + " ";
    expected += "entry " + std::to_string(i) + " [REDACTED:email] [REDACTED:ipv4] ";
  }
  EXPECT_EQ(scrubbedText(allRules(), text), expected);
}

TEST_F(PiiScrubberTest, EmptyAndTinyInputs) {
  const PiiScrubber scrubber = allRules();
  for (std::string_view text : {"", "@", ":", "1", "=", "+", "e", "A", "B", "::", "1.2.3.4"}) {
    std::string out;
    const bool changed = scrubber.scrub(text, out);
    EXPECT_EQ(changed, text == "1.2.3.4") << text;
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration errors

TEST_F(PiiScrubberTest, InvalidConfigurationsThrowClearErrors) {
  auto options = [](std::vector<RuleSpec> rules, std::string key = "", size_t hex = 16) {
    return ScrubberOptions{std::move(rules), std::move(key), hex};
  };
  const std::pair<ScrubberOptions, std::string> cases[] = {
      {options({}), "no rules configured"},
      {options({{"emial", "", Action::kRedact}}), "unknown built-in rule 'emial'"},
      {options({{"emial", "", Action::kRedact}}), "email, ipv4, ipv6, card, ssn, phone, jwt"},
      {options({{"ids", "([a-z", Action::kRedact}}), "rule 'ids': invalid RE2 pattern"},
      {options({{"ids", "a*", Action::kRedact}}), "matches the empty string"},
      {options({{"email", "", Action::kRedact}, {"email", "", Action::kMask}}),
       "rule 'email' is listed twice"},
      {options({{"email", "x@y", Action::kRedact}}), "name of a built-in rule"},
      {options({{"email", "", Action::kHash}}), "rule 'email' uses the hash action"},
      {options({{"email", "", Action::kRedact}}, "", 4), "hash_hex_chars must be between 8 and 64"},
      {options({{"email", "", Action::kRedact}}, "", 65), "got 65"},
      {options({{"my rule", "x", Action::kRedact}}), "rule name 'my rule' may only contain"},
      {options({{"", "", Action::kRedact}}), "rule #1 has no name"},
      {options(std::vector<RuleSpec>(33, RuleSpec{"r", "x", Action::kRedact})),
       "at most 32 are supported"},
  };
  for (const auto& [config, message] : cases) {
    const std::string error = invalidConfigMessage(config);
    EXPECT_NE(error.find(message), std::string::npos) << "got: " << error;
  }
  EXPECT_NO_THROW(allRules(Action::kHash, "key"));
}

TEST_F(PiiScrubberTest, ExposesRulesAndBuiltinNames) {
  const auto names = PiiScrubber::builtinRuleNames();
  ASSERT_EQ(names.size(), 8u);
  EXPECT_EQ(names.front(), "email");
  EXPECT_EQ(names.back(), "secret");
  ScrubberOptions options;
  options.rules = {{"ssn", "", Action::kMask}, {"ticket", R"(T-\d+)", Action::kKeep}};
  const PiiScrubber scrubber(std::move(options));
  ASSERT_EQ(scrubber.ruleCount(), 2u);
  EXPECT_EQ(scrubber.ruleName(1), "ticket");
  EXPECT_EQ(scrubber.ruleAction(0), Action::kMask);
  EXPECT_THROW(scrubber.ruleName(2), std::out_of_range);
}

// ---------------------------------------------------------------------------------------------
// Allocation, threads, scanner

TEST_F(PiiScrubberTest, NoAllocationWhenNothingMatchesOrOutHasRoom) {
  if (!LOGSHIP_COUNT_ALLOCATIONS) GTEST_SKIP() << "allocation counting is off under ASan";
  ScrubberOptions options;
  options.rules = PiiScrubber::builtinRules(Action::kRedact);
  options.rules.push_back({"ticket", R"(TICKET-(\d+))", Action::kRedact});
  const PiiScrubber scrubber(std::move(options));
  const std::string clean =
      "2021-05-30 16:57:49 [Relaychain] Idle (2 peers), best: #8 (0xe60b\xE2\x80\xA6"
      "9b0a), finalized #5, trace_id=4bf92f3577b34da6a3ce929d0e0e4736 user=root uid=0";
  const std::string dirty = "login jane@example.com from 10.0.0.1 TICKET-42 password=x";
  std::string out;
  out.reserve(1024);
  // Warm-up: RE2 builds its DFA lazily on the first search.
  scrubber.scrub(clean, out);
  scrubber.scrub(dirty, out);
  out.clear();

  const size_t before = g_allocations.load();
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(scrubber.scrub(clean, out));
  EXPECT_EQ(g_allocations.load() - before, 0u) << "scrub() allocated on a line without PII";

  const size_t before_dirty = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    out.clear();
    EXPECT_TRUE(scrubber.scrub(dirty, out));
  }
  EXPECT_EQ(g_allocations.load() - before_dirty, 0u) << "scrub() allocated beyond `out`";
  EXPECT_EQ(out,
            "login [REDACTED:email] from [REDACTED:ipv4] TICKET-[REDACTED:ticket] "
            "password=[REDACTED:secret]");
}

TEST_F(PiiScrubberTest, ConcurrentScrubsAgree) {
  const PiiScrubber scrubber = allRules(Action::kHash, "shared-key");
  std::vector<std::string> lines;
  for (int i = 0; i < 200; ++i) {
    lines.push_back("user" + std::to_string(i) + "@example.com from 10.0." + std::to_string(i) +
                    ".1 token=t" + std::to_string(i * 7919));
  }
  std::vector<std::string> expected;
  for (const std::string& line : lines) expected.push_back(scrubbedText(scrubber, line));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::string out;
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < lines.size(); ++i) {
          out.clear();
          scrubber.scrub(lines[i], out);
          if (out != expected[i]) mismatches.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(TriggerScanTest, VectorMaskMatchesPortableMask) {
  std::vector<scan::TriggerSet> sets = {
      {true, {'@', ':', '+', '='}, {'A', 'B', 'e'}},
      {true, {0, 0, 0, 0}, {0, 0, 0}},
      {false, {':', 0, 0, 0}, {'e', 0, 0}},
  };
  sets.push_back(sets[0]);
  sets.back().slash_pairs = true;
  sets.back().allowDigitsBefore('x', 0b10);
  // Digit runs held to shapes: one byte at three offsets, then two bytes at every offset.
  sets.push_back(sets[0]);
  sets.back().allowDigitsBefore('.', 0b1110);
  sets.push_back(sets.back());
  sets.back().allowDigitsBefore('-', 0b11010);
  sets.back().allowDigitsBefore('.', 0b10000);
  constexpr char kAlphabet[] = "0123456789aeAB@:=+_ .-/xyZ\xE2\x80\xA6\t)";
  std::mt19937 rng(7);
  for (const scan::TriggerSet& set : sets) {
    const scan::BlockScanner scanner(set);
    for (int round = 0; round < 5000; ++round) {
      unsigned char block[scan::kBlock + scan::kLookahead];
      for (unsigned char& c : block) c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
      const bool prev_word = rng() % 2 == 0;
      ASSERT_EQ(scanner.mask(block, prev_word), scan::blockMaskPortable(set, block, prev_word));
    }
  }
}

TEST(TriggerScanTest, DigitRunsPassOnlyInTheShapesAllowed) {
  scan::TriggerSet set{true, {}, {}};
  set.allowDigitsBefore('.', 0b1110);  // as IPv4 alone
  auto candidates = [&](std::string text) {
    text.resize(scan::kBlock + scan::kLookahead, ' ');
    std::string marks;
    const uint32_t mask =
        scan::blockMaskPortable(set, reinterpret_cast<const unsigned char*>(text.data()), false);
    for (size_t k = 0; k < scan::kBlock; ++k) marks += mask >> k & 1 ? '^' : '.';
    return marks;
  };
  EXPECT_EQ(candidates("10.1.22.3 15:16"), "^..^.^..........");
  EXPECT_EQ(candidates("1234.5 x12.3 99"), "................");
  set.allowDigitsBefore('-', 0b1000);  // and SSNs
  EXPECT_EQ(candidates("078-05-1120 2021"), "^...............");
  EXPECT_EQ(candidates("2021-05-30 16:57"), "................");
}

// ---------------------------------------------------------------------------------------------
// The real corpus

// An independent RE2 notion of "contains an IPv4 address": four dot-separated numbers of 0-255,
// not glued to a word or a dot on the left (so "v1.2.3.4" and the "129.206.196.21" of
// "host129.206.196.21.example.com" do not count) and not continued by more digits or a fifth
// number on the right. Unlike the scrubber it ignores what letters follow.
bool containsIpv4(const std::string& text) {
  static const RE2 kQuad(
      R"((?:^|[^0-9A-Za-z_.])((\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}))(\.?\d)?)");
  re2::StringPiece input(text);
  re2::StringPiece quad;
  int a, b, c, d;
  re2::StringPiece tail;
  while (RE2::FindAndConsume(&input, kQuad, &quad, &a, &b, &c, &d, &tail)) {
    if (tail.empty() && a <= 255 && b <= 255 && c <= 255 && d <= 255) return true;
  }
  return false;
}

std::vector<std::string> protectedTokens(const std::string& line) {
  // Peer ids (base58) and abbreviated block hashes ("0xe60b…9b0a").
  static const RE2 kToken(R"((12D3KooW[1-9A-HJ-NP-Za-km-z]{44}|Qm[1-9A-HJ-NP-Za-km-z]{44})"
                          R"(|0x[0-9a-f]{4}\x{2026}[0-9a-f]{4}))");
  std::vector<std::string> tokens;
  re2::StringPiece input(line);
  std::string token;
  while (RE2::FindAndConsume(&input, kToken, &token)) tokens.push_back(token);
  return tokens;
}

TEST_F(PiiScrubberTest, CorpusLeavesNoIpv4AndKeepsPeerIdsAndHashes) {
  const PiiScrubber ipv4_only = scrubberFor({"ipv4"});
  const PiiScrubber all = allRules();
  for (const char* file : {"linux_syslog_2k.log", "substrate_node_sample.log"}) {
    SCOPED_TRACE(file);
    const std::vector<std::string> lines = readLines(std::string(LOGSHIP_CORPUS_DIR) + "/" + file);
    LOGSHIP_REQUIRE(!lines.empty(), "cannot read " << LOGSHIP_CORPUS_DIR << "/" << file);
    size_t lines_with_ip = 0;
    size_t protected_seen = 0;
    for (const std::string& line : lines) {
      if (containsIpv4(line)) ++lines_with_ip;
      const std::string scrubbed = scrubbedText(ipv4_only, line);
      const std::string scrubbed_all = scrubbedText(all, line);
      EXPECT_FALSE(containsIpv4(scrubbed)) << line << "\n=> " << scrubbed;
      EXPECT_FALSE(containsIpv4(scrubbed_all)) << line << "\n=> " << scrubbed_all;
      for (const std::string& token : protectedTokens(line)) {
        ++protected_seen;
        EXPECT_NE(scrubbed.find(token), std::string::npos) << token;
        EXPECT_NE(scrubbed_all.find(token), std::string::npos) << token;
      }
    }
    // The checks above must have had something to check.
    EXPECT_GT(lines_with_ip, 0u);
    if (std::string_view(file) == "substrate_node_sample.log") {
      EXPECT_GT(protected_seen, 10u);
    }
  }
}

TEST_F(PiiScrubberTest, CorpusFalsePositivesStayOut) {
  // On the syslog corpus the only PII is addresses and one build email; every other rule
  // firing there is a false positive.
  const std::vector<std::string> lines =
      readLines(std::string(LOGSHIP_CORPUS_DIR) + "/linux_syslog_2k.log");
  LOGSHIP_REQUIRE(!lines.empty(), "cannot read the syslog corpus");
  const PiiScrubber addresses_and_email = scrubberFor({"email", "ipv4"});
  const PiiScrubber all = allRules();
  for (const std::string& line : lines) {
    EXPECT_EQ(scrubbedText(all, line), scrubbedText(addresses_and_email, line)) << line;
  }
}

}  // namespace
}  // namespace logship::scrub_pii
