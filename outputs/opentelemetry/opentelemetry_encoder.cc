#include "outputs/opentelemetry/opentelemetry_encoder.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <unordered_map>

#include "agent/support/utf8.h"
#include "outputs/common/template.h"

namespace logship {

namespace common = opentelemetry::proto::common::v1;
namespace logs = opentelemetry::proto::logs::v1;

namespace {

std::string validUtf8(std::string_view text) {
  std::string out;
  appendValidUtf8(out, text);
  return out;
}

void setValue(const FieldValue& value, common::AnyValue* out) {
  switch (value.kind) {
    case FieldValue::Kind::kString:
      out->set_string_value(validUtf8(value.string_value));
      break;
    case FieldValue::Kind::kInt:
      out->set_int_value(value.int_value);
      break;
    case FieldValue::Kind::kDouble:
      out->set_double_value(value.double_value);
      break;
    case FieldValue::Kind::kBool:
      out->set_bool_value(value.bool_value);
      break;
  }
}

void addAttribute(google::protobuf::RepeatedPtrField<common::KeyValue>* attributes,
                  std::string_view key, const FieldValue& value) {
  common::KeyValue* kv = attributes->Add();
  kv->set_key(validUtf8(key));
  setValue(value, kv->mutable_value());
}

// The key a field's value adds to a grouping key: its kind and text, after its length.
void appendKeyPart(const FieldValue* value, std::string& key) {
  if (value == nullptr) {
    key.push_back('-');
    return;
  }
  char kind = static_cast<char>('0' + static_cast<int>(value->kind));
  std::string_view bytes;
  switch (value->kind) {
    case FieldValue::Kind::kString:
      bytes = value->string_value;
      break;
    case FieldValue::Kind::kInt:
      bytes = {reinterpret_cast<const char*>(&value->int_value), sizeof value->int_value};
      break;
    case FieldValue::Kind::kDouble:
      bytes = {reinterpret_cast<const char*>(&value->double_value), sizeof value->double_value};
      break;
    case FieldValue::Kind::kBool:
      bytes = value->bool_value ? "1" : "0";
      break;
  }
  key.push_back(kind);
  key.append(std::to_string(bytes.size()));
  key.push_back(':');
  key.append(bytes);
}

}  // namespace

OpenTelemetryEncoder::OpenTelemetryEncoder(const GlobalConfig& global,
                                           OpenTelemetryEncoderOptions options)
    : options_(std::move(options)) {
  for (const TierSpec& t : global.tiers) tier_names_.push_back(t.name);
}

bool OpenTelemetryEncoder::isResourceField(std::string_view key) const {
  return std::find(options_.resource_fields.begin(), options_.resource_fields.end(), key) !=
         options_.resource_fields.end();
}

void OpenTelemetryEncoder::build(std::span<const EventRef> events,
                                 otlp::ExportLogsServiceRequest& request) {
  std::unordered_map<std::string, logs::ResourceLogs*> resources;
  std::unordered_map<std::string, logs::ScopeLogs*> scopes;
  std::string id_bytes;
  for (const EventRef& ref : events) {
    const Batch& batch = ref.batch();
    const Event& event = ref.event();
    // The event's fields, then those of its batch it does not have itself.
    auto lookup = [&](std::string_view key) -> const FieldValue* {
      const Field* f = batch.findField(event, key);
      return f ? &f->value : nullptr;
    };
    auto each = [&](auto&& visit) {
      for (uint16_t i = 0; i < event.field_count; ++i) visit(event.fields[i]);
      for (const Field& f : batch.sharedFields()) {
        if (event.findField(f.key) == nullptr) visit(f);
      }
    };

    key_scratch_.clear();
    for (const std::string& name : options_.resource_fields)
      appendKeyPart(lookup(name), key_scratch_);
    logs::ResourceLogs*& resource = resources[key_scratch_];
    if (resource == nullptr) {
      resource = request.add_resource_logs();
      auto* attributes = resource->mutable_resource()->mutable_attributes();
      for (const std::string& name : options_.resource_fields) {
        if (const FieldValue* value = lookup(name)) addAttribute(attributes, name, *value);
      }
    }
    const FieldValue* scope_name = lookup(otlp::kScopeNameField);
    const FieldValue* scope_version = lookup(otlp::kScopeVersionField);
    key_scratch_.push_back('|');
    appendKeyPart(scope_name, key_scratch_);
    appendKeyPart(scope_version, key_scratch_);
    logs::ScopeLogs*& scope = scopes[key_scratch_];
    if (scope == nullptr) {
      scope = resource->add_scope_logs();
      auto text = [&](const FieldValue* value) {
        text_scratch_.clear();
        if (value != nullptr) appendFieldText(*value, text_scratch_);
        return validUtf8(text_scratch_);
      };
      if (scope_name || scope_version) {
        scope->mutable_scope()->set_name(text(scope_name));
        scope->mutable_scope()->set_version(text(scope_version));
      }
    }

    logs::LogRecord* record = scope->add_log_records();
    if (event.timestamp_ns > 0) {
      record->set_time_unix_nano(static_cast<uint64_t>(event.timestamp_ns));
      record->set_observed_time_unix_nano(static_cast<uint64_t>(event.timestamp_ns));
    }
    if (event.severity != Severity::kUnset) {
      std::string_view level = toString(event.severity);
      record->set_severity_number(static_cast<logs::SeverityNumber>(otlp::severityNumber(level)));
      record->set_severity_text(std::string(level));
    }
    if (!event.message.empty()) record->mutable_body()->set_string_value(validUtf8(event.message));
    auto* attributes = record->mutable_attributes();
    if (event.tier < tier_names_.size()) {
      addAttribute(attributes, "tier", FieldValue::string(tier_names_[event.tier]));
    }
    if (!event.correlation_id.empty()) {
      addAttribute(attributes, "correlation_id", FieldValue::string(event.correlation_id));
    }
    if (event.flags & Event::kTruncated) {
      addAttribute(attributes, "log.truncated", FieldValue::boolean(true));
    }
    each([&](const Field& f) {
      if (f.key == otlp::kTraceIdField || f.key == otlp::kSpanIdField) {
        // An id that is not hex of the right size stays an attribute, so nothing is lost.
        bool trace = f.key == otlp::kTraceIdField;
        if (f.value.kind == FieldValue::Kind::kString &&
            otlp::parseId(f.value.string_value, trace ? otlp::kTraceIdBytes : otlp::kSpanIdBytes,
                          &id_bytes)) {
          (trace ? record->mutable_trace_id() : record->mutable_span_id())->assign(id_bytes);
          return;
        }
      } else if (f.key == otlp::kScopeNameField || f.key == otlp::kScopeVersionField ||
                 isResourceField(f.key)) {
        return;
      }
      addAttribute(attributes, f.key, f.value);
    });
  }
}

void OpenTelemetryEncoder::encode(std::span<const EventRef> events, std::string& out) {
  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<otlp::ExportLogsServiceRequest>(&arena);
  build(events, *request);
  if (options_.json) {
    otlp::appendJson(*request, out);
  } else {
    request->AppendToString(&out);
  }
}

}  // namespace logship
