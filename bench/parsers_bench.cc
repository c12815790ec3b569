// Throughput of the parse_* transforms on batches shaped as the file source cuts them (whole lines,
// 512 KiB), over inputs larger than the caches: typical application JSON lines, the Loghub Linux
// syslog corpus through parse_syslog + parse_auth, host-security lines (firewall, fail2ban, dpkg,
// sshd probes) through parse_auth, Substrate node output, audit.log through parse_auditd, logfmt
// and the Apache error log through parse_regex. Heap allocations made inside process() are
// counted (see malloc below) and reported per event: the steady state should make none.

#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "parsers/parsers.h"

#ifndef LOGSHIP_CORPUS_DIR
#error "LOGSHIP_CORPUS_DIR must name the directory holding the real-log corpus"
#endif

// Heap allocations are counted at the global operator new, which every C++ allocation (simdjson's
// and RE2's included) goes through. pipeline_bench.cc counts at malloc beneath it: a program has
// one replacement of each, so the two benches of this binary take one each.
namespace {
// Counted only while a transform runs, on the benchmark's thread.
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

constexpr size_t kTargetBytes = 16 * 1024 * 1024;
constexpr size_t kBatchBytes = 512 * 1024;  // the file source's default batch_bytes
// The Loghub corpora are from mid-2005; the read time keeps RFC 3164 year inference realistic.
constexpr int64_t kReadTimeNs = 1'122'854'400'000'000'000;

// Lines replicated to kTargetBytes and cut into batch-sized chunks of whole lines.
struct Input {
  std::string text;
  std::vector<std::pair<size_t, size_t>> chunks;  // [begin, end) of each batch in text
  size_t lines = 0;
};

Input replicate(const std::vector<std::string>& lines) {
  Input input;
  if (lines.empty()) return input;
  while (input.text.size() < kTargetBytes) {
    for (const std::string& line : lines) {
      input.text += line;
      input.text += '\n';
      ++input.lines;
    }
  }
  size_t begin = 0;
  while (begin < input.text.size()) {
    size_t end = std::min(begin + kBatchBytes, input.text.size());
    if (end < input.text.size()) end = input.text.rfind('\n', end - 1) + 1;
    input.chunks.emplace_back(begin, end);
    begin = end;
  }
  return input;
}

std::vector<std::string> corpusLines(const char* name) {
  std::ifstream in(std::string(LOGSHIP_CORPUS_DIR) + "/" + name, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

// Application JSON as services log it: structured loggers (ECS-ish and pino), nested request
// objects, escapes in messages and stack traces, ids that differ on every line.
std::vector<std::string> appJsonLines() {
  std::vector<std::string> lines;
  static const char* const kPaths[] = {"/api/v1/users/", "/api/v1/orders/",
                                       "/healthz?id=", "/static/app.js?v="};
  for (int i = 0; i < 1000; ++i) {
    const std::string n = std::to_string(i * 7919 % 100000);
    switch (i % 4) {
      case 0:
        lines.push_back(
            R"({"@timestamp":"2024-05-01T10:00:)" + std::to_string(10 + i % 50) +
            R"(.123Z","level":"info","logger":"http.server","msg":"request completed",)"
            R"("http":{"method":"GET","path":")" +
            kPaths[i % 4] + n + R"(","status":200,"bytes":)" + n +
            R"(},"latency_ms":12.5,"user_agent":"Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0",)"
            R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e)" +
            std::to_string(1000 + i % 9000) +
            R"(","span_id":"00f067aa0ba902b7","env":"prod","region":"eu-west-1"})");
        break;
      case 1:
        lines.push_back(R"({"level":30,"time":17145576)" + std::to_string(10000 + i) +
                        R"(,"pid":4242,"hostname":"web-1","reqId":"req-)" + n +
                        R"(","msg":"incoming request","req":{"method":"POST","url":"/login",)"
                        R"("remoteAddress":"10.0.)" +
                        std::to_string(i % 256) + R"(.5","remotePort":)" +
                        std::to_string(30000 + i) + "}}");
        break;
      case 2:
        lines.push_back(R"({"ts":"2024-05-01T10:00:00.5Z","level":"warn","msg":"user \"bob)" + n +
                        R"(\" retried login\n","attempt":3,"user":{"id":)" + n +
                        R"(,"name":"bob","roles":["admin","dev"]},"cached":false,"ratio":0.75})");
        break;
      default:
        lines.push_back(
            R"json({"time":"2024-05-01T10:00:01Z","level":"error","msg":"payment failed",)json"
            R"json("order_id":)json" +
            n +
            R"json(,"err":{"type":"TimeoutError","message":"upstream timed out after 3000ms",)json"
            R"json("stack":"TimeoutError: upstream timed out\n    at charge (/app/pay.js:41:11)\n)json"
            R"json(    at process (/app/queue.js:12:3)"},"service":"payments","retry":true})json");
        break;
    }
  }
  return lines;
}

std::vector<std::string> logfmtLines() {
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) {
    const std::string n = std::to_string(i * 7919 % 100000);
    lines.push_back("ts=2024-05-01T10:00:00.123Z level=" + std::string(i % 3 ? "info" : "warn") +
                    " msg=\"request \\\"" + n + "\\\" done\" method=GET path=/api/v1/users/" + n +
                    " status=200 duration=12.5ms user=bob" + n + " cached");
  }
  return lines;
}

std::unique_ptr<Transform> build(const std::string& type, const std::string& options) {
  static const Registry* registry = [] {
    auto* r = new Registry();
    registerParsers(*r);
    return r;
  }();
  static const GlobalConfig global;
  Diagnostics diag;
  const ConfigNode node(YAML::Load(options.empty() ? "{}" : options),
                        std::make_shared<const std::string>("bench.yaml"));
  BuildContext ctx{"bench", global, diag, node};
  const ComponentFactory* factory = registry->find(ComponentKind::kTransform, type);
  return factory == nullptr ? nullptr : factory->build_transform(ctx);
}

Batch makeBatch(const Input& input, size_t chunk) {
  const auto [begin, end] = input.chunks[chunk];
  auto raw = std::make_unique_for_overwrite<char[]>(end - begin);
  std::memcpy(raw.get(), input.text.data() + begin, end - begin);
  Batch batch(std::move(raw), end - begin, AckToken());
  const std::string_view text = batch.raw();
  batch.events().reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
  for (size_t pos = 0; pos < text.size();) {
    const size_t nl = text.find('\n', pos);
    Event& e = batch.events().emplace_back();
    e.message = text.substr(pos, nl - pos);
    e.offset = pos;
    e.timestamp_ns = kReadTimeNs;
    pos = nl + 1;
  }
  return batch;
}

class SlotEmitter final : public Emitter {
 public:
  void emit(Batch&& batch, std::string_view) override { slot.emplace(std::move(batch)); }
  std::optional<Batch> slot;
};

// Runs every chunk of `input` through `chain` (the output of one transform is the input of the
// next) per iteration; only process() is timed and counted.
void runChain(benchmark::State& state, const Input& input,
              const std::vector<std::unique_ptr<Transform>>& chain) {
  for (const auto& t : chain) {
    if (t == nullptr) {
      state.SkipWithError("transform did not build");
      return;
    }
  }
  if (input.chunks.empty()) {
    state.SkipWithError("corpus not readable");
    return;
  }
  uint64_t allocations = 0;
  uint64_t counted_events = 0;
  uint64_t parse_errors = 0;
  uint64_t fields = 0;
  bool warm = false;
  for (auto _ : state) {
    for (size_t c = 0; c < input.chunks.size(); ++c) {
      state.PauseTiming();
      Batch batch = makeBatch(input, c);
      const size_t events = batch.events().size();
      state.ResumeTiming();
      t_allocations = 0;
      t_counting = true;
      SlotEmitter out;
      for (const auto& t : chain) {
        t->process(batch, out);
        batch = std::move(*out.slot);
        out.slot.reset();
      }
      t_counting = false;
      state.PauseTiming();
      // The first pass warms per-thread scratch (simdjson buffers, RE2 copies); count the rest.
      if (warm) {
        allocations += t_allocations;
        counted_events += events;
      }
      for (const Event& e : batch.events()) {
        parse_errors += (e.flags & Event::kParseError) != 0;
        fields += e.field_count;
      }
      benchmark::DoNotOptimize(batch.events().data());
      state.ResumeTiming();
    }
    warm = true;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * input.lines));
  const double passes = static_cast<double>(state.iterations());
  state.counters["allocs_per_event"] =
      counted_events ? static_cast<double>(allocations) / static_cast<double>(counted_events) : 0.0;
  state.counters["parse_errors_per_pass"] = static_cast<double>(parse_errors) / passes;
  state.counters["fields_per_event"] =
      static_cast<double>(fields) / (passes * static_cast<double>(input.lines));
}

void BM_ParseJson(benchmark::State& state) {
  static const Input input = replicate(appJsonLines());
  std::vector<std::unique_ptr<Transform>> chain;
  chain.push_back(build("parse_json", ""));
  runChain(state, input, chain);
}
BENCHMARK(BM_ParseJson)->Unit(benchmark::kMillisecond);

void BM_ParseSyslogThenAuth(benchmark::State& state) {
  static const Input input = replicate(corpusLines("linux_syslog_2k.log"));
  std::vector<std::unique_ptr<Transform>> chain;
  chain.push_back(build("parse_syslog", ""));
  chain.push_back(build("parse_auth", ""));
  runChain(state, input, chain);
}
BENCHMARK(BM_ParseSyslogThenAuth)->Unit(benchmark::kMillisecond);

// parse_auth reading raw auth.log lines itself (the CONFIG.md example's shape).
void BM_ParseAuthRaw(benchmark::State& state) {
  static const Input input = replicate(corpusLines("linux_syslog_2k.log"));
  std::vector<std::unique_ptr<Transform>> chain;
  chain.push_back(build("parse_auth", ""));
  runChain(state, input, chain);
}
BENCHMARK(BM_ParseAuthRaw)->Unit(benchmark::kMillisecond);

// The host-security lines parse_auth also reads: kernel firewall lines, sshd probes, fail2ban.log
// and dpkg.log, with addresses and ports that differ per line.
std::vector<std::string> hostSecurityLines() {
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) {
    const std::string ip = "203.0." + std::to_string(i % 256) + "." + std::to_string(i * 7 % 256);
    const std::string port = std::to_string(30000 + i);
    switch (i % 5) {
      case 0:
        lines.push_back(
            "Nov 22 10:00:01 web1 kernel: [ 99.000001] [UFW BLOCK] IN=eth0 OUT= "
            "MAC=00:16:3e:5a:1b:2c:00:16:3e:00:00:01:08:00 SRC=" +
            ip +
            " DST=10.0.0.5 LEN=40 TOS=0x00 PREC=0x00 TTL=241 ID=54321 PROTO=TCP "
            "SPT=" +
            port + " DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0");
        break;
      case 1:
        lines.push_back("Nov 22 10:00:02 web1 sshd[811]: Connection reset by " + ip + " port " +
                        port + " [preauth]");
        break;
      case 2:
        lines.push_back(
            "2026-11-22 10:00:03,123 fail2ban.actions        [1234]: NOTICE  [sshd] "
            "Ban " +
            ip);
        break;
      case 3:
        lines.push_back(
            "2026-11-22 10:00:04 upgrade libssl3:amd64 3.0.11-1~deb12u1 "
            "3.0.11-1~deb12u2");
        break;
      default:
        lines.push_back("Nov 22 10:00:05 web1 sshd[812]: Unable to negotiate with " + ip +
                        " port " + port +
                        ": no matching key exchange method found. Their "
                        "offer: diffie-hellman-group1-sha1 [preauth]");
        break;
    }
  }
  return lines;
}

void BM_ParseAuthHostLines(benchmark::State& state) {
  static const Input input = replicate(hostSecurityLines());
  std::vector<std::unique_ptr<Transform>> chain;
  chain.push_back(build("parse_auth", ""));
  runChain(state, input, chain);
}
BENCHMARK(BM_ParseAuthHostLines)->Unit(benchmark::kMillisecond);

void BM_ParseSubstrate(benchmark::State& state) {
  static const Input input = replicate(corpusLines("substrate_node_sample.log"));
  std::vector<std::unique_ptr<Transform>> chain;
  chain.push_back(build("parse_substrate", ""));
  runChain(state, input, chain);
}
BENCHMARK(BM_ParseSubstrate)->Unit(benchmark::kMillisecond);

// Output of a current polkadot-sdk node: mostly imports (best and forks, parent → hash) and the
// informant's idle line, with the detailed format's header and the rarer failure lines.
std::vector<std::string> currentNodeLines() {
  return {
      "2025-02-11 09:12:30 \xF0\x9F\x8F\x86 Imported #2817 (0x2f31\xE2\x80\xA6"
      "0b2e \xE2\x86\x92 0x9a1c\xE2\x80\xA6"
      "77d4)",
      "2025-02-11 09:12:31 \xF0\x9F\x86\x95 Imported #2817 (0x2f31\xE2\x80\xA6"
      "0b2e \xE2\x86\x92 0x5be0\xE2\x80\xA6"
      "13aa)",
      "2025-02-11 09:12:33 \xF0\x9F\x92\xA4 Idle (25 peers), best: #2817 (0x9a1c\xE2\x80\xA6"
      "77d4), finalized #2815 (0x77b0\xE2\x80\xA6"
      "e412), \xE2\xAC\x87 12.3kiB/s \xE2\xAC\x86 10.1kiB/s",
      "2025-02-11 09:12:36.004  INFO tokio-runtime-worker substrate: \xF0\x9F\x8F\x86 Imported "
      "#2818 (0x9a1c\xE2\x80\xA6"
      "77d4 \xE2\x86\x92 0x1b2c\xE2\x80\xA6"
      "3d4e)",
      "2025-02-11 09:12:36.010  INFO tokio-runtime-worker sc_basic_authorship::basic_authorship: "
      "\xF0\x9F\x8E\x81 Prepared block for proposing at 2819 (2 ms) [hash: 0x5f6e; parent_hash: "
      "0x1b2c\xE2\x80\xA6"
      "3d4e; extrinsics (2): [0x1a2b\xE2\x80\xA6"
      "3c4d, 0x5e6f\xE2\x80\xA6"
      "7a8b]",
      "2025-02-11 09:12:37 Report 12D3KooWSCufgHzV4fCwRijfH2k3abrpAJxTKxEvN1FDuRXA2U9x: "
      "-2147483648 "
      "to -2147483643. Reason: Same block request multiple times. Banned, disconnecting.",
      "2025-02-11 09:12:42 \xE2\x8C\x9B\xEF\xB8\x8F Discarding proposal for slot 289840402; "
      "block production took too long",
      "2025-02-11 09:12:48 \xF0\x9F\x8F\x86 Imported #2819 (0x1b2c\xE2\x80\xA6"
      "3d4e \xE2\x86\x92 0x5f6e\xE2\x80\xA6"
      "7a8b)",
      "2025-02-11 09:12:49.500  WARN tokio-runtime-worker sync: Error importing block: peer "
      "sent an invalid justification"};
}

void BM_ParseSubstrateCurrentNode(benchmark::State& state) {
  static const Input input = replicate(currentNodeLines());
  std::vector<std::unique_ptr<Transform>> chain;
  chain.push_back(build("parse_substrate", ""));
  runChain(state, input, chain);
}
BENCHMARK(BM_ParseSubstrateCurrentNode)->Unit(benchmark::kMillisecond);
// audit.log as auditd writes it: execve events of seven records ending in EOE, file opens
// without an EOE (joined when the stream's time moves on), and single user-space records.
std::vector<std::string> auditLines() {
  std::vector<std::string> lines;
  for (int i = 0; i < 600; ++i) {
    const std::string time = "msg=audit(17000" + std::to_string(10000 + i) + ".123:";
    const std::string serial = std::to_string(4000 + i) + "): ";
    const std::string pid = std::to_string(1300 + i);
    switch (i % 3) {
      case 0:
        lines.push_back("type=SYSCALL " + time + serial +
                        "arch=c000003e syscall=59 success=yes exit=0 a0=55d0c1e0 a1=55d0c200 "
                        "a2=55d0c220 a3=8 items=2 ppid=1201 pid=" +
                        pid +
                        " auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 "
                        "tty=pts0 ses=3 comm=\"ls\" exe=\"/usr/bin/ls\" subj=unconfined "
                        "key=\"exec\"");
        lines.push_back("type=EXECVE " + time + serial +
                        "argc=3 a0=\"ls\" a1=\"-la\" a2=2F746D702F6D7920646972");
        lines.push_back("type=CWD " + time + serial + "cwd=\"/root\"");
        lines.push_back("type=PATH " + time + serial +
                        "item=0 name=\"/usr/bin/ls\" inode=1835 dev=fd:00 mode=0100755 ouid=0 "
                        "ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 "
                        "cap_frootid=0");
        lines.push_back("type=PATH " + time + serial +
                        "item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=2101 dev=fd:00 "
                        "mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 "
                        "cap_fe=0 cap_fver=0 cap_frootid=0");
        lines.push_back("type=PROCTITLE " + time + serial +
                        "proctitle=6C73002D6C61002F746D702F6D7920646972");
        lines.push_back("type=EOE " + time + serial);
        break;
      case 1:
        lines.push_back("type=SYSCALL " + time + serial +
                        "arch=c000003e syscall=2 success=no exit=-13 a0=7fffd19c5592 a1=0 "
                        "a2=7fffd19c4b50 a3=a items=1 ppid=2686 pid=" +
                        pid +
                        " auid=500 uid=500 gid=500 euid=500 suid=500 fsuid=500 egid=500 sgid=500 "
                        "fsgid=500 tty=pts0 ses=1 comm=\"cat\" exe=\"/bin/cat\" "
                        "subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 "
                        "key=\"sshd_config\"");
        lines.push_back("type=CWD " + time + serial + " cwd=\"/home/shadowman\"");
        lines.push_back("type=PATH " + time + serial +
                        "item=0 name=\"/etc/ssh/sshd_config\" inode=409248 dev=fd:00 "
                        "mode=0100600 ouid=0 ogid=0 rdev=00:00 obj=system_u:object_r:etc_t:s0");
        break;
      default:
        lines.push_back("type=USER_LOGIN " + time + serial + "pid=" + pid +
                        " uid=0 auid=1000 ses=7 subj=unconfined msg='op=login id=1000 "
                        "exe=\"/usr/sbin/sshd\" hostname=203.0.113.9 addr=203.0.113.9 "
                        "terminal=/dev/pts/1 res=failed'\x1dUID=\"root\" AUID=\"alice\"");
        break;
    }
  }
  return lines;
}

void BM_ParseAuditd(benchmark::State& state) {
  static const Input input = replicate(auditLines());
  std::vector<std::unique_ptr<Transform>> chain;
  chain.push_back(build("parse_auditd", ""));
  runChain(state, input, chain);
}
BENCHMARK(BM_ParseAuditd)->Unit(benchmark::kMillisecond);

void BM_ParseLogfmt(benchmark::State& state) {
  static const Input input = replicate(logfmtLines());
  std::vector<std::unique_ptr<Transform>> chain;
  chain.push_back(build("parse_logfmt", ""));
  runChain(state, input, chain);
}
BENCHMARK(BM_ParseLogfmt)->Unit(benchmark::kMillisecond);

void BM_ParseRegexApache(benchmark::State& state) {
  static const Input input = replicate(corpusLines("apache_error_2k.log"));
  std::vector<std::unique_ptr<Transform>> chain;
  chain.push_back(build(
      "parse_regex",
      "patterns: ['^\\[(?P<timestamp>[^\\]]+)\\] \\[(?P<level>[a-z]+)\\] (?P<message>.*)$']"));
  runChain(state, input, chain);
}
BENCHMARK(BM_ParseRegexApache)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace logship
