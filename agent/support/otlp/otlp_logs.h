#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"

// What the opentelemetry output and source share: the severity and trace-context mapping between
// logship events and OTLP LogRecords, and OTLP/HTTP's JSON encoding, which differs from protobuf's
// canonical JSON mapping (trace and span ids in hex, not base64).
namespace logship::otlp {

using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceResponse;

// Event fields that become parts of a LogRecord or its scope rather than attributes.
inline constexpr std::string_view kTraceIdField = "trace.id";
inline constexpr std::string_view kSpanIdField = "span.id";
// The OpenTelemetry convention for the instrumentation scope outside OTLP.
inline constexpr std::string_view kScopeNameField = "otel.scope.name";
inline constexpr std::string_view kScopeVersionField = "otel.scope.version";
inline constexpr size_t kTraceIdBytes = 16;
inline constexpr size_t kSpanIdBytes = 8;

// The SeverityNumber of a logship level (debug 5, info 9, low 10 as syslog's notice is INFO2,
// medium 13, high 17, critical 21); 0 for any other name.
int severityNumber(std::string_view level);
// The logship level of a record's severity: by number (TRACE and DEBUG -> debug, INFO -> info,
// INFO2..4 -> low, WARN -> medium, ERROR -> high, FATAL -> critical); with number 0 by its text
// (OpenTelemetry's short names TRACE..FATAL4, or a logship level). "" when neither says.
std::string_view levelName(int severity_number, std::string_view severity_text);

// `hex` (either case) as `size` bytes: false unless it is exactly 2 * size hex digits, not all
// zero (OTLP's "no id").
bool parseId(std::string_view hex, size_t size, std::string* bytes);
// Lower-case hex of an id; "" for an id of the wrong size or all zero.
std::string idHex(std::string_view bytes, size_t size);

// OTLP/HTTP's JSON: lowerCamelCase keys, 64-bit integers as strings, enums as numbers, trace and
// span ids as hex, other bytes as base64.
void appendJson(const ExportLogsServiceRequest& request, std::string& out);
void appendJson(const ExportLogsServiceResponse& response, std::string& out);
// Reads what appendJson writes, and what other OTLP senders write: original (snake_case) keys too,
// integers as numbers or strings, enums by number or name. Unknown keys are ignored, as OTLP asks.
// Returns false with a reason on anything that is not such a document.
bool parseJson(std::string_view json, ExportLogsServiceRequest* out, std::string* error);
bool parseJson(std::string_view json, ExportLogsServiceResponse* out, std::string* error);

// The google.rpc.Status OTLP/HTTP answers a refused request with: `{"code":3,"message":".."}` in
// JSON, else its protobuf wire form. statusMessage() reads the message back ("" if it has none).
std::string statusBody(bool json, int code, std::string_view message);
std::string statusMessage(std::string_view body, bool json);

}  // namespace logship::otlp
