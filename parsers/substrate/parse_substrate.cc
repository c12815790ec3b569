#include "parsers/substrate/parse_substrate.h"

namespace logship {

ParseSubstrate::ParseSubstrate(ParseSubstrateConfig config, BuildContext&)
    : config_(std::move(config)),
      offset_seconds_(parsers::parseUtcOffset(config_.timezone_offset).value_or(0)) {}

std::string_view ParseSubstrate::parseEvent(Batch& batch, Event& event) const {
  const std::optional<std::string_view> text = parsers::inputText(batch, event, config_.field);
  if (!text) {
    constexpr std::string_view kReason = "field to parse is missing";
    parsers::markParseError(batch, event, event, kReason);
    return kReason;
  }
  substrate::SubstrateLine line;
  if (!substrate::parseSubstrateLine(*text, offset_seconds_, line)) {
    constexpr std::string_view kReason = "no timestamp at the start of the line";
    parsers::markParseError(batch, event, event, kReason);
    return kReason;
  }
  namespace ecs = parsers::ecs;
  // A panic report carries no time of its own: the time it was read (or the wrapper's) stays.
  if (line.timestamped) event.timestamp_ns = line.timestamp_ns;
  const Severity severity = substrate::substrateSeverity(line);
  if (severity != Severity::kUnset) event.severity = severity;
  auto add = [&](std::string_view key, std::string_view value) {
    if (!value.empty()) parsers::addFieldBounded(batch, event, key, FieldValue::string(value));
  };
  add("substrate.chain", line.chain);
  add(ecs::kProcessThreadName, line.thread);
  add(ecs::kLogLogger, line.target);
  add(ecs::kAction, line.action);
  for (int i = 0; i < line.field_count; ++i) {
    parsers::addFieldBounded(batch, event, line.fields[i].key, line.fields[i].value);
  }
  add("substrate.message", line.body);
  return {};
}

void ParseSubstrate::process(Batch& batch, Emitter& out) {
  uint64_t errors = 0;
  for (Event& event : batch.events()) errors += !parseEvent(batch, event).empty();
  errors_.report(errors);
  out.emit(std::move(batch));
}

}  // namespace logship
