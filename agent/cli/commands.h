#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/api/config.h"
#include "agent/topology/pipeline_config.h"

namespace logship {

class Registry;
class Topology;

// The embedded conf/default.yaml, used when no -c is given.
extern const char* const kDefaultConfigText;

struct CommonOptions {
  std::string config_path;  // empty: the embedded default
  std::vector<std::string> args;
  std::string address;     // admin server of a running agent
  std::string token_file;  // its Bearer token, instead of the config's admin.auth.token_file
  bool json = false;
  uint64_t limit = 0;  // tap: events to show (0: no limit)
  std::string when;    // tap: condition, as YAML
  std::string data_dir;  // test: a scratch directory instead of the pipeline's data_dir
};

// Loads the pipeline named by `opts` (or the embedded default), filling in the host name.
PipelineConfig loadConfig(const CommonOptions& opts, Diagnostics& diag);
void printDiagnostics(const Diagnostics& diag);
// Loads and builds the pipeline, printing every problem; nullptr when there was any.
std::unique_ptr<Topology> buildTopology(const CommonOptions& opts, const Registry& registry);

int runCommand(const CommonOptions& opts);
int validateCommand(const CommonOptions& opts);
int referenceCommand(const CommonOptions& opts);
int statusCommand(const CommonOptions& opts);
int archiveCommand(const CommonOptions& opts);
int reportCommand(const CommonOptions& opts);
int tapCommand(const CommonOptions& opts);
// `logship convert`: agent/cli/convert/convert_command.cc.
int convertCommand(const CommonOptions& opts);

// /tap's first line when the tapped component's events may not have passed a scrub_pii: a JSON
// object whose one key is this prefix's, so that NDJSON readers still parse it.
inline constexpr std::string_view kTapNoticePrefix = "{\"logship.tap.notice\":";
int testCommand(const CommonOptions& opts);

}  // namespace logship
