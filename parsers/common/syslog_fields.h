#pragma once

#include "agent/api/batch.h"
#include "parsers/common/syslog_parser.h"

namespace logship {

// Writes what a parsed syslog header says into the event: the timestamp, log.level from the PRI
// severity (0-2 critical, 3 high, 4 medium, 5 low, 6 info, 7 debug), host.name, process.name,
// process.pid (log.syslog.procid when not numeric), log.syslog.{priority, facility.code,
// facility.name, severity.code, severity.name, msgid, version}, the body in syslog.message and,
// with structured_data, sd.<id>.<name> fields. `message` is not changed: it keeps the raw line.
// Shared by parse_syslog and the parsers of syslog-borne formats (parse_auth).
void addSyslogFields(Batch& batch, Event& event, const syslog::SyslogMessage& message,
                     bool structured_data);

}  // namespace logship
