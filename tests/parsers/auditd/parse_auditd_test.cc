#include "parsers/auditd/parse_auditd.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parsers/auditd/audit_record.h"
#include "tests/parsers/parser_test_support.h"

namespace logship {
namespace {

using testing::buildOrFail;
using testing::CapturingEmitter;
using testing::FakeContext;
using testing::integer;
using testing::makeBatch;
using testing::parseFailed;
using testing::str;

// An execve as the kernel logs it (RAW format): SYSCALL, EXECVE, CWD, PATH x2, PROCTITLE, EOE.
const std::vector<std::string> kExecve = {
    "type=SYSCALL msg=audit(1700000000.123:4567): arch=c000003e syscall=59 success=yes exit=0 "
    "a0=55d0c1e0 a1=55d0c200 a2=55d0c220 a3=8 items=2 ppid=1201 pid=1302 auid=1000 uid=0 gid=0 "
    "euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"ls\" exe=\"/usr/bin/ls\" "
    "subj=unconfined key=\"exec\"",
    "type=EXECVE msg=audit(1700000000.123:4567): argc=3 a0=\"ls\" a1=\"-la\" "
    "a2=2F746D702F6D7920646972",
    "type=CWD msg=audit(1700000000.123:4567): cwd=\"/root\"",
    "type=PATH msg=audit(1700000000.123:4567): item=0 name=\"/usr/bin/ls\" inode=1835 dev=fd:00 "
    "mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 "
    "cap_fver=0 cap_frootid=0",
    "type=PATH msg=audit(1700000000.123:4567): item=1 name=\"/lib64/ld-linux-x86-64.so.2\" "
    "inode=2101 dev=fd:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 "
    "cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
    "type=PROCTITLE msg=audit(1700000000.123:4567): proctitle=6C73002D6C61002F746D702F6D7920646972",
    "type=EOE msg=audit(1700000000.123:4567): ",
};

struct AuditdRun {
  std::unique_ptr<Transform> transform;
  FakeContext context;
  CapturingEmitter out;

  explicit AuditdRun(const std::string& options = "")
      : transform(buildOrFail("parse_auditd", options)) {
    transform->start(context);
  }
  ParseAuditd& auditd() { return static_cast<ParseAuditd&>(*transform); }
  Batch& process(const std::vector<std::string>& lines, Batch batch) {
    transform->process(batch, out);
    return *out.batches.back();
  }
  Batch& process(const std::vector<std::string>& lines) { return process(lines, makeBatch(lines)); }
};

TEST(AuditRecordTest, ReadsHeaderBodyAndEnrichedPart) {
  auditd::AuditRecord r;
  ASSERT_TRUE(auditd::parseAuditRecord(
      "type=DAEMON_START msg=audit(1738069334.056:5999): op=start ver=2.8.1 format=enriched "
      "kernel=4.12.14-122.231-default auid=4294967295 pid=32004 uid=0 ses=4294967295 "
      "subj=unconfined  res=success\x1d"
      "AUID=\"unset\" UID=\"root\"",
      r));
  EXPECT_EQ(r.type, "DAEMON_START");
  EXPECT_EQ(r.serial, 5999u);
  EXPECT_EQ(r.time_ns, 1738069334'056'000'000);
  EXPECT_TRUE(r.body.ends_with("res=success"));
  EXPECT_EQ(r.enriched, "AUID=\"unset\" UID=\"root\"");
  ASSERT_TRUE(auditd::parseAuditRecord("node=web1 type=EOE msg=audit(1700000000.123:4567): ", r));
  EXPECT_EQ(r.node, "web1");
  EXPECT_EQ(r.type, "EOE");
  for (const char* bad :
       {"", "type=SYSCALL", "type=SYSCALL msg=audit(17.1:2): x",
        "type=SYSCALL msg=audit(1700000000.123:): x", "type=SYSCALL msg=audit(1700000000.123:45 x",
        "Jan  1 00:00:00 host sshd[1]: hello"}) {
    EXPECT_FALSE(auditd::parseAuditRecord(bad, r)) << bad;
  }
}

TEST(AuditRecordTest, FieldReaderDescendsIntoUserSpaceMsg) {
  // USER_CMD as sudo logs it (Filebeat's test corpus): words before the pairs, pairs in msg=''.
  auditd::FieldReader reader(
      "user pid=4151 uid=497 auid=700 ses=11988 msg='cwd=\"/\" cmd=2F62696E2F6C73 terminal=? "
      "res=success'");
  std::vector<std::string> keys;
  auditd::AuditField f;
  Arena arena;
  std::string cmd;
  while (reader.next(f)) {
    keys.emplace_back(f.key);
    if (f.key == "cmd") cmd = std::string(auditd::fieldText("USER_CMD", f, arena));
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"pid", "uid", "auid", "ses", "cwd", "cmd", "terminal",
                                            "res"}));
  EXPECT_EQ(cmd, "/bin/ls");
}

TEST(ParseAuditdTest, JoinsAnExecveIntoOneEventAtEoe) {
  AuditdRun run;
  Batch& batch = run.process(kExecve);
  ASSERT_EQ(batch.events().size(), 1u);
  const Event& e = batch.events()[0];
  EXPECT_FALSE(parseFailed(e));
  EXPECT_EQ(e.timestamp_ns, 1700000000'123'000'000);
  EXPECT_EQ(str(e, "event.action"), "execve");
  EXPECT_EQ(str(e, "event.category"), "process");
  EXPECT_EQ(str(e, "event.type"), "start");
  EXPECT_EQ(str(e, "event.outcome"), "success");
  EXPECT_EQ(str(e, "process.executable"), "/usr/bin/ls");
  EXPECT_EQ(str(e, "process.name"), "ls");
  EXPECT_EQ(integer(e, "process.pid"), 1302);
  EXPECT_EQ(integer(e, "process.parent.pid"), 1201);
  EXPECT_EQ(str(e, "process.title"), "ls -la /tmp/my dir");
  EXPECT_EQ(str(e, "process.args"), "[\"ls\",\"-la\",\"/tmp/my dir\"]");
  EXPECT_EQ(integer(e, "process.args_count"), 3);
  EXPECT_EQ(str(e, "process.working_directory"), "/root");
  EXPECT_EQ(str(e, "file.path"), "/usr/bin/ls");
  EXPECT_EQ(str(e, "user.id"), "0");
  EXPECT_EQ(str(e, "user.audit.id"), "1000");
  EXPECT_EQ(str(e, "user.effective.id"), "0");
  EXPECT_EQ(str(e, "user.terminal"), "pts0");
  EXPECT_EQ(str(e, "auditd.key"), "exec");
  EXPECT_EQ(str(e, "tags"), "[\"exec\"]");
  EXPECT_EQ(integer(e, "auditd.sequence"), 4567);
  EXPECT_EQ(str(e, "auditd.log.syscall"), "59");
  EXPECT_EQ(str(e, "auditd.log.arch"), "c000003e");
  // The message keeps every record as read.
  std::string joined;
  for (const std::string& line : kExecve) joined += (joined.empty() ? "" : "\n") + line;
  EXPECT_EQ(e.message, joined);
  EXPECT_EQ(run.auditd().pendingEvents(), 0u);
}

TEST(ParseAuditdTest, RealSamplesWithoutEoe) {
  // Red Hat's "Understanding Audit Log Files" example: a failed open of a watched file.
  AuditdRun run;
  const std::vector<std::string> lines = {
      "type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no "
      "exit=-13 a0=7fffd19c5592 a1=0 a2=7fffd19c4b50 a3=a items=1 ppid=2686 pid=3538 auid=500 "
      "uid=500 gid=500 euid=500 suid=500 fsuid=500 egid=500 sgid=500 fsgid=500 tty=pts0 ses=1 "
      "comm=\"cat\" exe=\"/bin/cat\" subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 "
      "key=\"sshd_config\"",
      "type=CWD msg=audit(1364481363.243:24287):  cwd=\"/home/shadowman\"",
      "type=PATH msg=audit(1364481363.243:24287): item=0 name=\"/etc/ssh/sshd_config\" "
      "inode=409248 dev=fd:00 mode=0100600 ouid=0 ogid=0 rdev=00:00 obj=system_u:object_r:etc_t:s0",
  };
  Batch& first = run.process(lines);
  EXPECT_TRUE(first.events().empty());
  EXPECT_EQ(run.auditd().pendingEvents(), 1u);

  // A record two seconds newer or more (by the records' own time) ships the open event as it
  // is; single records from user space are complete at once.
  Batch& second = run.process(
      {"type=USER_CMD msg=audit(1489519256.192:19600329): user pid=4151 uid=497 auid=700 "
       "ses=11988 msg='cwd=\"/\" cmd=2F7573722F6C696236342F6E6167696F73 terminal=? res=success'"});
  ASSERT_EQ(second.events().size(), 2u);
  const Event& e = second.events()[0];
  EXPECT_EQ(str(e, "event.action"), "syscall");
  EXPECT_EQ(str(e, "event.outcome"), "failure");
  EXPECT_EQ(str(e, "file.path"), "/etc/ssh/sshd_config");
  EXPECT_EQ(str(e, "process.working_directory"), "/home/shadowman");
  EXPECT_EQ(str(e, "auditd.key"), "sshd_config");
  EXPECT_EQ(str(e, "user.audit.id"), "500");
  const Event& cmd = second.events()[1];
  EXPECT_EQ(str(cmd, "event.action"), "user_cmd");
  EXPECT_EQ(str(cmd, "event.outcome"), "success");
  EXPECT_EQ(str(cmd, "auditd.log.cmd"), "/usr/lib64/nagios");
  EXPECT_EQ(integer(cmd, "process.pid"), 4151);
  EXPECT_EQ(run.auditd().pendingEvents(), 0u);
}

TEST(ParseAuditdTest, HexValuesAreDecoded) {
  AuditdRun run;
  // Filebeat's corpus: an exe with a space (hex), an EXECVE argument in hex.
  Batch& batch = run.process({
      "type=SYSCALL msg=audit(1485893834.891:18877199): arch=c000003e syscall=44 success=yes "
      "exit=184 a0=9 a1=7f564b2672a0 a2=b8 a3=0 items=0 ppid=1240 pid=1281 auid=4294967295 uid=0 "
      "gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 "
      "comm=\"charon\" "
      "exe=2F7573722F6C6962657865632F7374726F6E677377616E2F636861726F6E202864656C6574656429 "
      "key=(null)",
      "type=EOE msg=audit(1485893834.891:18877199): ",
      "type=EXECVE msg=audit(1669615313.901:5538): argc=3 a0=\"sh\" a1=\"-c\" "
      "a2=6563686F205C226172672068657820656E636F6465645C22",
      "type=EOE msg=audit(1669615313.901:5538): ",
  });
  ASSERT_EQ(batch.events().size(), 2u);
  EXPECT_EQ(str(batch.events()[0], "process.executable"),
            "/usr/libexec/strongswan/charon (deleted)");
  EXPECT_FALSE(str(batch.events()[0], "auditd.key").has_value());
  EXPECT_FALSE(str(batch.events()[0], "user.terminal").has_value());
  EXPECT_EQ(str(batch.events()[1], "process.args"),
            "[\"sh\",\"-c\",\"echo \\\\\\\"arg hex encoded\\\\\\\"\"]");
}

TEST(ParseAuditdTest, LongArgumentsComeInChunks) {
  // An argument longer than the kernel's buffer is logged as a<N>_len and hex chunks a<N>[i].
  AuditdRun run;
  Batch& batch = run.process({
      "type=EXECVE msg=audit(1700000001.000:10): argc=3 a0=\"echo\" a1_len=8 a1[0]=41424344 "
      "a1[1]=45464748 a2=\"end\"",
      "type=EOE msg=audit(1700000001.000:10): ",
  });
  ASSERT_EQ(batch.events().size(), 1u);
  EXPECT_EQ(str(batch.events()[0], "process.args"), "[\"echo\",\"ABCDEFGH\",\"end\"]");
  EXPECT_EQ(integer(batch.events()[0], "process.args_count"), 3);
}

TEST(ParseAuditdTest, EnrichedFormatGivesNames) {
  AuditdRun run;
  Batch& batch = run.process(
      {"type=USER_LOGIN msg=audit(1700000100.000:900): pid=2211 uid=0 auid=1000 ses=7 "
       "subj=unconfined msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=203.0.113.9 "
       "addr=203.0.113.9 terminal=/dev/pts/1 res=failed'\x1dUID=\"root\" AUID=\"alice\" "
       "ID=\"alice\""});
  ASSERT_EQ(batch.events().size(), 1u);
  const Event& e = batch.events()[0];
  EXPECT_EQ(str(e, "event.action"), "user_login");
  EXPECT_EQ(str(e, "event.category"), "authentication");
  EXPECT_EQ(str(e, "event.outcome"), "failure");
  EXPECT_EQ(str(e, "source.ip"), "203.0.113.9");
  EXPECT_EQ(str(e, "user.name"), "root");
  EXPECT_EQ(str(e, "user.audit.name"), "alice");
  EXPECT_EQ(str(e, "process.executable"), "/usr/sbin/sshd");
}

TEST(ParseAuditdTest, HeldRecordsHoldTheirBatchUntilTheJoinedEventIsAcknowledged) {
  struct Receiver final : AckReceiver {
    void acknowledge(uint64_t cookie, AckStatus status) override {
      acks.emplace_back(cookie, status);
    }
    std::vector<std::pair<uint64_t, AckStatus>> acks;
  } receiver;
  AuditdRun run;
  const std::vector<std::string> head(kExecve.begin(), kExecve.begin() + 3);
  const std::vector<std::string> tail(kExecve.begin() + 3, kExecve.end());
  Batch first_in = makeBatch(head);
  first_in.ack() = AckToken(&receiver, 1);
  Batch& first = run.process(head, std::move(first_in));
  EXPECT_TRUE(first.events().empty());
  EXPECT_EQ(run.auditd().pendingEvents(), 1u);
  // Emitting and dropping the first batch does not acknowledge it: its records are held.
  run.out.batches.clear();
  EXPECT_TRUE(receiver.acks.empty());

  Batch second_in = makeBatch(tail);
  second_in.ack() = AckToken(&receiver, 2);
  Batch& second = run.process(tail, std::move(second_in));
  ASSERT_EQ(second.events().size(), 1u);
  EXPECT_EQ(str(second.events()[0], "process.args"), "[\"ls\",\"-la\",\"/tmp/my dir\"]");
  EXPECT_EQ(str(second.events()[0], "process.working_directory"), "/root");
  EXPECT_TRUE(receiver.acks.empty());
  // The output's failure reaches both batches.
  second.ack().resolve(AckStatus::kErrored);
  ASSERT_EQ(receiver.acks.size(), 2u);
  EXPECT_EQ(receiver.acks[0], std::make_pair(uint64_t{2}, AckStatus::kErrored));
  EXPECT_EQ(receiver.acks[1], std::make_pair(uint64_t{1}, AckStatus::kErrored));
}

TEST(ParseAuditdTest, ClockFlushAndPendingCap) {
  int64_t now = 0;
  AuditdRun run("{flush_timeout: 2s, max_pending: 2}");
  run.auditd().setClock([&] { return now; });
  std::vector<std::string> lines;
  for (int serial = 1; serial <= 3; ++serial) {
    lines.push_back("type=SYSCALL msg=audit(1700000000.000:" + std::to_string(serial) +
                    "): arch=c000003e syscall=2 success=yes exit=3 pid=9 comm=\"cat\"");
  }
  Batch& first = run.process(lines);
  // Three open events, room for two: the oldest goes out as it is, counted.
  ASSERT_EQ(first.events().size(), 1u);
  EXPECT_EQ(integer(first.events()[0], "auditd.sequence"), 1);
  EXPECT_EQ(run.context.counting().errors["pending_overflow"], 1u);
  now += 2'000'000'000;
  Batch& second = run.process({"not an audit line"});
  ASSERT_EQ(second.events().size(), 3u);
  EXPECT_EQ(integer(second.events()[0], "auditd.sequence"), 2);
  EXPECT_EQ(integer(second.events()[1], "auditd.sequence"), 3);
  EXPECT_TRUE(parseFailed(second.events()[2]));
  EXPECT_EQ(run.context.counting().discarded_by_reason["parse_error"], 1u);
  EXPECT_EQ(run.auditd().pendingEvents(), 0u);
}

TEST(ParseAuditdTest, InterleavedEventsJoinBySerial) {
  // Records of concurrent syscalls may interleave; each event is emitted where its EOE was.
  AuditdRun run;
  Batch& batch = run.process({
      "type=SYSCALL msg=audit(1700000000.500:10): arch=c000003e syscall=2 success=yes exit=3 "
      "items=1 ppid=1 pid=100 auid=1000 uid=1000 gid=1000 euid=1000 tty=pts0 ses=2 comm=\"vi\" "
      "exe=\"/usr/bin/vim.basic\" key=\"passwd\"\x1d"
      "ARCH=x86_64 SYSCALL=openat AUID=\"alice\" "
      "UID=\"alice\" GID=\"alice\" EUID=\"alice\"",
      "type=SYSCALL msg=audit(1700000000.501:11): arch=c000003e syscall=59 success=no exit=-2 "
      "items=1 ppid=1 pid=200 auid=0 uid=0 gid=0 euid=0 tty=(none) ses=4294967295 "
      "comm=\"cron\" exe=\"/usr/sbin/cron\" key=(null)",
      "type=PATH msg=audit(1700000000.500:10): item=0 name=\"/etc/passwd\" inode=12 "
      "dev=fd:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
      "type=EOE msg=audit(1700000000.501:11): ",
      "type=EOE msg=audit(1700000000.500:10): ",
  });
  ASSERT_EQ(batch.events().size(), 2u);
  const Event& cron = batch.events()[0];
  EXPECT_EQ(integer(cron, "auditd.sequence"), 11);
  EXPECT_EQ(str(cron, "event.outcome"), "failure");
  EXPECT_FALSE(str(cron, "file.path").has_value());
  const Event& vi = batch.events()[1];
  EXPECT_EQ(integer(vi, "auditd.sequence"), 10);
  EXPECT_EQ(str(vi, "file.path"), "/etc/passwd");
  EXPECT_EQ(str(vi, "auditd.key"), "passwd");
  EXPECT_EQ(str(vi, "user.name"), "alice");
  EXPECT_EQ(str(vi, "user.audit.name"), "alice");
  EXPECT_EQ(str(vi, "auditd.log.syscall_name"), "openat");
}

TEST(ParseAuditdTest, PollShipsWhatWaitedOnAQuietStream) {
  struct Receiver final : AckReceiver {
    void acknowledge(uint64_t cookie, AckStatus status) override {
      acks.emplace_back(cookie, status);
    }
    std::vector<std::pair<uint64_t, AckStatus>> acks;
  } receiver;
  int64_t now = 0;
  AuditdRun run;
  run.auditd().setClock([&] { return now; });
  const std::vector<std::string> head(kExecve.begin(), kExecve.begin() + 2);
  Batch in = makeBatch(head);
  in.ack() = AckToken(&receiver, 7);
  in.setStream(42);
  run.process(head, std::move(in));
  run.out.batches.clear();
  now += 1'000'000'000;
  run.auditd().poll(run.out);
  EXPECT_TRUE(run.out.batches.empty());  // not yet
  now += 1'000'000'000;
  run.auditd().poll(run.out);
  ASSERT_EQ(run.out.batches.size(), 1u);
  Batch& flushed = *run.out.batches[0];
  EXPECT_EQ(flushed.stream(), 42u);
  ASSERT_EQ(flushed.events().size(), 1u);
  const Event& e = flushed.events()[0];
  EXPECT_EQ(str(e, "event.action"), "execve");
  EXPECT_EQ(str(e, "process.args"), "[\"ls\",\"-la\",\"/tmp/my dir\"]");
  // Its position is the last record's, as if it had been shipped with it.
  EXPECT_EQ(e.offset, kExecve[0].size() + 1);
  EXPECT_EQ(run.auditd().pendingEvents(), 0u);
  EXPECT_TRUE(receiver.acks.empty());
  flushed.ack().resolve(AckStatus::kDelivered);
  ASSERT_EQ(receiver.acks.size(), 1u);
  EXPECT_EQ(receiver.acks[0], std::make_pair(uint64_t{7}, AckStatus::kDelivered));
}

TEST(ParseAuditdTest, FieldCapIsCounted) {
  AuditdRun run("{max_fields: 16}");
  std::string line = "type=CONFIG_CHANGE msg=audit(1700000000.000:77): op=set";
  for (int i = 0; i < 40; ++i) line += " k" + std::to_string(i) + "=" + std::to_string(i);
  line += " res=1";
  Batch& batch = run.process({line, "type=EOE msg=audit(1700000000.000:77): "});
  ASSERT_EQ(batch.events().size(), 1u);
  const Event& e = batch.events()[0];
  EXPECT_EQ(e.field_count, 17);
  ASSERT_TRUE(integer(e, "log.truncated_fields").has_value());
  EXPECT_GT(*integer(e, "log.truncated_fields"), 20);
}

TEST(ParseAuditdTest, RejectsBadOptions) {
  for (const char* options : {"{flush_timeout: 0s}", "{max_pending: 0}", "{max_fields: 2}"}) {
    Diagnostics diag;
    EXPECT_EQ(testing::buildTransform("parse_auditd", options, diag), nullptr) << options;
  }
}

}  // namespace
}  // namespace logship
