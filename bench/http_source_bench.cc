// Throughput of the http source's body readers: 10k events a request, from the syslog corpus, as
// NDJSON (each line a JSON object with a message and a few fields) and as a Loki push encoded by
// logship's loki output (protobuf after snappy, lines as JSON objects, two labels). Each iteration
// copies the body into a padded buffer as the receiver does and reads it into a batch.
//
//   build/<dir>/bench/logship_bench --benchmark_filter=HttpSource

#include <benchmark/benchmark.h>
#include <snappy.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "agent/core/http_receiver.h"
#include "agent/sources/http/loki_push_decoder.h"
#include "agent/sources/http/plain_body_decoder.h"
#include "agent/support/json_writer.h"
#include "outputs/loki/loki_encoder.h"

#ifndef LOGSHIP_CORPUS_DIR
#error "LOGSHIP_CORPUS_DIR must name the directory holding the real-log corpus"
#endif

namespace logship {
namespace {

constexpr size_t kEvents = 10000;

std::vector<std::string> corpusLines() {
  std::vector<std::string> lines;
  std::ifstream in(std::string(LOGSHIP_CORPUS_DIR) + "/linux_syslog_2k.log");
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) lines.push_back(l);
  }
  if (lines.empty()) lines.push_back("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: auth failure");
  return lines;
}

Batch padded(const std::string& body) {
  HttpBody copy = HttpBody::copyOf(body);
  return Batch(std::move(copy.data), body.size(), {});
}

void report(benchmark::State& state, size_t bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

void BM_HttpSourceNdjson(benchmark::State& state) {
  const std::vector<std::string> lines = corpusLines();
  std::string body;
  for (size_t i = 0; i < kEvents; ++i) {
    body += "{\"message\":";
    json::appendString(body, lines[i % lines.size()]);
    body +=
        ",\"host\":{\"name\":\"web-7\"},\"log\":{\"level\":\"info\"},\"n\":" + std::to_string(i) +
        "}\n";
  }
  GlobalConfig global;
  PlainBodyDecoder decoder(global);
  size_t malformed = 0;
  for (auto _ : state) {
    Batch batch = padded(body);
    decoder.decode(BodyFormat::kNdjson, batch, 1, &malformed);
    if (batch.events().size() != kEvents) state.SkipWithError("events lost");
    benchmark::DoNotOptimize(batch.events().data());
  }
  report(state, body.size());
}
BENCHMARK(BM_HttpSourceNdjson)->Unit(benchmark::kMillisecond);

void BM_HttpSourceLokiProtobuf(benchmark::State& state) {
  const std::vector<std::string> lines = corpusLines();
  GlobalConfig global;
  global.host_name = "bench-node";
  std::string text;
  for (size_t i = 0; i < kEvents; ++i) text += lines[i % lines.size()] + "\n";
  auto raw = std::make_unique<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  auto source = std::make_shared<Batch>(std::move(raw), text.size(), AckToken());
  source->addSharedString("host.name", "web-7");
  size_t at = 0;
  for (size_t i = 0; i < kEvents; ++i) {
    const size_t nl = source->raw().find('\n', at);
    Event& e = source->events().emplace_back();
    e.message = source->raw().substr(at, nl - at);
    e.timestamp_ns = 1700000000000000000 + static_cast<int64_t>(i) * 1000;
    e.severity = static_cast<Severity>(1 + i % 6);
    at = nl + 1;
  }
  LokiEncoderOptions options;
  for (auto [name, text_template] : {std::pair{"host", "{host.name}"}, {"level", "{log.level}"}}) {
    OutputTemplate t;
    std::string error;
    t.compile(text_template, false, &error);
    options.labels.emplace_back(name, std::move(t));
  }
  LokiEncoder encoder(global, std::move(options));
  HttpSinkInput input;
  input.batch = source;
  std::vector<EventRef> refs;
  for (uint32_t i = 0; i < kEvents; ++i) refs.push_back({&input, i});
  std::string compressed;
  encoder.encode(refs, compressed);
  LokiPushDecoder decoder(global, {{{"host", "host.name"}, {"level", "log.level"}}, true});
  for (auto _ : state) {
    HttpBody body;
    decompressBody(BodyEncoding::kSnappy, compressed, 64 << 20, body);
    const size_t size = body.size;
    Batch batch(std::move(body.data), size, {});
    decoder.decodeProtobuf(batch);
    if (batch.events().size() != kEvents) state.SkipWithError("events lost");
    benchmark::DoNotOptimize(batch.events().data());
  }
  report(state, compressed.size());
}
BENCHMARK(BM_HttpSourceLokiProtobuf)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace logship
