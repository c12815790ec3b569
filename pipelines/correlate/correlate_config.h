#pragma once

#include <map>
#include <string>
#include <vector>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct CorrelateConfig {
  std::vector<std::string> fields = {
      "correlation_id", "traceparent",  "trace.id",   "trace_id",   "X-Request-ID",
      "x-request-id",   "x_request_id", "request_id", "request.id", "http.request.id"};
  std::vector<std::string> trace_fields = {"trace_id", "traceId"};
  std::vector<std::string> span_fields = {"span_id", "spanId"};
  bool traceparent = true;
  std::vector<std::string> patterns;
  std::map<std::string, std::string> session_processes = {{"sshd", "ssh-"}};
  bool generate = true;
  bool overwrite = false;

  static const OptionTable<CorrelateConfig>& options();
};

void registerCorrelate(Registry& registry);

}  // namespace logship
