// Disk buffer write+read and archive write throughput on real auth/syslog lines, with the
// archive's compression ratio per zstd level (what its default level was chosen from).
#include <benchmark/benchmark.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "agent/core/disk_buffer.h"
#include "outputs/archive/archive_output.h"

namespace logship {
namespace {

namespace fs = std::filesystem;

// One batch of ~1 MiB of corpus lines with the fields a parsed auth event carries.
std::shared_ptr<Batch> corpusBatch() {
  std::ifstream in(std::string(LOGSHIP_CORPUS_DIR) + "/linux_syslog_2k.log");
  std::string all, line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  if (lines.empty()) lines.push_back("Jun 14 15:16:01 combo sshd[1]: authentication failure");
  size_t n = 0;
  while (all.size() < (1u << 20)) all += lines[n++ % lines.size()] + "\n";
  auto raw = std::make_unique<char[]>(all.size());
  std::memcpy(raw.get(), all.data(), all.size());
  auto b = std::make_shared<Batch>(std::move(raw), all.size(), AckToken());
  b->addSharedString("host.name", "combo");
  b->addSharedString("log.file.path", "/var/log/auth.log");
  size_t at = 0;
  int64_t ts = 1'700'000'000'000'000'000;
  while (at < all.size()) {
    size_t nl = all.find('\n', at);
    Event& e = b->events().emplace_back();
    e.message = b->raw().substr(at, nl - at);
    e.offset = at;
    e.timestamp_ns = ts++;
    e.severity = Severity::kInfo;
    e.tier = 0;
    b->addField(e, "event.action", FieldValue::string("ssh_failed_password"));
    b->addField(e, "source.port", FieldValue::integer(22));
    at = nl + 1;
  }
  return b;
}

void BM_DiskBufferWriteRead(benchmark::State& state) {
  auto batch = corpusBatch();
  fs::path dir = fs::temp_directory_path() / ("logship-bench-buffer-" + std::to_string(getpid()));
  fs::remove_all(dir);
  DiskBuffer buffer({dir.string(), 8ull << 30, 64ull << 20});
  std::string error;
  if (!buffer.open(&error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  uint64_t n = 0;
  for (auto _ : state) {
    buffer.append(*batch, 0);
    auto back = buffer.next();
    if (!back || back->events().size() != batch->events().size()) {
      state.SkipWithError("the buffer did not give the batch back");
      break;
    }
    back->ack().resolve(AckStatus::kDelivered);
    // The output collects on a 100 ms tick, not per batch: its state save is an fsync.
    if (++n % 32 == 0) buffer.collect();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch->raw().size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch->events().size()));
  fs::remove_all(dir);
}
BENCHMARK(BM_DiskBufferWriteRead)->Unit(benchmark::kMillisecond);

class NullMetrics : public ComponentMetrics {
 public:
  void received(uint64_t, uint64_t) override {}
  void sent(uint64_t, uint64_t) override {}
  void discarded(std::string_view, uint64_t) override {}
  void error(std::string_view) override {}
};

class BenchContext : public ComponentContext {
 public:
  explicit BenchContext(const GlobalConfig& g) : global_(g) {}
  std::string_view id() const override { return "archive"; }
  const GlobalConfig& global() const override { return global_; }
  ComponentMetrics& metrics() override { return metrics_; }
  prometheus::Registry& metricsRegistry() override { return registry_; }
  boost::asio::io_context& io() override { return io_; }

 private:
  const GlobalConfig& global_;
  NullMetrics metrics_;
  prometheus::Registry registry_;
  boost::asio::io_context io_;
};

// range(0): zstd level. Reports the compression ratio (NDJSON bytes per archived byte).
void BM_ArchiveWrite(benchmark::State& state) {
  auto batch = corpusBatch();
  fs::path dir = fs::temp_directory_path() / ("logship-bench-archive-" + std::to_string(getpid()));
  fs::remove_all(dir);
  GlobalConfig global;
  global.tiers = {{"audit", std::chrono::hours(24 * 365 * 7), false}};
  ConfigNode node(YAML::Load("{path: " + dir.string() + ", fsync_interval: 10s, compression_level: " +
                             std::to_string(state.range(0)) + "}"),
                  std::make_shared<const std::string>("bench"));
  Diagnostics diag;
  BuildContext ctx{"archive", global, diag, node};
  auto config = ArchiveOutputConfig::options().parse(node, diag, {});
  ArchiveOutput out(config, ctx);
  BenchContext context(global);
  out.start(context);
  for (auto _ : state) out.consume(batch, AckToken());
  out.sealAll();
  uint64_t raw = 0, written = 0;
  for (auto& f : context.metricsRegistry().Collect()) {
    for (auto& m : f.metric) {
      if (f.name == "logship_archive_raw_bytes_total") raw += static_cast<uint64_t>(m.counter.value);
      if (f.name == "logship_archive_written_bytes_total") {
        written += static_cast<uint64_t>(m.counter.value);
      }
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch->raw().size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch->events().size()));
  state.counters["ratio"] = written ? static_cast<double>(raw) / static_cast<double>(written) : 0;
  fs::remove_all(dir);
}
BENCHMARK(BM_ArchiveWrite)->Arg(1)->Arg(3)->Arg(6)->Arg(9)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace logship
