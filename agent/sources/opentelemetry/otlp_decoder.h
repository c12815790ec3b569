#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/api/batch.h"
#include "agent/api/config.h"
#include "agent/core/json_event_decoder.h"
#include "agent/support/otlp/otlp_logs.h"

namespace logship {

enum class OtlpEncoding { kProtobuf, kJson };

// Turns an OTLP ExportLogsServiceRequest into events, the inverse of the opentelemetry output:
// one event per LogRecord; the body is the message (a body that is not a string as its JSON
// text); the time, or the observed time when it is 0, or else the time of receipt, is
// `@timestamp`; the severity (number, else text) is `log.level`; trace and span ids are
// `trace.id` and `span.id` in hex; the scope's name and version are `otel.scope.name` and
// `otel.scope.version`; resource, scope and record attributes are fields, typed, nested key-value
// lists flattened to dotted names and arrays kept as JSON text. `tier`, `correlation_id` and
// `log.truncated` go back into the event itself.
class OtlpDecoder {
 public:
  explicit OtlpDecoder(const GlobalConfig& global) : fields_(global) {}

  // Appends the events of `body` to `batch`; `records` receives how many. On a body that is not
  // a request in `encoding` returns false with the reason, and the batch gains no event.
  bool decode(std::string_view body, OtlpEncoding encoding, int64_t now_ns, Batch& batch,
              size_t* records, std::string* error);

 private:
  void addValue(Batch& batch, Event& event, std::string& name,
                const opentelemetry::proto::common::v1::AnyValue& value, int depth);
  void addAttributes(
      Batch& batch, Event& event,
      const google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>&
          attributes);

  // Places each attribute as the JSON members of logship's own events are placed.
  JsonEventDecoder fields_;
  std::string name_;  // the dotted name of the attribute being added
  std::string text_;
};

}  // namespace logship
