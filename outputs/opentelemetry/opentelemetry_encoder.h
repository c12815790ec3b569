#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/config.h"
#include "agent/support/otlp/otlp_logs.h"
#include "outputs/common/http_sink.h"

namespace logship {

struct OpenTelemetryEncoderOptions {
  // Fields that describe where events come from rather than the events: the LogRecords of events
  // that agree on them share one Resource.
  std::vector<std::string> resource_fields;
  bool json = false;  // OTLP/HTTP JSON instead of protobuf
};

// Turns events into one ExportLogsServiceRequest: the message is the body, `@timestamp` the time
// (and observed time), `log.level` the severity (number and text), `trace.id` / `span.id` (hex)
// the trace context, `otel.scope.name` / `otel.scope.version` the instrumentation scope, the
// resource fields the Resource and every other field, typed, an attribute (with `tier`,
// `correlation_id` and `log.truncated`). Text is made valid UTF-8, as protobuf strings must be.
class OpenTelemetryEncoder {
 public:
  OpenTelemetryEncoder(const GlobalConfig& global, OpenTelemetryEncoderOptions options);

  // Fills `request`, which is empty.
  void build(std::span<const EventRef> events, otlp::ExportLogsServiceRequest& request);
  void encode(std::span<const EventRef> events, std::string& out);

  std::string_view contentType() const {
    return options_.json ? "application/json" : "application/x-protobuf";
  }

 private:
  bool isResourceField(std::string_view key) const;

  OpenTelemetryEncoderOptions options_;
  std::vector<std::string> tier_names_;
  std::string key_scratch_;
  std::string text_scratch_;
};

}  // namespace logship
