#include "agent/sources/opentelemetry/otlp_decoder.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/stubs/logging.h>

#include "agent/support/base64.h"
#include "agent/support/json_writer.h"

namespace logship {

namespace common = opentelemetry::proto::common::v1;
namespace logs = opentelemetry::proto::logs::v1;

namespace {

// Deeper key-value lists are kept as JSON text rather than recursed into.
constexpr int kMaxDepth = 16;

// A value as plain JSON: what a body or an array that is not a string becomes.
void appendValueJson(const common::AnyValue& v, std::string& out) {
  switch (v.value_case()) {
    case common::AnyValue::kStringValue:
      json::appendString(out, v.string_value());
      break;
    case common::AnyValue::kBoolValue:
      out.append(v.bool_value() ? "true" : "false");
      break;
    case common::AnyValue::kIntValue:
      json::appendInt(out, v.int_value());
      break;
    case common::AnyValue::kDoubleValue:
      json::appendDouble(out, v.double_value());
      break;
    case common::AnyValue::kArrayValue: {
      out.push_back('[');
      bool first = true;
      for (const common::AnyValue& item : v.array_value().values()) {
        if (!first) out.push_back(',');
        first = false;
        appendValueJson(item, out);
      }
      out.push_back(']');
      break;
    }
    case common::AnyValue::kKvlistValue: {
      out.push_back('{');
      bool first = true;
      for (const common::KeyValue& kv : v.kvlist_value().values()) {
        if (!first) out.push_back(',');
        first = false;
        json::appendString(out, kv.key());
        out.push_back(':');
        appendValueJson(kv.value(), out);
      }
      out.push_back('}');
      break;
    }
    case common::AnyValue::kBytesValue:
      json::appendString(out, base64Encode(v.bytes_value()));
      break;
    case common::AnyValue::VALUE_NOT_SET:
      out.append("null");
      break;
  }
}

int64_t recordTime(const logs::LogRecord& r, int64_t now_ns) {
  for (uint64_t t : {r.time_unix_nano(), r.observed_time_unix_nano()}) {
    if (t != 0 && t <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(t);
  }
  return now_ns;
}

}  // namespace

void OtlpDecoder::addValue(Batch& batch, Event& event, std::string& name,
                           const common::AnyValue& value, int depth) {
  Arena& arena = batch.arena();
  switch (value.value_case()) {
    case common::AnyValue::kStringValue:
      fields_.setMember(batch, event, name, FieldValue::string(arena.copy(value.string_value())));
      return;
    case common::AnyValue::kBoolValue:
      fields_.setMember(batch, event, name, FieldValue::boolean(value.bool_value()));
      return;
    case common::AnyValue::kIntValue:
      fields_.setMember(batch, event, name, FieldValue::integer(value.int_value()));
      return;
    case common::AnyValue::kDoubleValue:
      fields_.setMember(batch, event, name, FieldValue::real(value.double_value()));
      return;
    case common::AnyValue::kKvlistValue:
      if (depth < kMaxDepth) {
        size_t prefix = name.size();
        for (const common::KeyValue& kv : value.kvlist_value().values()) {
          name.resize(prefix);
          name.push_back('.');
          name.append(kv.key());
          addValue(batch, event, name, kv.value(), depth + 1);
        }
        name.resize(prefix);
        return;
      }
      break;
    case common::AnyValue::kBytesValue: {
      std::string hex = otlp::idHex(value.bytes_value(), value.bytes_value().size());
      fields_.setMember(batch, event, name, FieldValue::string(arena.copy(hex)));
      return;
    }
    case common::AnyValue::kArrayValue:
      break;
    case common::AnyValue::VALUE_NOT_SET:
      return;
  }
  text_.clear();
  appendValueJson(value, text_);
  fields_.setMember(batch, event, name, FieldValue::string(arena.copy(text_)));
}

void OtlpDecoder::addAttributes(
    Batch& batch, Event& event,
    const google::protobuf::RepeatedPtrField<common::KeyValue>& attributes) {
  for (const common::KeyValue& kv : attributes) {
    if (kv.key().empty()) continue;
    name_ = kv.key();
    addValue(batch, event, name_, kv.value(), 0);
  }
}

bool OtlpDecoder::decode(std::string_view body, OtlpEncoding encoding, int64_t now_ns, Batch& batch,
                         size_t* records, std::string* error) {
  *records = 0;
  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<otlp::ExportLogsServiceRequest>(&arena);
  if (encoding == OtlpEncoding::kJson) {
    if (!otlp::parseJson(body, request, error)) return false;
  } else {
    // What a client sent is no news for the agent's stderr (protobuf logs invalid UTF-8 there):
    // the refusal names it and the receiver counts it.
    google::protobuf::LogSilencer quiet;
    if (!request->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      *error = "not an OTLP ExportLogsServiceRequest (protobuf)";
      return false;
    }
  }
  Arena& strings = batch.arena();
  for (const logs::ResourceLogs& rl : request->resource_logs()) {
    for (const logs::ScopeLogs& sl : rl.scope_logs()) {
      for (const logs::LogRecord& r : sl.log_records()) {
        Event& event = batch.events().emplace_back();
        ++*records;
        event.timestamp_ns = recordTime(r, now_ns);
        if (r.body().value_case() == common::AnyValue::kStringValue) {
          event.message = strings.copy(r.body().string_value());
        } else if (r.has_body()) {
          text_.clear();
          appendValueJson(r.body(), text_);
          event.message = strings.copy(text_);
        }
        std::string_view level = otlp::levelName(r.severity_number(), r.severity_text());
        if (!level.empty()) event.severity = severityFromName(level);
        std::string trace = otlp::idHex(r.trace_id(), otlp::kTraceIdBytes);
        if (!trace.empty()) {
          batch.addField(event, otlp::kTraceIdField, FieldValue::string(strings.copy(trace)));
        }
        std::string span = otlp::idHex(r.span_id(), otlp::kSpanIdBytes);
        if (!span.empty()) {
          batch.addField(event, otlp::kSpanIdField, FieldValue::string(strings.copy(span)));
        }
        addAttributes(batch, event, rl.resource().attributes());
        if (!sl.scope().name().empty()) {
          batch.addField(event, otlp::kScopeNameField,
                         FieldValue::string(strings.copy(sl.scope().name())));
        }
        if (!sl.scope().version().empty()) {
          batch.addField(event, otlp::kScopeVersionField,
                         FieldValue::string(strings.copy(sl.scope().version())));
        }
        addAttributes(batch, event, sl.scope().attributes());
        addAttributes(batch, event, r.attributes());
      }
    }
  }
  return true;
}

}  // namespace logship
