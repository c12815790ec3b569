#pragma once

#include <string_view>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "parsers/common/parser_support.h"
#include "parsers/json/json_config.h"

namespace logship {

// Parses each event's message (or `field`) as one JSON object with simdjson On-Demand: members
// become fields (nested objects flattened to dotted keys or kept as JSON text, arrays kept as
// JSON text, null members left out), the well-known keys become the event's timestamp, level and
// message (the raw line then moves to `event.original`), trace_id/span_id become trace.id/span.id.
// Strings without escapes stay views into the batch; unescaped ones are written to its arena. One
// parser and one padded buffer per thread are reused, so the steady state allocates nothing.
class ParseJson final : public Transform {
 public:
  ParseJson(ParseJsonConfig config, BuildContext& ctx);

  void start(ComponentContext& context) override { errors_.start(context); }
  void process(Batch& batch, Emitter& out) override;

  // Parses one event of `batch` in place. Returns the parse error reason (static storage), or an
  // empty view when the event parsed; on failure the event is restored and flagged.
  std::string_view parseEvent(Batch& batch, Event& event) const;

 private:
  ParseJsonConfig config_;
  bool keep_nested_ = false;
  int32_t offset_seconds_ = 0;
  parsers::ParseErrorCounter errors_;
};

}  // namespace logship
