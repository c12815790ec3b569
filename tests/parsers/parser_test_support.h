#pragma once

// Shared by the parser transform tests: batches built from lines, transforms built through the
// real registry and option tables from YAML, a capturing emitter and a counting context.

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio/io_context.hpp>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
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

namespace logship::testing {

// 2005-08-01T00:00:00Z: the Loghub corpora are from mid-2005, so RFC 3164 years infer to 2005.
inline constexpr int64_t kCorpusReadTimeNs = 1'122'854'400'000'000'000;

// One raw buffer holding the lines separated by '\n', one event per line viewing into it, every
// event read at `read_time_ns` (its timestamp until a parser sets one).
inline Batch makeBatch(const std::vector<std::string>& lines, int64_t read_time_ns = 0) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  auto raw = std::make_unique<char[]>(text.size() + 1);
  std::memcpy(raw.get(), text.data(), text.size());
  Batch batch(std::move(raw), text.size(), AckToken());
  size_t pos = 0;
  for (const std::string& line : lines) {
    Event& e = batch.events().emplace_back();
    e.message = batch.raw().substr(pos, line.size());
    e.offset = pos;
    e.timestamp_ns = read_time_ns;
    pos += line.size() + 1;
  }
  return batch;
}

inline std::vector<std::string> readLines(const std::string& file_name) {
  std::ifstream in(std::string(LOGSHIP_CORPUS_DIR) + "/" + file_name, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

class CapturingEmitter final : public Emitter {
 public:
  void emit(Batch&& batch, std::string_view port) override {
    ports.emplace_back(port);
    batches.push_back(std::make_unique<Batch>(std::move(batch)));
  }
  std::vector<std::string> ports;
  std::vector<std::unique_ptr<Batch>> batches;
};

class CountingMetrics final : public ComponentMetrics {
 public:
  void received(uint64_t, uint64_t) override {}
  void sent(uint64_t, uint64_t) override {}
  void discarded(std::string_view reason, uint64_t events) override {
    discarded_by_reason[std::string(reason)] += events;
  }
  void error(std::string_view reason) override { errors[std::string(reason)]++; }
  std::map<std::string, uint64_t> discarded_by_reason;
  std::map<std::string, uint64_t> errors;
};

class FakeContext final : public ComponentContext {
 public:
  std::string_view id() const override { return "test"; }
  const GlobalConfig& global() const override { return global_; }
  ComponentMetrics& metrics() override { return metrics_; }
  prometheus::Registry& metricsRegistry() override { return registry_; }
  boost::asio::io_context& io() override { return io_; }
  CountingMetrics& counting() { return metrics_; }

 private:
  GlobalConfig global_;
  CountingMetrics metrics_;
  prometheus::Registry registry_;
  boost::asio::io_context io_;
};

// Builds a transform of `type` through the real registry from the YAML mapping of its options
// (without `type`/`inputs`), as the topology would. Returns nullptr with the errors in `diag`.
inline std::unique_ptr<Transform> buildTransform(const std::string& type,
                                                 const std::string& options_yaml,
                                                 Diagnostics& diag) {
  static const Registry* registry = [] {
    auto* r = new Registry();
    registerParsers(*r);
    return r;
  }();
  const ComponentFactory* factory = registry->find(ComponentKind::kTransform, type);
  if (factory == nullptr) {
    ADD_FAILURE() << "no transform type " << type;
    return nullptr;
  }
  static const GlobalConfig global;
  const ConfigNode node(YAML::Load(options_yaml.empty() ? "{}" : options_yaml),
                        std::make_shared<const std::string>("t.yaml"));
  BuildContext ctx{"test", global, diag, node};
  return factory->build_transform(ctx);
}

inline std::unique_ptr<Transform> buildOrFail(const std::string& type,
                                              const std::string& options_yaml = "") {
  Diagnostics diag;
  auto transform = buildTransform(type, options_yaml, diag);
  EXPECT_NE(transform, nullptr) << (diag.errors().empty() ? "" : diag.errors()[0]);
  return transform;
}

// Runs `lines` through `transform` as one batch and returns the emitted batch.
inline std::unique_ptr<Batch> runLines(Transform& transform, const std::vector<std::string>& lines,
                                       int64_t read_time_ns = 0, FakeContext* context = nullptr) {
  FakeContext local;
  transform.start(context != nullptr ? *context : local);
  Batch batch = makeBatch(lines, read_time_ns);
  CapturingEmitter out;
  transform.process(batch, out);
  EXPECT_EQ(out.batches.size(), 1u);
  if (out.batches.empty()) return nullptr;
  EXPECT_EQ(out.batches[0]->events().size(), lines.size()) << "a parser must never drop events";
  return std::move(out.batches[0]);
}

// Field accessors that fail the test when the field is missing or of another kind.
inline std::optional<std::string> str(const Event& e, std::string_view key) {
  const Field* f = e.findField(key);
  if (f == nullptr || f->value.kind != FieldValue::Kind::kString) return std::nullopt;
  return std::string(f->value.string_value);
}
inline std::optional<int64_t> integer(const Event& e, std::string_view key) {
  const Field* f = e.findField(key);
  if (f == nullptr || f->value.kind != FieldValue::Kind::kInt) return std::nullopt;
  return f->value.int_value;
}
inline std::optional<double> real(const Event& e, std::string_view key) {
  const Field* f = e.findField(key);
  if (f == nullptr || f->value.kind != FieldValue::Kind::kDouble) return std::nullopt;
  return f->value.double_value;
}
inline std::optional<bool> boolean(const Event& e, std::string_view key) {
  const Field* f = e.findField(key);
  if (f == nullptr || f->value.kind != FieldValue::Kind::kBool) return std::nullopt;
  return f->value.bool_value;
}

// Whether `part` views `whole`'s bytes rather than a copy of them (an empty part always does).
inline bool isViewInto(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}
inline bool parseFailed(const Event& e) { return (e.flags & Event::kParseError) != 0; }

// "2005-12-04T04:47:44Z" style nanoseconds for expectations.
inline int64_t utcNs(int year, unsigned month, unsigned day, unsigned hour, unsigned minute,
                     unsigned second, int64_t millis = 0) {
  auto days_from_civil = [](int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t mp = m > 2 ? m - 3 : m + 9;
    const int64_t doy = (153 * mp + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
  };
  return ((days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second) * 1000 +
          millis) *
         1'000'000;
}

}  // namespace logship::testing
