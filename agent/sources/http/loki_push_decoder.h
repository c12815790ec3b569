#pragma once

#include <simdjson.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/config.h"
#include "agent/core/json_event_decoder.h"

namespace logship {

struct LokiPushOptions {
  // Label name -> the field it becomes (the loki output's `labels` turned around); a label not
  // named here becomes `labels.<name>`.
  std::map<std::string, std::string, std::less<>> label_fields;
  // Lines are JSON objects as the loki output's line_format: json writes them: their members
  // become fields (a line that is not one stays the message).
  bool json_lines = false;
};

// Turns a Loki push request into events: each entry one event, its line the message, its
// timestamp `@timestamp`, its stream's labels fields (see LokiPushOptions) and its structured
// metadata fields by name (`trace_id` as `trace.id`, `correlation_id` as the event's own), which
// undoes what the loki output does. Field numbers and the JSON form are those of Loki's push API
// (logproto.PushRequest).
class LokiPushDecoder {
 public:
  LokiPushDecoder(const GlobalConfig& global, LokiPushOptions options)
      : json_(global), options_(std::move(options)) {}

  // `batch.raw()` is the PushRequest in protobuf (snappy already undone) or JSON, followed by
  // simdjson's padding. Returns "" when read, else what is wrong (nothing is emitted then).
  std::string decodeProtobuf(Batch& batch);
  std::string decodeJson(Batch& batch);

  struct Label {
    std::string_view name;
    std::string_view value;
  };
  // Reads a label set `{a="x", b="y"}`, unescaping values into `arena` when needed.
  static bool parseLabelSet(std::string_view text, Arena& arena, std::vector<Label>& out);

 private:
  // The fields an entry of a stream with `labels` gets.
  void setStreamLabels(const std::vector<Label>& labels, Batch& batch);
  void applyLabels(Batch& batch, size_t first_event);
  // Sets line and timestamp of a new event (the line copied with padding when json_lines needs
  // it and `capacity` is short).
  Event& addEntry(Batch& batch, int64_t timestamp_ns, std::string_view line, size_t capacity);
  void addMetadata(Batch& batch, Event& event, std::string_view name, std::string_view value);

  JsonEventDecoder json_;
  LokiPushOptions options_;
  simdjson::ondemand::parser outer_;
  struct StreamField {
    std::string_view key;  // in the batch's arena
    std::string_view value;
    bool member;  // set through JsonEventDecoder::setMember (a mapped name)
  };
  // Reused from entry to entry and stream to stream.
  std::vector<Label> labels_;
  std::vector<StreamField> stream_fields_;
  std::vector<std::pair<std::string_view, std::string_view>> metadata_;
};

}  // namespace logship
