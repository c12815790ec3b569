// Throughput of the scrub_pii engine on a ~20 MB mix of auth syslog, application JSON (about
// 10% carrying emails, IPs, tokens, cards) and Substrate node lines, scrubbed one event at a
// time as the transform does. The speed budget (ARCHITECTURE.md) asks for >= 300 MB/s per core
// with every built-in rule on.

#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/scrub_pii/pii_scrubber.h"

#ifndef LOGSHIP_CORPUS_DIR
#error "LOGSHIP_CORPUS_DIR must name the directory holding the real-log corpus"
#endif

namespace logship::scrub_pii {
namespace {

constexpr size_t kCorpusBytes = 20 << 20;

std::vector<std::string> readLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string hex(std::mt19937_64& rng, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(kHex[rng() % 16]);
  return s;
}

std::string appLine(std::mt19937_64& rng) {
  static constexpr const char* kPaths[] = {"/api/v1/orders", "/api/v1/cart", "/healthz",
                                           "/api/v2/users/me", "/static/app.js"};
  static constexpr const char* kMessages[] = {"request completed", "cache miss", "order created",
                                              "upstream slow", "session refreshed"};
  std::string line = "{\"ts\":\"2024-05-30T16:57:" + std::to_string(10 + rng() % 50) + "." +
                     std::to_string(100 + rng() % 900) +
                     "Z\",\"level\":\"info\",\"service\":\"checkout\",\"trace_id\":\"" +
                     hex(rng, 32) + "\",\"span_id\":\"" + hex(rng, 16) + "\",\"msg\":\"" +
                     kMessages[rng() % 5] + "\",\"method\":\"GET\",\"path\":\"" +
                     kPaths[rng() % 5] + "/" + std::to_string(rng() % 100000) +
                     "\",\"status\":200,\"duration_ms\":" + std::to_string(rng() % 900) +
                     ".5,\"pid\":" + std::to_string(1000 + rng() % 30000);
  switch (rng() % 40) {  // about 10% of the lines carry PII
    case 0:
      line += ",\"user\":\"jane.doe" + std::to_string(rng() % 1000) + "@example.com\"";
      break;
    case 1:
      line += ",\"client_ip\":\"" + std::to_string(rng() % 256) + "." +
              std::to_string(rng() % 256) + ".10." + std::to_string(rng() % 256) + "\"";
      break;
    case 2:
      line += ",\"authorization\":\"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI" + hex(rng, 12) +
              "In0." + hex(rng, 43) + "\"";
      break;
    case 3:
      line += ",\"card\":\"4111 1111 1111 1111\",\"password\":\"" + hex(rng, 10) + "\"";
      break;
  }
  line += "}";
  return line;
}

std::string substrateLine(std::mt19937_64& rng, const std::vector<std::string>& real) {
  if (!real.empty() && rng() % 4 == 0) return real[rng() % real.size()];
  const unsigned block = 1000 + rng() % 900000;
  return "2021-05-30 17:0" + std::to_string(rng() % 10) + ":" + std::to_string(10 + rng() % 50) +
         " [Relaychain] \xE2\x9C\xA8 Imported #" + std::to_string(block) + " (0x" + hex(rng, 4) +
         "\xE2\x80\xA6" + hex(rng, 4) + "), best: #" + std::to_string(block) + " (0x" +
         hex(rng, 4) + "\xE2\x80\xA6" + hex(rng, 4) + "), finalized #" + std::to_string(block - 2) +
         ", \xE2\xAC\x87 " + std::to_string(rng() % 100) + ".5kiB/s \xE2\xAC\x86 " +
         std::to_string(rng() % 100) + ".1kiB/s (" + std::to_string(rng() % 50) + " peers)";
}

struct Corpus {
  std::vector<std::string> lines;
  size_t bytes = 0;
  bool ok = false;
};

const Corpus& corpus() {
  static const Corpus kCorpus = [] {
    Corpus c;
    const auto auth = readLines(std::string(LOGSHIP_CORPUS_DIR) + "/linux_syslog_2k.log");
    const auto node = readLines(std::string(LOGSHIP_CORPUS_DIR) + "/substrate_node_sample.log");
    if (auth.empty()) return c;
    std::mt19937_64 rng(20210530);
    size_t next_auth = 0;
    while (c.bytes < kCorpusBytes) {
      // Per ten lines: four auth, four application, two node.
      const unsigned slot = rng() % 10;
      std::string line = slot < 4   ? auth[next_auth++ % auth.size()]
                         : slot < 8 ? appLine(rng)
                                    : substrateLine(rng, node);
      c.bytes += line.size();
      c.lines.push_back(std::move(line));
    }
    c.ok = true;
    return c;
  }();
  return kCorpus;
}

void runScrub(benchmark::State& state, const PiiScrubber& scrubber) {
  const Corpus& c = corpus();
  if (!c.ok) {
    state.SkipWithError("cannot read " LOGSHIP_CORPUS_DIR "/linux_syslog_2k.log");
    return;
  }
  std::string out;
  out.reserve(4096);
  size_t scrubbed = 0;
  for (auto _ : state) {
    for (const std::string& line : c.lines) {
      out.clear();
      scrubbed += scrubber.scrub(line, out) ? 1 : 0;
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.lines.size()));
  state.counters["scrubbed_lines_pct"] = 100.0 * static_cast<double>(scrubbed) /
                                         static_cast<double>(state.iterations() * c.lines.size());
}

void BM_AllBuiltinRulesRedact(benchmark::State& state) {
  const PiiScrubber scrubber(ScrubberOptions{PiiScrubber::builtinRules(Action::kRedact), "", 16});
  runScrub(state, scrubber);
}
BENCHMARK(BM_AllBuiltinRulesRedact)->Unit(benchmark::kMillisecond);

void BM_AllBuiltinRulesHash(benchmark::State& state) {
  const PiiScrubber scrubber(
      ScrubberOptions{PiiScrubber::builtinRules(Action::kHash), "bench-key-0123456789", 16});
  runScrub(state, scrubber);
}
BENCHMARK(BM_AllBuiltinRulesHash)->Unit(benchmark::kMillisecond);

void BM_Ipv4Only(benchmark::State& state) {
  const PiiScrubber scrubber(ScrubberOptions{{{"ipv4", "", Action::kRedact}}, "", 16});
  runScrub(state, scrubber);
}
BENCHMARK(BM_Ipv4Only)->Unit(benchmark::kMillisecond);

// A custom RE2 rule costs one RE2 search per event on top of the built-ins. A pattern that
// starts with a literal lets RE2 skip ahead with memchr; one that starts with \b or a class
// makes it step through every byte.
void runWithCustomRule(benchmark::State& state, const char* pattern) {
  auto rules = PiiScrubber::builtinRules(Action::kRedact);
  rules.push_back({"customer_id", pattern, Action::kRedact});
  const PiiScrubber scrubber(ScrubberOptions{std::move(rules), "", 16});
  runScrub(state, scrubber);
}

void BM_BuiltinsPlusCustomRuleLiteralPrefix(benchmark::State& state) {
  runWithCustomRule(state, R"(CUST-(\d{6,10})\b)");
}
BENCHMARK(BM_BuiltinsPlusCustomRuleLiteralPrefix)->Unit(benchmark::kMillisecond);

void BM_BuiltinsPlusCustomRuleWordBoundaryFirst(benchmark::State& state) {
  runWithCustomRule(state, R"(\bCUST-(\d{6,10})\b)");
}
BENCHMARK(BM_BuiltinsPlusCustomRuleWordBoundaryFirst)->Unit(benchmark::kMillisecond);

// The floor: finding line ends in the same bytes.
void BM_BaselineMemchrNewline(benchmark::State& state) {
  const Corpus& c = corpus();
  size_t found = 0;
  for (auto _ : state) {
    for (const std::string& line : c.lines) {
      found += std::memchr(line.data(), '\n', line.size()) != nullptr ? 1 : 0;
    }
    benchmark::DoNotOptimize(found);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.lines.size()));
}
BENCHMARK(BM_BaselineMemchrNewline)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace logship::scrub_pii
