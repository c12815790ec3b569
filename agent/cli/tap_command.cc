// `logship tap`: events leaving a component of the running agent, live.
#include <simdjson.h>

#include <iostream>

#include "agent/cli/admin_client.h"
#include "agent/cli/commands.h"

namespace logship {

namespace {

std::string noticeText(std::string_view line) {
  simdjson::dom::parser parser;
  std::string_view text;
  if (parser.parse(line.data(), line.size())["logship.tap.notice"].get(text)) {
    return std::string(line);
  }
  return std::string(text);
}

}  // namespace

int tapCommand(const CommonOptions& opts) {
  if (opts.args.empty()) {
    std::cerr << "usage: logship tap COMPONENT [--limit N] [--when CONDITION] [-c PATH] "
                 "[--address HOST:PORT] [--token-file FILE]\n";
    return 2;
  }
  AdminEndpoint endpoint;
  if (!adminEndpointFor(opts, endpoint)) return 1;
  const std::string& component = opts.args[0];
  uint64_t want = opts.limit;
  uint64_t seen = 0;
  bool warned = false;
  // Long polls of about a second each, until the limit (0: until interrupted).
  while (want == 0 || seen < want) {
    std::string target = "/tap?component=" + urlEncode(component) +
                         "&limit=" + std::to_string(want ? want - seen : 1000) + "&timeout_ms=1000";
    if (!opts.when.empty()) target += "&when=" + urlEncode(opts.when);
    AdminReply reply;
    try {
      reply = adminRequest(endpoint, "GET", target);
    } catch (const std::exception& e) {
      std::cerr << "logship tap: no agent answers on " << endpoint.address << ": " << e.what()
                << "\n";
      return 1;
    }
    if (reply.status != 200) {
      std::cerr << "logship tap: " << reply.body;
      return 1;
    }
    for (size_t at = 0; at < reply.body.size();) {
      size_t nl = reply.body.find('\n', at);
      if (nl == std::string::npos) break;
      const std::string_view line = std::string_view(reply.body).substr(at, nl - at + 1);
      at = nl + 1;
      // The agent's warning that these events have not been scrubbed: once, on stderr, so that
      // stdout stays the events alone.
      if (line.starts_with(kTapNoticePrefix)) {
        if (!warned) std::cerr << "logship tap: " << noticeText(line) << "\n";
        warned = true;
        continue;
      }
      std::cout << line;
      ++seen;
    }
    std::cout.flush();
  }
  return 0;
}

}  // namespace logship
