#pragma once

#include <string_view>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "parsers/common/parser_support.h"
#include "parsers/syslog/syslog_config.h"
#include "parsers/syslog/syslog_parser.h"

namespace logship {

// Writes what a parsed syslog header says into the event: the timestamp, log.level from the PRI
// severity (0-2 critical, 3 high, 4 medium, 5 low, 6 info, 7 debug), host.name, process.name,
// process.pid (log.syslog.procid when not numeric), log.syslog.{priority, facility.code,
// facility.name, severity.code, severity.name, msgid, version}, the body in syslog.message and,
// with structured_data, sd.<id>.<name> fields. `message` is not changed: it keeps the raw line.
void addSyslogFields(Batch& batch, Event& event, const syslog::SyslogMessage& message,
                     bool structured_data);

// The parse_syslog transform: every event's message through syslog::parseSyslog(), using the time
// it was read (the event's timestamp before parsing) to infer the year of RFC 3164 timestamps.
class ParseSyslog final : public Transform {
 public:
  ParseSyslog(ParseSyslogConfig config, BuildContext& ctx);

  void start(ComponentContext& context) override { errors_.start(context); }
  void process(Batch& batch, Emitter& out) override;

  // Parses one event in place; returns the parse error reason, empty on success.
  std::string_view parseEvent(Batch& batch, Event& event) const;

 private:
  ParseSyslogConfig config_;
  int32_t offset_seconds_ = 0;
  parsers::ParseErrorCounter errors_;
};

}  // namespace logship
