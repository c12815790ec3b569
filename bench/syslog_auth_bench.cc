// Throughput of the syslog parser and auth classifier on real lines: the Loghub Linux corpus
// replicated to about 20 MB so the working set is larger than the caches, as a busy shipper's
// batches are.

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/auth/auth_classifier.h"
#include "parsers/common/syslog_parser.h"
#include "agent/support/timestamp.h"

#ifndef LOGSHIP_CORPUS_DIR
#error "LOGSHIP_CORPUS_DIR must name the directory holding linux_syslog_2k.log"
#endif

namespace logship {
namespace {

constexpr size_t kTargetBytes = 20 * 1024 * 1024;

struct Corpus {
  std::string buffer;
  std::vector<std::string_view> lines;
  size_t bytes = 0;  // line bytes handed to the parser, terminators included
};

// Built once; benchmarks only read it.
const Corpus& corpus() {
  static const Corpus instance = [] {
    Corpus c;
    std::ifstream in(std::string(LOGSHIP_CORPUS_DIR) + "/linux_syslog_2k.log", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::string original = text.str();
    if (original.empty()) return c;
    if (original.back() != '\n') original.push_back('\n');
    c.buffer.reserve(kTargetBytes + original.size());
    while (c.buffer.size() < kTargetBytes) c.buffer += original;
    const std::string_view all(c.buffer);
    for (size_t begin = 0; begin < all.size();) {
      const size_t end = all.find('\n', begin);
      c.lines.push_back(all.substr(begin, end - begin + 1));
      begin = end + 1;
    }
    c.bytes = c.buffer.size();
    return c;
  }();
  return instance;
}

// The corpus is from mid-2005; the reference keeps its year inference realistic.
constexpr syslog::SyslogOptions kOptions{1'122'854'400'000'000'000, 0};  // 2005-08-01

void setCounters(benchmark::State& state, const Corpus& c) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.lines.size()));
}

void BM_ParseSyslog(benchmark::State& state) {
  const Corpus& c = corpus();
  if (c.lines.empty()) {
    state.SkipWithError("corpus not readable");
    return;
  }
  syslog::SyslogMessage message;
  for (auto _ : state) {
    for (std::string_view line : c.lines) {
      benchmark::DoNotOptimize(syslog::parseSyslog(line, kOptions, message));
      benchmark::DoNotOptimize(message);
    }
  }
  setCounters(state, c);
}
BENCHMARK(BM_ParseSyslog)->Unit(benchmark::kMillisecond);

void BM_ParseSyslogAndClassifyAuth(benchmark::State& state) {
  const Corpus& c = corpus();
  if (c.lines.empty()) {
    state.SkipWithError("corpus not readable");
    return;
  }
  syslog::SyslogMessage message;
  auth::AuthEvent event;
  size_t classified = 0;
  for (auto _ : state) {
    for (std::string_view line : c.lines) {
      if (!syslog::parseSyslog(line, kOptions, message)) continue;
      classified += auth::classifyAuth(message.app_name, message.message, event);
      benchmark::DoNotOptimize(event);
    }
  }
  benchmark::DoNotOptimize(classified);
  setCounters(state, c);
  state.counters["classified_per_pass"] =
      static_cast<double>(classified) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ParseSyslogAndClassifyAuth)->Unit(benchmark::kMillisecond);

// The classifier alone, over pre-parsed messages, to see its share of the combined cost.
void BM_ClassifyAuth(benchmark::State& state) {
  const Corpus& c = corpus();
  if (c.lines.empty()) {
    state.SkipWithError("corpus not readable");
    return;
  }
  std::vector<syslog::SyslogMessage> parsed(c.lines.size());
  for (size_t i = 0; i < c.lines.size(); ++i) syslog::parseSyslog(c.lines[i], kOptions, parsed[i]);
  auth::AuthEvent event;
  for (auto _ : state) {
    for (const syslog::SyslogMessage& message : parsed) {
      benchmark::DoNotOptimize(auth::classifyAuth(message.app_name, message.message, event));
      benchmark::DoNotOptimize(event);
    }
  }
  setCounters(state, c);
}
BENCHMARK(BM_ClassifyAuth)->Unit(benchmark::kMillisecond);

void BM_FormatRfc3339(benchmark::State& state) {
  char buffer[timestamp::kRfc3339NanosLength];
  int64_t ns = 1'700'000'000'123'456'789;
  for (auto _ : state) {
    benchmark::DoNotOptimize(timestamp::formatRfc3339(ns, buffer));
    benchmark::DoNotOptimize(buffer);
    ns += 1'000'003'007;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FormatRfc3339);

void BM_ParseRfc3339(benchmark::State& state) {
  constexpr std::string_view kText = "2024-01-02T03:04:05.123456789+01:00";
  for (auto _ : state) benchmark::DoNotOptimize(timestamp::parseRfc3339(kText));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kText.size()));
}
BENCHMARK(BM_ParseRfc3339);

}  // namespace
}  // namespace logship
