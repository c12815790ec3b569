// `logship status`: the state of a running agent, read from its admin server.
#include <simdjson.h>

#include <cstdio>
#include <iostream>

#include "agent/cli/admin_client.h"
#include "agent/cli/commands.h"

namespace logship {

namespace {

std::string human(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1u << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / 1073741824.0);
  } else if (bytes >= (1u << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  } else if (bytes >= 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

}  // namespace

int statusCommand(const CommonOptions& opts) {
  AdminEndpoint endpoint;
  if (!adminEndpointFor(opts, endpoint)) return 1;
  AdminReply reply;
  try {
    reply = adminRequest(endpoint, "GET", "/status");
  } catch (const std::exception& e) {
    std::cerr << "logship status: no agent answers on " << endpoint.address << ": " << e.what()
              << "\n";
    return 1;
  }
  if (reply.status != 200) {
    std::cerr << "logship status: " << reply.body;
    return 1;
  }
  const std::string& body = reply.body;
  if (opts.json) {
    std::cout << body;
    return 0;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root)) {
    std::cerr << "logship status: the agent answered something that is not JSON\n";
    return 1;
  }
  std::cout << "sources\n";
  for (simdjson::dom::element s : root["sources"].get_array()) {
    std::cout << "  " << std::string_view(s["id"]) << " (" << std::string_view(s["type"]) << ")\n";
    simdjson::dom::array files;
    if (!s["state"]["files"].get(files)) {
      for (simdjson::dom::element f : files) {
        std::cout << "    " << std::string_view(f["path"]) << "  read "
                  << uint64_t(f["read_offset"]) << "  acknowledged "
                  << uint64_t(f["acknowledged_offset"]) << "  lag "
                  << human(uint64_t(f["lag_bytes"])) << "\n";
      }
    } else {
      std::cout << "    " << simdjson::to_string(s["state"]) << "\n";
    }
  }
  std::cout << "outputs\n";
  for (simdjson::dom::element o : root["outputs"].get_array()) {
    std::cout << "  " << std::string_view(o["id"]) << " (" << std::string_view(o["type"]) << ")  "
              << (bool(o["healthy"]) ? "healthy" : "FAILING") << "  queued "
              << human(uint64_t(o["queue_bytes"]));
    uint64_t buffered = 0;
    if (!o["buffer_bytes"].get(buffered)) std::cout << "  on disk " << human(buffered);
    std::string_view last_error;
    if (!o["last_error"].get(last_error) && !last_error.empty()) {
      std::cout << "\n    last error: " << last_error;
    }
    std::cout << "\n";
  }
  return 0;
}

}  // namespace logship
