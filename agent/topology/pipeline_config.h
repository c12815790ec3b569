#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct InputRef {
  std::string name;  // "<id>" or "<id>.<port>"
  ConfigNode node;
};

struct ComponentConfig {
  std::string id;
  ComponentKind kind;
  std::string type;
  ConfigNode node;
  ConfigNode id_node;
  std::vector<InputRef> inputs;
};

// A whole pipeline as read from one file or a directory of *.yaml files, before building.
struct PipelineConfig {
  GlobalConfig global;
  size_t workers = 0;  // 0: usableCpus()
  Duration shutdown_timeout = std::chrono::seconds(10);
  std::vector<ComponentConfig> components;
  std::vector<std::string> files;
};

// Reads `path` (a file or a directory whose *.yaml and *.yml files merge into one graph).
// Every problem goes to `diag` with file:line:column.
PipelineConfig loadPipelineConfig(const std::string& path, Diagnostics& diag);
// Reads config text (the embedded default), naming it `name` in errors.
PipelineConfig parsePipelineConfig(const std::string& text, const std::string& name,
                                   Diagnostics& diag);

}  // namespace logship
