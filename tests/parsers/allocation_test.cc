// The hot-path promise of every parser: no heap allocation per event once warmed up. Fields grow
// in the batch arena (a handful of block allocations per batch), per-thread scratch is reused.

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "tests/parsers/parser_test_support.h"

namespace {
thread_local bool t_counting = false;
thread_local uint64_t t_allocations = 0;

void* countedAllocate(std::size_t size) {
  if (t_counting) ++t_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return countedAllocate(size); }
void* operator new[](std::size_t size) { return countedAllocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace logship {
namespace {

class SlotEmitter final : public Emitter {
 public:
  void emit(Batch&& batch, std::string_view) override { slot.emplace(std::move(batch)); }
  std::optional<Batch> slot;
};

struct Case {
  const char* type;
  const char* options;
  std::vector<std::string> lines;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.type; }

class AllocationTest : public ::testing::TestWithParam<Case> {};

TEST_P(AllocationTest, SteadyStateAllocatesNothingPerEvent) {
  const Case& c = GetParam();
  auto transform = testing::buildOrFail(c.type, c.options);
  ASSERT_NE(transform, nullptr);
  testing::FakeContext context;
  transform->start(context);
  std::vector<std::string> lines;
  while (lines.size() < 4000) lines.insert(lines.end(), c.lines.begin(), c.lines.end());

  uint64_t allocations = 0;
  for (int round = 0; round < 3; ++round) {
    Batch batch = testing::makeBatch(lines, testing::kCorpusReadTimeNs);
    SlotEmitter out;
    t_allocations = 0;
    t_counting = true;
    transform->process(batch, out);
    t_counting = false;
    allocations = t_allocations;
    ASSERT_TRUE(out.slot.has_value());
    for (const Event& e : out.slot->events()) {
      ASSERT_EQ(e.flags & Event::kParseError, 0) << e.message;
      ASSERT_GT(e.field_count, 0) << e.message;
    }
  }
  // The last round runs warm: only the batch's own arena blocks (doubling up to 1 MiB, then 1 MiB
  // each) and the list of them may have been allocated, a number that grows with the log of the
  // batch size, not with its events.
  EXPECT_LT(allocations * 100, lines.size())
      << allocations << " allocations for " << lines.size() << " events";
}

INSTANTIATE_TEST_SUITE_P(
    Parsers, AllocationTest,
    ::testing::Values(
        Case{
            "parse_json",
            "",
            {R"({"ts":"2024-01-02T03:04:05Z","level":"info","msg":"request done","http":{"method":"GET","status":200},"latency_ms":12.5,"user":"bob\u00e9","tags":["a","b"]})",
             R"({"time":1700000000123,"level":30,"msg":"with \"escapes\"\n","pid":42})"}},
        Case{"parse_logfmt",
             "",
             {R"(ts=2024-01-02T03:04:05Z level=warn msg="slow \"query\"" duration=1.5s db=main)",
              "level=info msg=ok user=alice cached"}},
        Case{"parse_regex",
             "patterns: ['^\\[(?P<timestamp>[^\\]]+)\\] \\[(?P<level>[a-z]+)\\] (?P<message>.*)$']",
             {"[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok "
              "/etc/httpd/conf/workers2.properties",
              "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6"}},
        Case{"parse_syslog",
             "",
             {"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= "
              "uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
              R"(<165>1 2003-10-11T22:14:15.003Z host app 1 ID47 [id@1 a="x\"y"] body)"}},
        Case{"parse_auth",
             "",
             {"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= "
              "uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4  user=root",
              "Mar  3 10:00:01 bastion sshd[811]: Failed password for invalid user admin from "
              "203.0.113.9 port 52144 ssh2",
              "Mar  3 10:00:02 bastion kernel: [ 99.000001] [UFW BLOCK] IN=eth0 OUT= "
              "SRC=203.0.113.9 DST=10.0.0.5 LEN=40 PROTO=TCP SPT=4444 DPT=22 SYN URGP=0",
              "2026-11-22 10:00:00,123 fail2ban.actions        [1234]: NOTICE  [sshd] Ban "
              "203.0.113.9",
              "2026-11-22 10:00:00 install nginx:amd64 <none> 1.22.1-9"}},
        Case{"parse_auditd",
             "",
             {"type=SYSCALL msg=audit(1700000000.123:4567): arch=c000003e syscall=59 "
              "success=yes exit=0 a0=55d0c1e0 a1=55d0c200 a2=55d0c220 a3=8 items=1 ppid=1201 "
              "pid=1302 auid=1000 uid=0 gid=0 euid=0 tty=pts0 ses=3 comm=\"ls\" "
              "exe=\"/usr/bin/ls\" key=\"exec\"",
              "type=EXECVE msg=audit(1700000000.123:4567): argc=2 a0=\"ls\" "
              "a1=2F746D702F6D7920646972",
              "type=PATH msg=audit(1700000000.123:4567): item=0 name=\"/usr/bin/ls\" "
              "inode=1835 dev=fd:00 mode=0100755 nametype=NORMAL",
              "type=PROCTITLE msg=audit(1700000000.123:4567): "
              "proctitle=6C73002F746D702F6D7920646972",
              "type=EOE msg=audit(1700000000.123:4567): ",
              "type=USER_LOGIN msg=audit(1700000100.000:900): pid=2211 uid=0 auid=1000 ses=7 "
              "msg='op=login id=1000 exe=\"/usr/sbin/sshd\" addr=203.0.113.9 res=failed'"}},
        Case{"parse_substrate",
             "",
             {"2021-05-30 16:57:49 [Relaychain] \xF0\x9F\x92\xA4 Idle (2 peers), best: #8 "
              "(0xe60b\xE2\x80\xA6"
              "9b0a), finalized #5 (0x1e6f\xE2\x80\xA6"
              "567c), "
              "\xE2\xAC\x87 4.5kiB/s \xE2\xAC\x86 2.2kiB/s",
              "2020-09-02 11:09:35.081 main WARN sc_service::builder  Using default protocol"}}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.type); });

}  // namespace
}  // namespace logship
