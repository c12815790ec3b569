#include "agent/support/otlp/otlp_logs.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>

#include "agent/support/base64.h"
#include "agent/support/digest.h"
#include "agent/support/json_writer.h"

namespace logship::otlp {

namespace common = opentelemetry::proto::common::v1;
namespace logs = opentelemetry::proto::logs::v1;

namespace {

struct Level {
  std::string_view name;
  int number;
};
constexpr std::array<Level, 6> kLevels = {
    {{"debug", 5}, {"info", 9}, {"low", 10}, {"medium", 13}, {"high", 17}, {"critical", 21}}};

// OpenTelemetry's short names, each naming the first number of its range of four.
constexpr std::array<Level, 6> kShortNames = {
    {{"trace", 1}, {"debug", 5}, {"info", 9}, {"warn", 13}, {"error", 17}, {"fatal", 21}}};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsLower(std::string_view text, std::string_view lower_name) {
  if (text.size() != lower_name.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (lower(text[i]) != lower_name[i]) return false;
  }
  return true;
}

int numberFromText(std::string_view text) {
  // "WARN", "warn3": a short name with an optional 2..4 suffix.
  int suffix = 1;
  if (!text.empty() && text.back() >= '2' && text.back() <= '4') {
    suffix = text.back() - '0';
    text.remove_suffix(1);
  }
  for (const Level& l : kShortNames) {
    if (equalsLower(text, l.name)) return l.number + suffix - 1;
  }
  return 0;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// --- JSON writing ---------------------------------------------------------------------------

void appendKey(std::string& out, std::string_view key, bool& first) {
  if (!first) out.push_back(',');
  first = false;
  out.push_back('"');
  out.append(key);
  out.append("\":");
}

void appendUint64String(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.push_back('"');
  out.append(buf, end);
  out.push_back('"');
}

void appendKeyValues(std::string& out, const google::protobuf::RepeatedPtrField<common::KeyValue>&);

void appendAnyValue(std::string& out, const common::AnyValue& v) {
  out.push_back('{');
  switch (v.value_case()) {
    case common::AnyValue::kStringValue:
      out.append("\"stringValue\":");
      json::appendString(out, v.string_value());
      break;
    case common::AnyValue::kBoolValue:
      out.append(v.bool_value() ? "\"boolValue\":true" : "\"boolValue\":false");
      break;
    case common::AnyValue::kIntValue:
      out.append("\"intValue\":\"");
      json::appendInt(out, v.int_value());
      out.push_back('"');
      break;
    case common::AnyValue::kDoubleValue:
      out.append("\"doubleValue\":");
      // proto3 JSON spells the values JSON has no numbers for.
      if (std::isnan(v.double_value())) {
        out.append("\"NaN\"");
      } else if (std::isinf(v.double_value())) {
        out.append(v.double_value() > 0 ? "\"Infinity\"" : "\"-Infinity\"");
      } else {
        json::appendDouble(out, v.double_value());
      }
      break;
    case common::AnyValue::kArrayValue: {
      out.append("\"arrayValue\":{\"values\":[");
      bool first = true;
      for (const common::AnyValue& item : v.array_value().values()) {
        if (!first) out.push_back(',');
        first = false;
        appendAnyValue(out, item);
      }
      out.append("]}");
      break;
    }
    case common::AnyValue::kKvlistValue:
      out.append("\"kvlistValue\":{\"values\":");
      appendKeyValues(out, v.kvlist_value().values());
      out.push_back('}');
      break;
    case common::AnyValue::kBytesValue:
      out.append("\"bytesValue\":");
      json::appendString(out, base64Encode(v.bytes_value()));
      break;
    case common::AnyValue::VALUE_NOT_SET:
      break;
  }
  out.push_back('}');
}

void appendKeyValues(std::string& out,
                     const google::protobuf::RepeatedPtrField<common::KeyValue>& values) {
  out.push_back('[');
  bool first = true;
  for (const common::KeyValue& kv : values) {
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"key\":");
    json::appendString(out, kv.key());
    out.append(",\"value\":");
    appendAnyValue(out, kv.value());
    out.push_back('}');
  }
  out.push_back(']');
}

void appendAttributes(std::string& out,
                      const google::protobuf::RepeatedPtrField<common::KeyValue>& attributes,
                      uint32_t dropped, bool& first) {
  if (!attributes.empty()) {
    appendKey(out, "attributes", first);
    appendKeyValues(out, attributes);
  }
  if (dropped != 0) {
    appendKey(out, "droppedAttributesCount", first);
    json::appendInt(out, dropped);
  }
}

void appendLogRecord(std::string& out, const logs::LogRecord& r) {
  out.push_back('{');
  bool first = true;
  if (r.time_unix_nano() != 0) {
    appendKey(out, "timeUnixNano", first);
    appendUint64String(out, r.time_unix_nano());
  }
  if (r.observed_time_unix_nano() != 0) {
    appendKey(out, "observedTimeUnixNano", first);
    appendUint64String(out, r.observed_time_unix_nano());
  }
  if (r.severity_number() != 0) {
    appendKey(out, "severityNumber", first);
    json::appendInt(out, r.severity_number());
  }
  if (!r.severity_text().empty()) {
    appendKey(out, "severityText", first);
    json::appendString(out, r.severity_text());
  }
  if (r.has_body()) {
    appendKey(out, "body", first);
    appendAnyValue(out, r.body());
  }
  appendAttributes(out, r.attributes(), r.dropped_attributes_count(), first);
  if (r.flags() != 0) {
    appendKey(out, "flags", first);
    json::appendInt(out, r.flags());
  }
  if (!r.trace_id().empty()) {
    appendKey(out, "traceId", first);
    json::appendString(out, toHex(reinterpret_cast<const unsigned char*>(r.trace_id().data()),
                                  r.trace_id().size()));
  }
  if (!r.span_id().empty()) {
    appendKey(out, "spanId", first);
    json::appendString(
        out, toHex(reinterpret_cast<const unsigned char*>(r.span_id().data()), r.span_id().size()));
  }
  if (!r.event_name().empty()) {
    appendKey(out, "eventName", first);
    json::appendString(out, r.event_name());
  }
  out.push_back('}');
}

// --- JSON reading ---------------------------------------------------------------------------

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

class Reader {
 public:
  explicit Reader(std::string* error) : error_(error) {}

  bool fail(std::string what) {
    *error_ = std::move(what);
    return false;
  }

  // The member `camel` (or its original name `snake`) of `o`; false when absent or null.
  static bool member(object o, std::string_view camel, std::string_view snake, element* out) {
    for (auto [key, value] : o) {
      if ((key == camel || key == snake) && !value.is_null()) {
        *out = value;
        return true;
      }
    }
    return false;
  }

  bool objectOf(element e, std::string_view what, object* out) {
    if (e.get_object().get(*out)) return fail(std::string(what) + " is not an object");
    return true;
  }
  bool arrayOf(element e, std::string_view what, array* out) {
    if (e.get_array().get(*out)) return fail(std::string(what) + " is not an array");
    return true;
  }
  bool string(element e, std::string_view what, std::string_view* out) {
    if (e.get_string().get(*out)) return fail(std::string(what) + " is not a string");
    return true;
  }

  // 64-bit integers come as strings in OTLP/JSON; numbers are accepted too.
  bool uint64(element e, std::string_view what, uint64_t* out) {
    std::string_view text;
    if (!e.get_string().get(text)) {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
      if (ec == std::errc() && end == text.data() + text.size()) return true;
    } else if (!e.get_uint64().get(*out)) {
      return true;
    }
    return fail(std::string(what) + " is not an unsigned integer");
  }
  bool int64(element e, std::string_view what, int64_t* out) {
    std::string_view text;
    if (!e.get_string().get(text)) {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
      if (ec == std::errc() && end == text.data() + text.size()) return true;
    } else if (!e.get_int64().get(*out)) {
      return true;
    }
    return fail(std::string(what) + " is not an integer");
  }
  bool uint32(element e, std::string_view what, uint32_t* out) {
    uint64_t v;
    if (!uint64(e, what, &v)) return false;
    if (v > UINT32_MAX) return fail(std::string(what) + " is out of range");
    *out = static_cast<uint32_t>(v);
    return true;
  }

  bool severity(element e, logs::SeverityNumber* out) {
    std::string_view name;
    if (!e.get_string().get(name)) {
      // Enums may be given by name: SEVERITY_NUMBER_WARN.
      if (logs::SeverityNumber_Parse(std::string(name), out)) return true;
    }
    int64_t v;
    if (e.get_int64().get(v) || v < 0 || v > 24) {
      return fail("severityNumber is not a SeverityNumber");
    }
    *out = static_cast<logs::SeverityNumber>(v);
    return true;
  }

  bool id(element e, std::string_view what, std::string* out) {
    std::string_view hex;
    if (!string(e, what, &hex)) return false;
    if (hex.empty()) return true;
    if (hex.size() % 2 != 0) return fail(std::string(what) + " is not hex");
    out->resize(hex.size() / 2);
    for (size_t i = 0; i < out->size(); ++i) {
      int hi = hexValue(hex[2 * i]);
      int lo = hexValue(hex[2 * i + 1]);
      if (hi < 0 || lo < 0) return fail(std::string(what) + " is not hex");
      (*out)[i] = static_cast<char>(hi << 4 | lo);
    }
    return true;
  }

  bool anyValue(element e, common::AnyValue* out, int depth) {
    if (depth > kMaxDepth) return fail("values nested too deeply");
    object o;
    if (!objectOf(e, "a value", &o)) return false;
    element v;
    if (member(o, "stringValue", "string_value", &v)) {
      std::string_view s;
      if (!string(v, "stringValue", &s)) return false;
      out->set_string_value(std::string(s));
    } else if (member(o, "boolValue", "bool_value", &v)) {
      bool b;
      if (v.get_bool().get(b)) return fail("boolValue is not a boolean");
      out->set_bool_value(b);
    } else if (member(o, "intValue", "int_value", &v)) {
      int64_t i;
      if (!int64(v, "intValue", &i)) return false;
      out->set_int_value(i);
    } else if (member(o, "doubleValue", "double_value", &v)) {
      double d;
      std::string_view s;
      if (!v.get_double().get(d)) {
        out->set_double_value(d);
      } else if (!v.get_string().get(s) && (s == "NaN" || s == "Infinity" || s == "-Infinity")) {
        out->set_double_value(s == "NaN" ? std::nan("") : s == "Infinity" ? HUGE_VAL : -HUGE_VAL);
      } else {
        return fail("doubleValue is not a number");
      }
    } else if (member(o, "arrayValue", "array_value", &v)) {
      object inner;
      if (!objectOf(v, "arrayValue", &inner)) return false;
      common::ArrayValue* values = out->mutable_array_value();
      element list;
      if (member(inner, "values", "values", &list)) {
        array items;
        if (!arrayOf(list, "arrayValue.values", &items)) return false;
        for (element item : items) {
          if (!anyValue(item, values->add_values(), depth + 1)) return false;
        }
      }
    } else if (member(o, "kvlistValue", "kvlist_value", &v)) {
      object inner;
      if (!objectOf(v, "kvlistValue", &inner)) return false;
      common::KeyValueList* values = out->mutable_kvlist_value();
      element list;
      if (member(inner, "values", "values", &list) &&
          !keyValues(list, values->mutable_values(), depth + 1)) {
        return false;
      }
    } else if (member(o, "bytesValue", "bytes_value", &v)) {
      std::string_view text;
      if (!string(v, "bytesValue", &text)) return false;
      std::optional<std::string> bytes = base64Decode(text);
      if (!bytes) return fail("bytesValue is not base64");
      out->set_bytes_value(std::move(*bytes));
    }
    return true;
  }

  bool keyValues(element e, google::protobuf::RepeatedPtrField<common::KeyValue>* out, int depth) {
    array items;
    if (!arrayOf(e, "attributes", &items)) return false;
    for (element item : items) {
      object o;
      if (!objectOf(item, "an attribute", &o)) return false;
      common::KeyValue* kv = out->Add();
      element v;
      std::string_view key;
      if (member(o, "key", "key", &v)) {
        if (!string(v, "key", &key)) return false;
        kv->set_key(std::string(key));
      }
      if (member(o, "value", "value", &v) && !anyValue(v, kv->mutable_value(), depth)) {
        return false;
      }
    }
    return true;
  }

  bool attributes(object o, google::protobuf::RepeatedPtrField<common::KeyValue>* attributes,
                  uint32_t* dropped) {
    element v;
    if (member(o, "attributes", "attributes", &v) && !keyValues(v, attributes, 0)) return false;
    if (member(o, "droppedAttributesCount", "dropped_attributes_count", &v) &&
        !uint32(v, "droppedAttributesCount", dropped)) {
      return false;
    }
    return true;
  }

  bool logRecord(element e, logs::LogRecord* r) {
    object o;
    if (!objectOf(e, "a log record", &o)) return false;
    element v;
    uint64_t u;
    if (member(o, "timeUnixNano", "time_unix_nano", &v)) {
      if (!uint64(v, "timeUnixNano", &u)) return false;
      r->set_time_unix_nano(u);
    }
    if (member(o, "observedTimeUnixNano", "observed_time_unix_nano", &v)) {
      if (!uint64(v, "observedTimeUnixNano", &u)) return false;
      r->set_observed_time_unix_nano(u);
    }
    if (member(o, "severityNumber", "severity_number", &v)) {
      logs::SeverityNumber number;
      if (!severity(v, &number)) return false;
      r->set_severity_number(number);
    }
    std::string_view s;
    if (member(o, "severityText", "severity_text", &v)) {
      if (!string(v, "severityText", &s)) return false;
      r->set_severity_text(std::string(s));
    }
    if (member(o, "body", "body", &v) && !anyValue(v, r->mutable_body(), 0)) return false;
    uint32_t dropped = 0;
    if (!attributes(o, r->mutable_attributes(), &dropped)) return false;
    r->set_dropped_attributes_count(dropped);
    if (member(o, "flags", "flags", &v)) {
      uint32_t flags;
      if (!uint32(v, "flags", &flags)) return false;
      r->set_flags(flags);
    }
    if (member(o, "traceId", "trace_id", &v) && !id(v, "traceId", r->mutable_trace_id())) {
      return false;
    }
    if (member(o, "spanId", "span_id", &v) && !id(v, "spanId", r->mutable_span_id())) {
      return false;
    }
    if (member(o, "eventName", "event_name", &v)) {
      if (!string(v, "eventName", &s)) return false;
      r->set_event_name(std::string(s));
    }
    return true;
  }

  bool scopeLogs(element e, logs::ScopeLogs* out) {
    object o;
    if (!objectOf(e, "scopeLogs", &o)) return false;
    element v;
    std::string_view s;
    if (member(o, "scope", "scope", &v)) {
      object scope;
      if (!objectOf(v, "scope", &scope)) return false;
      common::InstrumentationScope* sc = out->mutable_scope();
      element f;
      if (member(scope, "name", "name", &f)) {
        if (!string(f, "scope name", &s)) return false;
        sc->set_name(std::string(s));
      }
      if (member(scope, "version", "version", &f)) {
        if (!string(f, "scope version", &s)) return false;
        sc->set_version(std::string(s));
      }
      uint32_t dropped = 0;
      if (!attributes(scope, sc->mutable_attributes(), &dropped)) return false;
      sc->set_dropped_attributes_count(dropped);
    }
    if (member(o, "logRecords", "log_records", &v)) {
      array records;
      if (!arrayOf(v, "logRecords", &records)) return false;
      for (element r : records) {
        if (!logRecord(r, out->add_log_records())) return false;
      }
    }
    if (member(o, "schemaUrl", "schema_url", &v)) {
      if (!string(v, "schemaUrl", &s)) return false;
      out->set_schema_url(std::string(s));
    }
    return true;
  }

  bool resourceLogs(element e, logs::ResourceLogs* out) {
    object o;
    if (!objectOf(e, "resourceLogs", &o)) return false;
    element v;
    if (member(o, "resource", "resource", &v)) {
      object resource;
      if (!objectOf(v, "resource", &resource)) return false;
      uint32_t dropped = 0;
      if (!attributes(resource, out->mutable_resource()->mutable_attributes(), &dropped)) {
        return false;
      }
      out->mutable_resource()->set_dropped_attributes_count(dropped);
    }
    if (member(o, "scopeLogs", "scope_logs", &v)) {
      array scopes;
      if (!arrayOf(v, "scopeLogs", &scopes)) return false;
      for (element s : scopes) {
        if (!scopeLogs(s, out->add_scope_logs())) return false;
      }
    }
    std::string_view s;
    if (member(o, "schemaUrl", "schema_url", &v)) {
      if (!string(v, "schemaUrl", &s)) return false;
      out->set_schema_url(std::string(s));
    }
    return true;
  }

 private:
  // Values nest (arrays, kvlists); deeper documents are refused rather than recursed into.
  static constexpr int kMaxDepth = 32;
  std::string* error_;
};

bool parseDocument(std::string_view json, simdjson::dom::parser& parser, object* root,
                   std::string* error) {
  element doc;
  if (auto e = parser.parse(json.data(), json.size()).get(doc)) {
    *error = std::string("not JSON: ") + simdjson::error_message(e);
    return false;
  }
  if (doc.get_object().get(*root)) {
    *error = "not a JSON object";
    return false;
  }
  return true;
}

}  // namespace

int severityNumber(std::string_view level) {
  for (const Level& l : kLevels) {
    if (l.name == level) return l.number;
  }
  return 0;
}

std::string_view levelName(int severity_number, std::string_view severity_text) {
  if (severity_number <= 0 || severity_number > 24) {
    for (const Level& l : kLevels) {
      if (equalsLower(severity_text, l.name)) return l.name;
    }
    severity_number = numberFromText(severity_text);
    if (severity_number == 0) return {};
  }
  if (severity_number < 9) return "debug";
  if (severity_number == 9) return "info";
  if (severity_number < 13) return "low";
  if (severity_number < 17) return "medium";
  if (severity_number < 21) return "high";
  return "critical";
}

bool parseId(std::string_view hex, size_t size, std::string* bytes) {
  if (hex.size() != 2 * size) return false;
  bytes->resize(size);
  bool zero = true;
  for (size_t i = 0; i < size; ++i) {
    int hi = hexValue(hex[2 * i]);
    int lo = hexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*bytes)[i] = static_cast<char>(hi << 4 | lo);
    zero = zero && hi == 0 && lo == 0;
  }
  return !zero;
}

std::string idHex(std::string_view bytes, size_t size) {
  if (bytes.size() != size || bytes.find_first_not_of('\0') == std::string_view::npos) return {};
  return toHex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

void appendJson(const ExportLogsServiceRequest& request, std::string& out) {
  out.append("{\"resourceLogs\":[");
  bool first_resource = true;
  for (const logs::ResourceLogs& rl : request.resource_logs()) {
    if (!first_resource) out.push_back(',');
    first_resource = false;
    out.push_back('{');
    bool first = true;
    if (rl.has_resource()) {
      appendKey(out, "resource", first);
      out.push_back('{');
      bool first_in_resource = true;
      appendAttributes(out, rl.resource().attributes(), rl.resource().dropped_attributes_count(),
                       first_in_resource);
      out.push_back('}');
    }
    appendKey(out, "scopeLogs", first);
    out.push_back('[');
    bool first_scope = true;
    for (const logs::ScopeLogs& sl : rl.scope_logs()) {
      if (!first_scope) out.push_back(',');
      first_scope = false;
      out.push_back('{');
      bool first_in_scope = true;
      if (sl.has_scope()) {
        appendKey(out, "scope", first_in_scope);
        out.push_back('{');
        bool first_in = true;
        if (!sl.scope().name().empty()) {
          appendKey(out, "name", first_in);
          json::appendString(out, sl.scope().name());
        }
        if (!sl.scope().version().empty()) {
          appendKey(out, "version", first_in);
          json::appendString(out, sl.scope().version());
        }
        appendAttributes(out, sl.scope().attributes(), sl.scope().dropped_attributes_count(),
                         first_in);
        out.push_back('}');
      }
      appendKey(out, "logRecords", first_in_scope);
      out.push_back('[');
      bool first_record = true;
      for (const logs::LogRecord& r : sl.log_records()) {
        if (!first_record) out.push_back(',');
        first_record = false;
        appendLogRecord(out, r);
      }
      out.push_back(']');
      if (!sl.schema_url().empty()) {
        appendKey(out, "schemaUrl", first_in_scope);
        json::appendString(out, sl.schema_url());
      }
      out.push_back('}');
    }
    out.push_back(']');
    if (!rl.schema_url().empty()) {
      appendKey(out, "schemaUrl", first);
      json::appendString(out, rl.schema_url());
    }
    out.push_back('}');
  }
  out.append("]}");
}

void appendJson(const ExportLogsServiceResponse& response, std::string& out) {
  if (!response.has_partial_success()) {
    out.append("{}");
    return;
  }
  out.append("{\"partialSuccess\":{");
  bool first = true;
  if (response.partial_success().rejected_log_records() != 0) {
    appendKey(out, "rejectedLogRecords", first);
    out.push_back('"');
    json::appendInt(out, response.partial_success().rejected_log_records());
    out.push_back('"');
  }
  if (!response.partial_success().error_message().empty()) {
    appendKey(out, "errorMessage", first);
    json::appendString(out, response.partial_success().error_message());
  }
  out.append("}}");
}

std::string statusBody(bool json, int code, std::string_view message) {
  std::string out;
  if (json) {
    out.append("{\"code\":");
    json::appendInt(out, code);
    out.append(",\"message\":");
    json::appendString(out, message);
    out.push_back('}');
    return out;
  }
  // Status { int32 code = 1; string message = 2; }
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteTag(1 << 3 | 0);
    coded.WriteVarint32SignExtended(code);
    coded.WriteTag(2 << 3 | 2);
    coded.WriteVarint32(static_cast<uint32_t>(message.size()));
    coded.WriteRaw(message.data(), static_cast<int>(message.size()));
  }  // the streams hand the bytes over to `out` as they close
  return out;
}

std::string statusMessage(std::string_view body, bool json) {
  if (json) {
    thread_local simdjson::dom::parser parser;
    object root;
    std::string error;
    std::string_view message;
    if (!parseDocument(body, parser, &root, &error) || root["message"].get_string().get(message)) {
      return {};
    }
    return std::string(message);
  }
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(body.data()),
                                            static_cast<int>(body.size()));
  std::string message;
  for (uint32_t tag; (tag = in.ReadTag()) != 0;) {
    if (tag == (2 << 3 | 2)) {
      uint32_t size;
      if (!in.ReadVarint32(&size) || !in.ReadString(&message, static_cast<int>(size))) return {};
    } else if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
      return {};
    }
  }
  return message;
}

bool parseJson(std::string_view json, ExportLogsServiceRequest* out, std::string* error) {
  thread_local simdjson::dom::parser parser;
  object root;
  if (!parseDocument(json, parser, &root, error)) return false;
  Reader reader(error);
  element v;
  if (!Reader::member(root, "resourceLogs", "resource_logs", &v)) return true;
  array list;
  if (!reader.arrayOf(v, "resourceLogs", &list)) return false;
  for (element e : list) {
    if (!reader.resourceLogs(e, out->add_resource_logs())) return false;
  }
  return true;
}

bool parseJson(std::string_view json, ExportLogsServiceResponse* out, std::string* error) {
  thread_local simdjson::dom::parser parser;
  object root;
  if (!parseDocument(json, parser, &root, error)) return false;
  Reader reader(error);
  element v;
  if (!Reader::member(root, "partialSuccess", "partial_success", &v)) return true;
  object partial;
  if (!reader.objectOf(v, "partialSuccess", &partial)) return false;
  element f;
  if (Reader::member(partial, "rejectedLogRecords", "rejected_log_records", &f)) {
    int64_t rejected;
    if (!reader.int64(f, "rejectedLogRecords", &rejected)) return false;
    out->mutable_partial_success()->set_rejected_log_records(rejected);
  }
  if (Reader::member(partial, "errorMessage", "error_message", &f)) {
    std::string_view message;
    if (!reader.string(f, "errorMessage", &message)) return false;
    out->mutable_partial_success()->set_error_message(std::string(message));
  }
  if (!out->has_partial_success()) out->mutable_partial_success();
  return true;
}

}  // namespace logship::otlp
