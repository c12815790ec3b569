// Encoding throughput of the HTTP outputs, one core: events of the real-log corpus (syslog,
// Apache and Substrate node lines, with the fields a file source and the transforms add) turned
// into a Loki push body (protobuf + snappy, or JSON), an Elasticsearch _bulk body or an OTLP
// ExportLogsServiceRequest (protobuf or JSON). Bytes/s count the raw log lines put in; the target
// is >= 200 MB/s for the Loki and ES encoders.

#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "agent/support/json_writer.h"
#include "outputs/common/compression.h"
#include "outputs/elasticsearch/elasticsearch_encoder.h"
#include "outputs/loki/loki_encoder.h"
#include "outputs/opentelemetry/opentelemetry_config.h"
#include "outputs/opentelemetry/opentelemetry_encoder.h"

#ifndef LOGSHIP_CORPUS_DIR
#error "LOGSHIP_CORPUS_DIR must name the directory holding the real-log corpus"
#endif

namespace logship {
namespace {

constexpr size_t kEventsPerRequest = 5000;

struct Corpus {
  GlobalConfig global;
  std::vector<std::shared_ptr<Batch>> batches;
  std::vector<std::unique_ptr<HttpSinkInput>> inputs;
  std::vector<EventRef> refs;
  size_t bytes = 0;

  Corpus() {
    global.tiers = {{"audit", {}, false}, {"app", {}, false}, {"debug", {}, false}};
    std::string text;
    for (const char* name :
         {"linux_syslog_2k.log", "apache_error_2k.log", "substrate_node_sample.log"}) {
      std::ifstream in(std::string(LOGSHIP_CORPUS_DIR) + "/" + name);
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) text += line + "\n";
      }
    }
    // One request's worth of events, from one batch per 1000 lines as a source cuts them.
    std::vector<std::string_view> lines;
    for (size_t at = 0; at < text.size();) {
      size_t nl = text.find('\n', at);
      lines.push_back(std::string_view(text).substr(at, nl - at));
      at = nl + 1;
    }
    size_t taken = 0;
    uint64_t offset = 0;
    while (taken < kEventsPerRequest) {
      std::string chunk;
      for (size_t i = 0; i < 1000 && taken < kEventsPerRequest; ++i, ++taken) {
        chunk += std::string(lines[taken % lines.size()]) + "\n";
      }
      auto raw = std::make_unique<char[]>(chunk.size());
      std::memcpy(raw.get(), chunk.data(), chunk.size());
      auto b = std::make_shared<Batch>(std::move(raw), chunk.size(), AckToken());
      b->addSharedString("log.file.path", "/var/log/syslog");
      b->addSharedString("host.name", "node-7");
      size_t at = 0;
      int n = 0;
      while (at < chunk.size()) {
        size_t nl = chunk.find('\n', at);
        Event& e = b->events().emplace_back();
        e.message = b->raw().substr(at, nl - at);
        e.offset = offset + at;
        e.timestamp_ns = 1795319848'000000000 + static_cast<int64_t>(n) * 1'000'000;
        e.severity = n % 7 == 0 ? Severity::kHigh : Severity::kInfo;
        e.tier = static_cast<uint8_t>(n % 3);
        if (n % 4 == 0) e.correlation_id = "c0ffee-42";
        bytes += e.message.size();
        at = nl + 1;
        ++n;
      }
      for (Event& e : b->events()) {
        b->addField(e, "process.name", FieldValue::string("sshd"));
        b->addField(e, "process.pid", FieldValue::integer(4242));
      }
      offset += chunk.size();
      inputs.push_back(std::make_unique<HttpSinkInput>());
      inputs.back()->batch = b;
      for (uint32_t i = 0; i < b->events().size(); ++i) refs.push_back({inputs.back().get(), i});
      batches.push_back(b);
    }
  }
};

Corpus& corpus() {
  static Corpus c;
  return c;
}

LokiEncoder makeLoki(bool json) {
  LokiEncoderOptions options;
  for (auto [name, text] : {std::pair{"host", "{host.name}"}, std::pair{"level", "{log.level}"},
                            std::pair{"tier", "{tier}"}}) {
    OutputTemplate t;
    std::string error;
    t.compile(text, false, &error);
    t.setTierNames({"audit", "app", "debug"});
    options.labels.emplace_back(name, std::move(t));
  }
  options.json = json;
  return LokiEncoder(corpus().global, std::move(options));
}

void report(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus().bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus().refs.size()));
}

// One request's worth of events encoded by `encoder`, again and again.
template <class Encoder>
void encodeRequests(benchmark::State& state, Encoder encoder) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    encoder.encode(corpus().refs, out);
    benchmark::DoNotOptimize(out.data());
  }
  report(state);
}

void BM_LokiProtobufSnappy(benchmark::State& state) { encodeRequests(state, makeLoki(false)); }
BENCHMARK(BM_LokiProtobufSnappy);

void BM_LokiJson(benchmark::State& state) { encodeRequests(state, makeLoki(true)); }
BENCHMARK(BM_LokiJson);

ElasticsearchEncoder makeEs() {
  OutputTemplate index;
  std::string error;
  index.compile("logs-{tier}-%Y.%m.%d", true, &error);
  index.setTierNames({"audit", "app", "debug"});
  return ElasticsearchEncoder(corpus().global, std::move(index), true);
}

void BM_ElasticsearchBulk(benchmark::State& state) { encodeRequests(state, makeEs()); }
BENCHMARK(BM_ElasticsearchBulk);

// With the default gzip (level 1) Content-Encoding, the cost a request really pays.
void BM_ElasticsearchBulkGzip(benchmark::State& state) {
  ElasticsearchEncoder encoder = makeEs();
  Compressor compressor;
  std::string out, compressed;
  for (auto _ : state) {
    out.clear();
    compressed.clear();
    encoder.encode(corpus().refs, out);
    compressor.gzip(out, compressed);
    benchmark::DoNotOptimize(compressed.data());
  }
  report(state);
}
BENCHMARK(BM_ElasticsearchBulkGzip);

OpenTelemetryEncoder makeOtlp(bool json) {
  OpenTelemetryEncoderOptions options;
  options.resource_fields = OpenTelemetryConfig{}.resource_fields;
  options.json = json;
  return OpenTelemetryEncoder(corpus().global, std::move(options));
}

void BM_OpenTelemetry(benchmark::State& state) {
  encodeRequests(state, makeOtlp(state.range(0) != 0));
}
BENCHMARK(BM_OpenTelemetry)->ArgName("json")->Arg(0)->Arg(1);

// The NDJSON rendering both line formats start from: the ceiling of the encoders above.
void BM_NdjsonEventsBaseline(benchmark::State& state) {
  NdjsonEncoder encoder(corpus().global);
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (const EventRef& ref : corpus().refs) encoder.encodeEvent(ref.batch(), ref.event(), out);
    benchmark::DoNotOptimize(out.data());
  }
  report(state);
}
BENCHMARK(BM_NdjsonEventsBaseline);

// One JSON string per message kind of the end-to-end corpus: an app's JSON line (a quote every
// few bytes), an sshd line and a Substrate line (UTF-8).
void BM_JsonAppendString(benchmark::State& state) {
  static const std::string_view kMessages[] = {
      R"({"ts":"2026-03-05T12:01:02.123Z","level":"info","service":"checkout","msg":"request done",)"
      R"("path":"/api/v1/orders","status":200,"duration_ms":12.5,"request_id":"00ff00ff00ff00ff"})",
      "Jun 15 02:04:59 combo sshd[20882]: Failed password for invalid user test from 10.1.2.3 "
      "port 4022 ssh2",
      "2021-05-30 16:57:48 [Relaychain] \u2728 Imported #8 (0xe60b\u20269b0a)"};
  const std::string_view message = kMessages[state.range(0)];
  std::string out;
  for (auto _ : state) {
    out.clear();
    json::appendString(out, message);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * message.size()));
}
BENCHMARK(BM_JsonAppendString)->DenseRange(0, 2)->ArgName("kind");

}  // namespace
}  // namespace logship
