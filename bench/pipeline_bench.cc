// Throughput of the enrichment stages every event goes through, tag_severity -> correlate ->
// classify_tier, on the real Linux syslog corpus (sshd/PAM, su, cron, kernel) replicated into
// 1 MB batches, parsed beforehand by parse_syslog when it is registered. Reports bytes/s,
// events/s and heap allocations per event (the data path must make none per event: derived
// strings go to the batch arena, whose blocks are the only allocations left).

#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "agent/api/registry.h"
#include "agent/cli/builtin_components.h"

#ifndef LOGSHIP_CORPUS_DIR
#error "LOGSHIP_CORPUS_DIR must name the directory holding the real-log corpus"
#endif

namespace {
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// The allocation counter sits at malloc, beneath operator new: a program has one operator new,
// and another benchmark of this binary replaces it; it and libstdc++'s default both allocate
// through malloc, so every `new` of the timed stages is counted here (and C allocations too).
extern "C" void* __libc_malloc(std::size_t size);
extern "C" void* malloc(std::size_t size) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  return __libc_malloc(size);
}

namespace logship {
namespace {

constexpr size_t kBatchBytes = 1 << 20;

std::vector<std::string> corpusLines() {
  std::ifstream in(std::string(LOGSHIP_CORPUS_DIR) + "/linux_syslog_2k.log");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Runs the next stage on whatever the previous one emits; the last keeps the batch.
class Chain final : public Emitter {
 public:
  Chain(Transform* next, Emitter* after) : next_(next), after_(after) {}
  void emit(Batch&& batch, std::string_view) override {
    if (next_ == nullptr) {
      kept.push_back(std::move(batch));
      return;
    }
    Batch local = std::move(batch);
    next_->process(local, *after_);
  }
  std::vector<Batch> kept;

 private:
  Transform* next_;
  Emitter* after_;
};

std::unique_ptr<Transform> buildTransform(const Registry& registry, const GlobalConfig& global,
                                          const std::string& type, const std::string& yaml) {
  Diagnostics diag;
  ConfigNode node(YAML::Load(yaml), std::make_shared<const std::string>("bench.yaml"));
  BuildContext ctx{type, global, diag, node};
  const ComponentFactory* f = registry.find(ComponentKind::kTransform, type);
  if (f == nullptr) return nullptr;
  auto t = f->build_transform(ctx);
  if (!diag.ok()) {
    std::fprintf(stderr, "%s\n", diag.errors()[0].c_str());
    std::abort();
  }
  return t;
}

void BM_SeverityCorrelateTier(benchmark::State& state) {
  static const std::vector<std::string> lines = corpusLines();
  if (lines.empty()) {
    state.SkipWithError("corpus missing");
    return;
  }
  std::string text;
  size_t line_count = 0;
  while (text.size() < kBatchBytes) {
    text += lines[line_count++ % lines.size()];
    text.push_back('\n');
  }

  Registry registry;
  registerBuiltinComponents(registry);
  GlobalConfig global;
  for (const char* t : {"audit", "security", "app", "debug"}) {
    global.tiers.push_back(TierSpec{t, {}, false});
  }
  global.host_name = "bench";
  auto parse = buildTransform(registry, global, "parse_syslog", "{type: parse_syslog}");
  auto severity = buildTransform(registry, global, "tag_severity", R"(
type: tag_severity
rules:
  - {when: {field: message, matches: 'POSSIBLE BREAK-IN ATTEMPT'}, set: high}
  - {when: {field: message, matches: 'authentication failure'}, raise_to: medium}
)");
  auto correlate = buildTransform(registry, global, "correlate", "{type: correlate}");
  auto tier = buildTransform(registry, global, "classify_tier", R"(
type: classify_tier
rules:
  - {tier: audit, when: {field: process.name, matches: '^(sshd|su|sudo|passwd|useradd)'}}
  - {tier: security, when: {field: log.level, in: [critical, high]}}
  - {tier: debug, when: {field: log.level, equals: debug}}
default: app
)");

  Chain sink(nullptr, nullptr);
  Chain to_tier(tier.get(), &sink);
  Chain to_correlate(correlate.get(), &to_tier);
  Chain parsed(nullptr, nullptr);

  uint64_t events = 0;
  uint64_t bytes = 0;
  uint64_t allocations = 0;
  for (auto _ : state) {
    state.PauseTiming();
    sink.kept.clear();
    parsed.kept.clear();
    auto raw = std::make_unique<char[]>(text.size());
    std::memcpy(raw.get(), text.data(), text.size());
    Batch batch(std::move(raw), text.size(), AckToken());
    batch.events().reserve(line_count);
    size_t at = 0;
    while (at < text.size()) {
      size_t end = text.find('\n', at);
      Event& e = batch.events().emplace_back();
      e.message = batch.raw().substr(at, end - at);
      e.offset = at;
      e.timestamp_ns = 1'700'000'000'000'000'000;
      at = end + 1;
    }
    Batch input;
    if (parse) {
      parse->process(batch, parsed);
      input = std::move(parsed.kept.front());
      parsed.kept.clear();
    } else {
      input = std::move(batch);
    }
    events += input.events().size();
    bytes += text.size();
    sink.kept.reserve(1);
    g_allocations.store(0);
    g_counting.store(true);
    state.ResumeTiming();

    severity->process(input, to_correlate);

    state.PauseTiming();
    g_counting.store(false);
    allocations += g_allocations.load();
    benchmark::DoNotOptimize(sink.kept.front().events().back().correlation_id.data());
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.counters["allocs_per_event"] =
      events ? static_cast<double>(allocations) / static_cast<double>(events) : 0;
  state.counters["events_per_batch"] = static_cast<double>(line_count);
  state.counters["parsed"] = parse ? 1 : 0;
}
BENCHMARK(BM_SeverityCorrelateTier)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace logship

namespace logship {
namespace {

// The rules of conf/detections/ssh.yaml that read every sshd line, each holding `groups` groups
// (addresses seen earlier) when the timed batches arrive.
std::vector<std::unique_ptr<Transform>> detectRules(const Registry& registry,
                                                    const GlobalConfig& global, int64_t groups) {
  std::vector<std::unique_ptr<Transform>> rules;
  rules.push_back(buildTransform(registry, global, "detect", R"(
type: detect
when: {field: event.action, in: [ssh_failed_password, ssh_invalid_user]}
group_by: [source.ip]
threshold: 10
window: 60s
max_groups: 200000
)"));
  rules.push_back(buildTransform(registry, global, "detect", R"(
type: detect
when: {field: event.outcome, equals: failure}
group_by: [source.ip]
distinct: user.name
threshold: 5
window: 5m
max_groups: 200000
)"));
  rules.push_back(buildTransform(registry, global, "detect", R"(
type: detect
mode: sequence
group_by: [source.ip]
window: 10m
max_groups: 200000
steps: [{when: {field: event.action, equals: ssh_failed_password}, count: 5},
        {when: {field: event.action, in: [ssh_accepted_password, ssh_accepted_publickey]}}]
)"));
  // Earlier failures from `groups` addresses, an hour before the corpus' time.
  constexpr int64_t kHourBefore = 1'700'000'000'000'000'000 - 3'600'000'000'000;
  Chain discard(nullptr, nullptr);
  for (int64_t done = 0; done < groups;) {
    std::string text;
    const int64_t n = std::min<int64_t>(groups - done, 10'000);
    for (int64_t i = 0; i < n; ++i) text += "f\n";
    auto raw = std::make_unique<char[]>(text.size());
    std::memcpy(raw.get(), text.data(), text.size());
    Batch batch(std::move(raw), text.size(), AckToken());
    for (int64_t i = 0; i < n; ++i) {
      Event& e = batch.events().emplace_back();
      e.message = batch.raw().substr(2 * i, 1);
      e.timestamp_ns = kHourBefore + (done + i) * 1000;
      const int64_t k = done + i;
      std::string ip = "10." + std::to_string(k >> 16 & 255) + "." + std::to_string(k >> 8 & 255) +
                       "." + std::to_string(k & 255);
      auto str = [&](std::string_view key, std::string_view value) {
        batch.addField(e, batch.arena().copy(key), FieldValue::string(batch.arena().copy(value)));
      };
      str("event.action", "ssh_failed_password");
      str("event.outcome", "failure");
      str("source.ip", ip);
      str("user.name", "root");
    }
    for (auto& rule : rules) rule->process(batch, discard);
    done += n;
  }
  return rules;
}

// The whole security chain on raw auth lines, as the default pipeline runs it:
// parse_auth -> scrub_pii (every built-in rule) -> tag_severity -> correlate -> classify_tier.
void BM_FullSecurityChain(benchmark::State& state) {
  static const std::vector<std::string> lines = corpusLines();
  if (lines.empty()) {
    state.SkipWithError("corpus missing");
    return;
  }
  std::string text;
  size_t line_count = 0;
  while (text.size() < kBatchBytes) {
    text += lines[line_count++ % lines.size()];
    text.push_back('\n');
  }
  Registry registry;
  registerBuiltinComponents(registry);
  GlobalConfig global;
  for (const char* t : {"audit", "security", "app", "debug"}) {
    global.tiers.push_back(TierSpec{t, {}, false});
  }
  global.host_name = "bench";
  auto auth = buildTransform(registry, global, "parse_auth", "{type: parse_auth}");
  auto scrub = buildTransform(registry, global, "scrub_pii", "{type: scrub_pii, action: redact}");
  auto severity = buildTransform(registry, global, "tag_severity", "{type: tag_severity}");
  auto correlate = buildTransform(registry, global, "correlate", "{type: correlate}");
  auto tier = buildTransform(registry, global, "classify_tier", R"(
type: classify_tier
rules:
  - {tier: audit, when: {field: event.category, in: [authentication, iam, session]}}
  - {tier: security, when: {field: log.level, in: [critical, high]}}
default: app
)");
  Chain sink(nullptr, nullptr);
  Chain to_tier(tier.get(), &sink);
  Chain to_correlate(correlate.get(), &to_tier);
  Chain to_severity(severity.get(), &to_correlate);
  Chain to_scrub(scrub.get(), &to_severity);
  uint64_t events = 0, bytes = 0, allocations = 0;
  for (auto _ : state) {
    state.PauseTiming();
    sink.kept.clear();
    auto raw = std::make_unique<char[]>(text.size());
    std::memcpy(raw.get(), text.data(), text.size());
    Batch batch(std::move(raw), text.size(), AckToken());
    batch.events().reserve(line_count);
    for (size_t at = 0; at < text.size();) {
      size_t end = text.find('\n', at);
      Event& e = batch.events().emplace_back();
      e.message = batch.raw().substr(at, end - at);
      e.offset = at;
      e.timestamp_ns = 1'700'000'000'000'000'000;
      at = end + 1;
    }
    events += batch.events().size();
    bytes += text.size();
    g_allocations.store(0);
    g_counting.store(true);
    state.ResumeTiming();

    auth->process(batch, to_scrub);

    state.PauseTiming();
    g_counting.store(false);
    allocations += g_allocations.load();
    benchmark::DoNotOptimize(sink.kept.front().events().back().tier);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.counters["allocs_per_event"] =
      events ? static_cast<double>(allocations) / static_cast<double>(events) : 0;
}
BENCHMARK(BM_FullSecurityChain)->Unit(benchmark::kMillisecond);

// What the SSH detection rules add to the security chain: the three rules reading every parsed
// auth line of a 1 MB batch, each holding `groups` groups. Divided by BM_FullSecurityChain's
// time per batch, it is detect's share of the security pipeline.
void BM_DetectRules(benchmark::State& state) {
  static const std::vector<std::string> lines = corpusLines();
  if (lines.empty()) {
    state.SkipWithError("corpus missing");
    return;
  }
  std::string text;
  size_t line_count = 0;
  while (text.size() < kBatchBytes) {
    text += lines[line_count++ % lines.size()];
    text.push_back('\n');
  }
  Registry registry;
  registerBuiltinComponents(registry);
  GlobalConfig global;
  global.host_name = "bench";
  auto auth = buildTransform(registry, global, "parse_auth", "{type: parse_auth}");
  auto raw = std::make_unique<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  Batch batch(std::move(raw), text.size(), AckToken());
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    Event& e = batch.events().emplace_back();
    e.message = batch.raw().substr(at, end - at);
    e.offset = at;
    e.timestamp_ns = 1'700'000'000'000'000'000;
    at = end + 1;
  }
  Chain parsed(nullptr, nullptr);
  auth->process(batch, parsed);
  std::vector<std::unique_ptr<Transform>> rules = detectRules(registry, global, state.range(0));
  Chain alerts(nullptr, nullptr);
  uint64_t events = 0;
  for (auto _ : state) {
    for (auto& rule : rules) rule->process(parsed.kept.front(), alerts);
    events += parsed.kept.front().events().size();
    state.PauseTiming();
    alerts.kept.clear();
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(text.size() * state.iterations()));
  state.SetItemsProcessed(static_cast<int64_t>(events));
}
BENCHMARK(BM_DetectRules)->Arg(1)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace logship
