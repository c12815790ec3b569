// Throughput of the kafka output: events from the syslog corpus (with host, tier, level and a
// correlation id set) encoded as JSON and produced with zstd through the idempotent producer to
// librdkafka's mock cluster (3 brokers, in this process), one 10k-event batch per iteration,
// timed until the batch's acknowledgement (every delivery report) came back. `cpu_cores` is the
// process CPU time over wall time, so events/s / cpu_cores is the rate per core; it includes the
// producer's threads and the mock brokers.
//
//   build/<dir>/bench/logship_bench --benchmark_filter=Kafka

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "agent/cli/builtin_components.h"
#include "outputs/kafka/kafka_encoder.h"
#include "tests/kafka/kafka_test_support.h"

#ifndef LOGSHIP_CORPUS_DIR
#error "LOGSHIP_CORPUS_DIR must name the directory holding the real-log corpus"
#endif

namespace logship {
namespace {

constexpr size_t kBatchEvents = 10000;

GlobalConfig benchGlobal() {
  GlobalConfig g;
  g.tiers = {{"audit", {}, false}, {"app", {}, false}};
  g.host_name = "bench-node";
  g.data_dir = "/tmp/logship-kafka-bench";
  return g;
}

std::shared_ptr<Batch> corpusBatch() {
  std::vector<std::string> lines;
  std::ifstream in(std::string(LOGSHIP_CORPUS_DIR) + "/linux_syslog_2k.log");
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) lines.push_back(l);
  }
  if (lines.empty()) lines.push_back("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: auth failure");
  std::string text;
  for (size_t i = 0; i < kBatchEvents; ++i) text += lines[i % lines.size()] + "\n";
  auto raw = std::make_unique<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  auto batch = std::make_shared<Batch>(std::move(raw), text.size(), AckToken());
  batch->addSharedString("host.name", "web-7");
  batch->addSharedString("log.file.path", "/var/log/syslog");
  size_t at = 0;
  for (size_t i = 0; i < kBatchEvents; ++i) {
    size_t nl = batch->raw().find('\n', at);
    Event& e = batch->events().emplace_back();
    e.message = batch->raw().substr(at, nl - at);
    e.timestamp_ns = 1700000000000000000 + static_cast<int64_t>(i) * 1000;
    e.severity = static_cast<Severity>(1 + i % 6);
    e.tier = static_cast<uint8_t>(i % 2);
    e.correlation_id = batch->arena().copy("corr-" + std::to_string(i % 512));
    e.offset = at;
    at = nl + 1;
  }
  return batch;
}

double cpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void BM_KafkaEncode(benchmark::State& state) {
  GlobalConfig global = benchGlobal();
  std::string error;
  auto encoder = KafkaEncoder::create(
      "logs.{tier}", "{correlation_id}",
      {{"host", "{host.name}"}, {"severity", "{log.level}"}, {"tier", "{tier}"}}, global, &error);
  auto batch = corpusBatch();
  size_t bytes = 0;
  for (auto _ : state) {
    for (const Event& e : batch->events()) {
      KafkaRecord r = encoder->encode(*batch, e);
      bytes += r.value.size();
      benchmark::DoNotOptimize(r.key.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatchEvents));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_KafkaEncode)->Unit(benchmark::kMillisecond);

struct Done final : AckReceiver {
  void acknowledge(uint64_t, AckStatus s) override {
    status = s;
    done.store(true);
  }
  std::atomic<bool> done{false};
  AckStatus status = AckStatus::kErrored;
};

void BM_KafkaProduceZstd(benchmark::State& state) {
  testing::MockCluster cluster;
  cluster.createTopic("logs.audit", 6);
  cluster.createTopic("logs.app", 6);
  GlobalConfig global = benchGlobal();
  Registry registry;
  registerBuiltinComponents(registry);
  Diagnostics diag;
  ConfigNode node(YAML::Load("{type: kafka, brokers: '" + cluster.bootstraps() +
                             "', topic: 'logs.{tier}', key: '{correlation_id}', "
                             "compression: zstd, poll_interval: 1ms}"),
                  std::make_shared<const std::string>("bench.yaml"));
  BuildContext ctx{"kafka", global, diag, node};
  auto sink = registry.find(ComponentKind::kOutput, "kafka")->build_sink(ctx);
  if (!sink) {
    state.SkipWithError(diag.errors().empty() ? "build failed" : diag.errors()[0].c_str());
    return;
  }
  testing::ThreadContext context(global);
  context.run([&] { sink->start(context); });
  SharedBatch batch = corpusBatch();
  size_t raw_bytes = batch->raw().size();
  double cpu_before = cpuSeconds();
  auto wall_before = std::chrono::steady_clock::now();
  for (auto _ : state) {
    Done done;
    context.run([&] { sink->consume(batch, AckToken(&done, 1)); });
    while (!done.done.load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (done.status != AckStatus::kDelivered) {
      state.SkipWithError("batch not delivered");
      break;
    }
  }
  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  double cpu = cpuSeconds() - cpu_before;
  context.run([&] { sink->stop(); });
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatchEvents));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw_bytes));
  state.counters["cpu_cores"] = wall > 0 ? cpu / wall : 0;
  state.counters["events_per_core_s"] =
      cpu > 0 ? static_cast<double>(state.iterations() * kBatchEvents) / cpu : 0;
  state.counters["raw_MB_per_core_s"] =
      cpu > 0 ? static_cast<double>(state.iterations() * raw_bytes) / cpu / 1e6 : 0;
}
BENCHMARK(BM_KafkaProduceZstd)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

}  // namespace
}  // namespace logship
