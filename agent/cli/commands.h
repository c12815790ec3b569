#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/api/config.h"
#include "agent/topology/pipeline_config.h"

namespace logship {

// The embedded conf/default.yaml, used when no -c is given.
extern const char* const kDefaultConfigText;

struct CommonOptions {
  std::string config_path;  // empty: the embedded default
  std::vector<std::string> args;
  std::string address;  // admin server of a running agent
  bool json = false;
};

// Loads the pipeline named by `opts` (or the embedded default), filling in the host name.
PipelineConfig loadConfig(const CommonOptions& opts, Diagnostics& diag);
void printDiagnostics(const Diagnostics& diag);

int runCommand(const CommonOptions& opts);
int validateCommand(const CommonOptions& opts);
int referenceCommand(const CommonOptions& opts);
int statusCommand(const CommonOptions& opts);
int archiveCommand(const CommonOptions& opts);

}  // namespace logship
