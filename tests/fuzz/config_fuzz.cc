// Arbitrary bytes as a pipeline file, checked the way `logship validate` checks one: the loader,
// then Topology::build with every built-in component, so each option table and constructor sees
// hostile values. Nothing is started. Errors are expected; crashes, hangs and leaks are not.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "agent/cli/builtin_components.h"
#include "agent/topology/pipeline_config.h"
#include "agent/topology/topology.h"

namespace {

const logship::Registry& registry() {
  static const logship::Registry r = [] {
    logship::Registry built;
    logship::registerBuiltinComponents(built);
    return built;
  }();
  return r;
}

// Building reads the key files a config names (scrub_pii, archive) and librdkafka loads plugins
// while its options are set. A device or FIFO there would block or never end, a plugin would run
// foreign code: the agent does what it is told, so such inputs are not worth fuzzing.
bool touchesTheSystem(const logship::PipelineConfig& config) {
  for (const logship::ComponentConfig& c : config.components) {
    if (!c.node.isMap()) continue;
    for (auto& [key, value] : c.node.entries()) {  // every entry: YAML lets a key repeat
      std::string name = key.yaml().Scalar();
      if (name == "key_file" && value.isScalar()) {
        logship::Diagnostics ignored;
        auto path = value.scalar(ignored);
        if (!path) continue;
        std::error_code ec;
        auto type = std::filesystem::status(*path, ec).type();
        bool harmless = type == std::filesystem::file_type::not_found ||
                        type == std::filesystem::file_type::directory ||
                        (type == std::filesystem::file_type::regular &&
                         std::filesystem::file_size(*path, ec) < (1u << 20));
        if (!harmless) return true;
      } else if (name == "librdkafka" && value.isMap()) {
        for (auto& [option, ignored] : value.entries()) {
          if (option.yaml().Scalar().starts_with("plugin")) return true;
        }
      }
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  logship::Diagnostics diag;
  logship::PipelineConfig config = logship::parsePipelineConfig(text, "fuzz.yaml", diag);
  if (touchesTheSystem(config)) return -1;  // kept out of the corpus
  config.global.host_name = "fuzz-host";
  // Built even after load errors, as `logship validate` does, so partial configs are covered too.
  size_t load_errors = diag.errors().size();
  // Errors point into the file, or into a file it includes (regular files only: the loader
  // refuses devices and FIFOs).
  std::vector<std::string> files = {"fuzz.yaml"};
  files.insert(files.end(), config.files.begin(), config.files.end());
  auto topology = logship::Topology::build(std::move(config), registry(), diag);
  if (topology && !diag.ok()) std::abort();  // a topology is only returned without errors
  if (!topology && diag.errors().size() == 0) std::abort();  // a refusal always says why
  if (diag.errors().size() < load_errors) std::abort();
  for (const std::string& e : diag.errors()) {
    bool located = false;
    for (const std::string& f : files) located = located || e.starts_with(f + ":");
    if (!located) std::abort();  // every error points into a file that was read
  }
  return 0;
}
