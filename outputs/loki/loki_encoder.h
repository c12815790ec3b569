#pragma once

#include <array>
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
  // The line is the raw message rather than the NDJSON object (which leaves out `@timestamp`:
  // the entry's own timestamp holds it to the nanosecond).
  bool raw_message = false;
  // Structured metadata name -> the field whose text it carries (sent when the event has it),
  // beside `correlation_id` and `trace_id`.
  std::vector<std::pair<std::string, std::string>> structured_metadata;
};

// Turns events into one Loki push body: events grouped into streams by their rendered label set,
// entries of each stream ordered by timestamp, `correlation_id`, `trace.id` (as `trace_id`) and
// the configured fields attached as structured metadata. Protobuf is written directly in wire
// format (no per-event message objects) and snappy-compressed; the JSON form is the documented
// alternative.
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
  // One encoded entry within its stream's body.
  struct Entry {
    int64_t timestamp_ns;
    uint32_t offset, size;
  };
  struct Stream {
    std::string labels;
    std::vector<std::pair<std::string, std::string>> pairs;  // for the JSON form
    std::string header;  // protobuf: the StreamAdapter's tag, length and labels
    std::string body;    // the entries in arrival order, comma-separated in JSON
    std::vector<Entry> entries;  // in timestamp order once grouped
    bool ordered = true;         // whether arrival order was timestamp order
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  // Groups events into streams, encoding each entry straight into its stream's body so that no
  // line is copied after it is written; then sorts the entries of streams whose arrival order
  // was not their timestamps' order.
  void group(std::span<const EventRef> events);
  Stream& streamOf(const Batch& batch, const Event& event);
  void appendLine(const Batch& batch, const Event& event, std::string& out);
  void findMetadata(const Batch& batch, const Event& event);
  void appendProtobufEntry(const Batch& batch, const Event& event, Stream& stream);
  void appendJsonEntry(const Batch& batch, const Event& event, Stream& stream);
  // The PushRequest as pieces: each stream's header, then its body or, out of order, its entries.
  void protobufPieces();

  LokiEncoderOptions options_;
  NdjsonEncoder ndjson_;
  // Scratch space reused across requests.
  std::vector<Stream> streams_;
  size_t stream_count_ = 0;
  // The streams of recent events by label values (see streamOf), most used first.
  struct RecentStream {
    std::string key;
    uint32_t stream = 0;
  };
  std::array<RecentStream, 8> recent_;
  size_t recent_count_ = 0;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> stream_index_;  // by labels
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> key_index_;  // by values
  std::string key_scratch_;
  std::string labels_scratch_;
  std::string value_scratch_;
  std::string line_scratch_;  // JSON: the line before it is escaped
  // Structured metadata of the current event: the first metadata_count_ of metadata_ (name,
  // value), value strings reused across events.
  std::vector<std::pair<std::string_view, std::string>> metadata_;
  size_t metadata_count_ = 0;
  std::vector<std::string_view> pieces_;
};

}  // namespace logship
