// `logship tap`: events leaving a component of the running agent, live.
#include <iostream>

#include "agent/cli/admin_client.h"
#include "agent/cli/commands.h"

namespace logship {

int tapCommand(const CommonOptions& opts) {
  if (opts.args.empty()) {
    std::cerr << "usage: logship tap COMPONENT [--limit N] [--when CONDITION] [--address HOST:PORT]\n";
    return 2;
  }
  std::string address = opts.address;
  if (address.empty()) {
    Diagnostics diag;
    PipelineConfig config = loadConfig(opts, diag);
    if (!diag.ok()) {
      printDiagnostics(diag);
      return 1;
    }
    address = config.global.admin_address;
  }
  const std::string& component = opts.args[0];
  uint64_t want = opts.limit;
  uint64_t seen = 0;
  // Long polls of about a second each, until the limit (0: until interrupted).
  while (want == 0 || seen < want) {
    std::string target = "/tap?component=" + urlEncode(component) +
                         "&limit=" + std::to_string(want ? want - seen : 1000) +
                         "&timeout_ms=1000";
    if (!opts.when.empty()) target += "&when=" + urlEncode(opts.when);
    AdminReply reply;
    try {
      reply = adminGet(address, target);
    } catch (const std::exception& e) {
      std::cerr << "logship tap: no agent answers on " << address << ": " << e.what() << "\n";
      return 1;
    }
    if (reply.status != 200) {
      std::cerr << "logship tap: " << reply.body;
      return 1;
    }
    for (size_t at = 0; at < reply.body.size();) {
      size_t nl = reply.body.find('\n', at);
      if (nl == std::string::npos) break;
      std::cout << std::string_view(reply.body).substr(at, nl - at + 1);
      ++seen;
      at = nl + 1;
    }
    std::cout.flush();
  }
  return 0;
}

}  // namespace logship
