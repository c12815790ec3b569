#include "agent/cli/commands.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "agent/cli/builtin_components.h"
#include "agent/topology/topology.h"

namespace logship {

PipelineConfig loadConfig(const CommonOptions& opts, Diagnostics& diag) {
  PipelineConfig config =
      opts.config_path.empty()
          ? parsePipelineConfig(kDefaultConfigText, "<embedded conf/default.yaml>", diag)
          : loadPipelineConfig(opts.config_path, diag);
  if (!opts.data_dir.empty()) config.global.data_dir = opts.data_dir;
  if (const char* name = std::getenv("LOGSHIP_HOST_NAME"); name && *name) {
    config.global.host_name = name;
  } else {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    config.global.host_name = host;
  }
  return config;
}

void printDiagnostics(const Diagnostics& diag) {
  for (const std::string& w : diag.warnings()) std::cerr << "warning: " << w << "\n";
  for (const std::string& e : diag.errors()) std::cerr << e << "\n";
}

std::unique_ptr<Topology> buildTopology(const CommonOptions& opts, const Registry& registry) {
  Diagnostics diag;
  PipelineConfig config = loadConfig(opts, diag);
  // Built even after load errors, so one run reports every problem.
  std::unique_ptr<Topology> topology = Topology::build(std::move(config), registry, diag);
  printDiagnostics(diag);
  if (!diag.ok()) {
    std::cerr << diag.errors().size() << (diag.errors().size() == 1 ? " error" : " errors")
              << " in the configuration\n";
    return nullptr;
  }
  return topology;
}

int validateCommand(const CommonOptions& opts) {
  Registry registry;
  registerBuiltinComponents(registry);
  auto topology = buildTopology(opts, registry);
  if (!topology) return 1;
  std::cout << "configuration is valid: " << topology->config().components.size()
            << " components\n";
  return 0;
}

int referenceCommand(const CommonOptions&) {
  Registry registry;
  registerBuiltinComponents(registry);
  for (ComponentKind kind :
       {ComponentKind::kSource, ComponentKind::kTransform, ComponentKind::kOutput}) {
    std::cout << "## " << toString(kind) << "s\n\n";
    for (const ComponentFactory* f : registry.all()) {
      if (f->kind != kind) continue;
      std::cout << "### `" << f->type << "`\n\n" << f->summary << "\n\n";
      if (f->options.empty()) {
        std::cout << "No options.\n\n";
        continue;
      }
      std::cout << "| option | type | default | description |\n|---|---|---|---|\n";
      // A '|' inside a cell (the choices "a | b") must be escaped, or it splits the cell.
      auto cell = [](std::string_view text) {
        std::string out;
        for (char c : text) {
          if (c == '|') out.push_back('\\');
          out.push_back(c);
        }
        return out;
      };
      for (const OptionDoc& o : f->options) {
        std::cout << "| `" << o.key << "` | " << cell(o.type) << " | "
                  << cell(o.required ? "required" : o.default_value) << " | " << cell(o.doc)
                  << " |\n";
      }
      std::cout << "\n";
    }
  }
  return 0;
}

}  // namespace logship
