// Micro-benchmarks of the raw path: splitting a buffer into line events, and reading a file
// through LineReader into batches (what the file source does per read).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "agent/core/line_reader.h"

namespace logship {
namespace {

// ~64 MiB of real syslog lines, repeated.
const std::string& corpus() {
  static const std::string text = [] {
    std::ifstream in(std::string(LOGSHIP_CORPUS_DIR) + "/linux_syslog_2k.log");
    std::stringstream s;
    s << in.rdbuf();
    std::string one = s.str();
    if (one.empty()) one = "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure\n";
    std::string all;
    while (all.size() < (64u << 20)) all += one;
    return all;
  }();
  return text;
}

void BM_SplitLines(benchmark::State& state) {
  const std::string& text = corpus();
  std::vector<Event> events;
  size_t lines = 0;
  for (auto _ : state) {
    events.clear();
    lines += splitLines(text, 0, 0, events);
    benchmark::DoNotOptimize(events.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(lines));
}
BENCHMARK(BM_SplitLines)->Unit(benchmark::kMillisecond);

// Reads the corpus from a file (page cache) into batches of `range(0)` bytes, as the file source
// does: one read, one allocation and one split per batch.
void BM_ReadBatches(benchmark::State& state) {
  const std::string& text = corpus();
  std::string path = "/tmp/logship-bench-" + std::to_string(getpid()) + ".log";
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  size_t batch_bytes = static_cast<size_t>(state.range(0));
  size_t lines = 0;
  for (auto _ : state) {
    int fd = ::open(path.c_str(), O_RDONLY);
    LineReader reader(1 << 20, 0);
    ssize_t n = 0;
    while (auto chunk = reader.read(fd, batch_bytes, 0, &n)) {
      lines += chunk->batch.events().size();
      benchmark::DoNotOptimize(chunk->batch.events().data());
    }
    ::close(fd);
  }
  ::unlink(path.c_str());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(lines));
}
BENCHMARK(BM_ReadBatches)->Arg(128 << 10)->Arg(512 << 10)->Arg(2 << 20)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace logship
