#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/api/config.h"
#include "outputs/common/http_sink.h"
#include "outputs/common/ndjson_encoder.h"
#include "outputs/common/template.h"

namespace logship {

// Loki's rules for label names: [a-zA-Z_][a-zA-Z0-9_]*, and names starting with "__" are reserved.
bool isValidLokiLabelName(std::string_view name);
// Appends `value` as a label value inside quotes' content: invalid UTF-8 becomes U+FFFD,
// `"` `\` and line breaks are escaped, other control characters become spaces, and the value is
// cut to Loki's 2048-byte limit on a character boundary. Values are cleaned, never refused.
void appendLokiLabelValue(std::string& out, std::string_view value);

struct LokiEncoderOptions {
  // Label name -> template, sorted by name (Loki's canonical order).
  std::vector<std::pair<std::string, OutputTemplate>> labels;
  bool json = false;         // JSON push body instead of snappy-compressed protobuf
  bool raw_message = false;  // the line is the raw message rather than the NDJSON object
};

// Turns events into one Loki push body: events grouped into streams by their rendered label set,
// entries of each stream ordered by timestamp, `correlation_id` and `trace.id` (as `trace_id`)
// attached as structured metadata. Protobuf is written directly in wire format (no per-event
// message objects) and snappy-compressed; the JSON form is the documented alternative.
class LokiEncoder {
 public:
  LokiEncoder(const GlobalConfig& global, LokiEncoderOptions options);

  void encode(std::span<const EventRef> events, std::string& out);
  // The PushRequest before snappy compression.
  void encodeProtobuf(std::span<const EventRef> events, std::string& out);
  void encodeJson(std::span<const EventRef> events, std::string& out);
  // The `{a="x", b="y"}` label set of one event.
  void labelSet(const Batch& batch, const Event& event, std::string& out);

  // Content-Type of encode()'s output.
  std::string_view contentType() const {
    return options_.json ? "application/json" : "application/x-protobuf";
  }

 private:
  struct Entry {
    int64_t timestamp_ns;
    uint32_t line_offset, line_size;
    uint32_t correlation_offset, correlation_size;
    uint32_t trace_offset, trace_size;
  };
  struct Stream {
    std::string labels;
    std::vector<std::pair<std::string, std::string>> pairs;  // for the JSON form
    std::vector<Entry> entries;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  void group(std::span<const EventRef> events);
  void appendLine(const Batch& batch, const Event& event);
  void appendMetadata(const Batch& batch, const Event& event, Entry& entry);

  LokiEncoderOptions options_;
  NdjsonEncoder ndjson_;
  // Scratch space reused across requests.
  std::vector<Stream> streams_;
  size_t stream_count_ = 0;
  size_t last_stream_ = 0;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> stream_index_;
  std::string labels_scratch_;
  std::string value_scratch_;
  std::string text_;  // lines and metadata values of the request
  std::string raw_;   // the uncompressed protobuf
};

}  // namespace logship
