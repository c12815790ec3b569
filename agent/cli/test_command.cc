// `logship test TESTS.yaml`: unit tests for a pipeline configuration. Each test feeds lines to a
// source and checks the events a chosen source or transform emits, field by field.
#include <stdlib.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>

#include "agent/cli/builtin_components.h"
#include "agent/cli/commands.h"
#include "agent/core/metrics.h"
#include "agent/topology/topology.h"

namespace logship {

namespace {

// The value of `key` in `event` as text, including the built-in members; nullopt when absent.
std::optional<std::string> fieldText(const Batch& batch, const Event& event,
                                     const GlobalConfig& global, const std::string& key) {
  if (key == "message") return std::string(event.message);
  if (key == "log.level") {
    if (event.severity == Severity::kUnset) return std::nullopt;
    return std::string(toString(event.severity));
  }
  if (key == "tier") {
    if (event.tier >= global.tiers.size()) return std::nullopt;
    return global.tiers[event.tier].name;
  }
  if (key == "correlation_id") {
    if (event.correlation_id.empty()) return std::nullopt;
    return std::string(event.correlation_id);
  }
  const Field* f = batch.findField(event, key);
  if (f == nullptr) return std::nullopt;
  switch (f->value.kind) {
    case FieldValue::Kind::kString:
      return std::string(f->value.string_value);
    case FieldValue::Kind::kInt:
      return std::to_string(f->value.int_value);
    case FieldValue::Kind::kBool:
      return std::string(f->value.bool_value ? "true" : "false");
    case FieldValue::Kind::kDouble: {
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f->value.double_value);
      return std::string(buf, end);
    }
  }
  return std::nullopt;
}

// Runs one test; returns an empty string when it passes, else why not.
std::string runTest(const CommonOptions& opts, const Registry& registry, const ConfigNode& test) {
  std::string source, component;
  std::vector<std::string> lines;
  Diagnostics diag;
  ConfigNode input = test["input"];
  ConfigNode expect = test["expect"];
  if (!input.isMap() || !expect.isMap()) return "a test needs input: {source, lines} and expect";
  if (!readValue(input["source"], source, diag) || !readValue(input["lines"], lines, diag) ||
      !readValue(expect["component"], component, diag)) {
    return diag.errors().empty() ? "incomplete test" : diag.errors()[0];
  }
  // A fresh pipeline per test, so stateful transforms (detect, throttle) start empty.
  std::unique_ptr<Topology> topology = buildTopology(opts, registry);
  if (!topology) return "the pipeline does not build";
  const GlobalConfig& global = topology->config().global;
  Metrics metrics;
  topology->startTransformsOnly(metrics);
  // Emitted batches move on after the tap: keep the values of the fields the test checks.
  std::vector<std::string> keys;
  for (const ConfigNode& item : expect["events"].items()) {
    for (auto& [k, v] : item.entries()) keys.push_back(k.yaml().Scalar());
  }
  std::vector<std::map<std::string, std::optional<std::string>>> captured;
  auto handle = topology->tap(component, [&](const Batch& batch) {
    for (const Event& e : batch.events()) {
      auto& values = captured.emplace_back();
      for (const std::string& k : keys) values[k] = fieldText(batch, e, global, k);
    }
  });
  if (!handle) return "no source or transform '" + component + "' in the pipeline";

  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  auto raw = std::make_unique<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  Batch batch(std::move(raw), text.size(), AckToken());
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  size_t at = 0;
  for (const std::string& l : lines) {
    Event& e = batch.events().emplace_back();
    e.message = batch.raw().substr(at, l.size());
    e.offset = at;
    e.timestamp_ns = now;
    at += l.size() + 1;
  }
  batch.addSharedString("host.name", global.host_name);
  if (!topology->inject(source, std::move(batch))) return "no source '" + source + "'";
  handle.reset();

  ConfigNode want_events = expect["events"];
  ConfigNode want_count = expect["count"];
  if (want_count.defined()) {
    int64_t count = 0;
    if (!readValue(want_count, count, diag)) return diag.errors()[0];
    if (captured.size() != static_cast<size_t>(count)) {
      return component + " emitted " + std::to_string(captured.size()) + " events, expected " +
             std::to_string(count);
    }
  }
  if (want_events.defined()) {
    auto items = want_events.items();
    if (items.size() != captured.size()) {
      return component + " emitted " + std::to_string(captured.size()) + " events, expected " +
             std::to_string(items.size());
    }
    for (size_t i = 0; i < items.size(); ++i) {
      for (auto& [key_node, value_node] : items[i].entries()) {
        std::string key = key_node.yaml().Scalar();
        bool absent_wanted = value_node.yaml().IsNull();
        std::optional<std::string> want = absent_wanted ? std::string() : value_node.scalar(diag);
        if (!want) return diag.errors()[0];
        const std::optional<std::string>& got = captured[i][key];
        if (absent_wanted ? got.has_value() : (!got || *got != *want)) {
          return "event " + std::to_string(i + 1) + ", " + key + ": expected " +
                 (absent_wanted ? "no value" : "'" + *want + "'") + ", got " +
                 (got ? "'" + *got + "'" : "nothing");
        }
      }
    }
  }
  return {};
}

}  // namespace

int testCommand(const CommonOptions& opts) {
  if (opts.args.empty()) {
    std::cerr << "usage: logship test TESTS.yaml [-c PIPELINE]\n";
    return 2;
  }
  const std::string& path = opts.args[0];
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    std::cerr << path << ":" << e.mark.line + 1 << ":" << e.mark.column + 1 << ": " << e.msg
              << "\n";
    return 1;
  }
  ConfigNode tests(root, std::make_shared<const std::string>(path));
  CommonOptions pipeline = opts;
  if (ConfigNode config = tests["config"]; config.defined()) {
    // Relative to the tests file, so a tests file travels with its pipeline.
    std::filesystem::path p = config.yaml().Scalar();
    if (p.is_relative()) p = std::filesystem::path(path).parent_path() / p;
    pipeline.config_path = p.string();
  }
  // Stateful transforms (detect) keep their state under data_dir: each run starts from an empty
  // scratch directory and leaves the pipeline's own alone.
  std::string scratch = (std::filesystem::temp_directory_path() / "logship-test-XXXXXX").string();
  if (::mkdtemp(scratch.data()) == nullptr) {
    std::cerr << "cannot create a scratch directory: " << std::strerror(errno) << "\n";
    return 1;
  }
  pipeline.data_dir = scratch;
  Registry registry;
  registerBuiltinComponents(registry);
  int passed = 0, failed = 0;
  for (const ConfigNode& test : tests["tests"].items()) {
    std::string name = test["name"].defined() ? test["name"].yaml().Scalar() : "unnamed";
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator(scratch, ignored)) {
      std::filesystem::remove_all(entry.path(), ignored);  // each test starts from nothing
    }
    std::string why = runTest(pipeline, registry, test);
    if (why.empty()) {
      std::cout << "ok   - " << name << "\n";
      ++passed;
    } else {
      std::cout << "FAIL - " << name << " (" << test.location().str() << "): " << why << "\n";
      ++failed;
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(scratch, ignored);
  if (passed + failed == 0) std::cout << "FAIL - " << path << " holds no tests\n", ++failed;
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed ? 1 : 0;
}

}  // namespace logship
