#include "parsers/syslog/parse_syslog.h"

#include <cstring>

#include "parsers/common/syslog_fields.h"

namespace logship {
ParseSyslog::ParseSyslog(ParseSyslogConfig config, BuildContext&)
    : config_(std::move(config)),
      offset_seconds_(parsers::parseUtcOffset(config_.timezone_offset).value_or(0)) {}

std::string_view ParseSyslog::parseEvent(Batch& batch, Event& event) const {
  const syslog::SyslogOptions options{event.timestamp_ns, offset_seconds_};
  syslog::SyslogMessage message;
  if (!syslog::parseSyslog(event.message, options, message)) {
    constexpr std::string_view kReason = "not a syslog line";
    parsers::markParseError(batch, event, event, kReason);
    return kReason;
  }
  addSyslogFields(batch, event, message, config_.structured_data);
  return {};
}

void ParseSyslog::process(Batch& batch, Emitter& out) {
  uint64_t errors = 0;
  for (Event& event : batch.events()) errors += !parseEvent(batch, event).empty();
  errors_.report(errors);
  out.emit(std::move(batch));
}

}  // namespace logship
