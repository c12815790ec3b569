#include "parsers/common/syslog_fields.h"

#include <cstring>

#include "parsers/common/parser_support.h"

namespace logship {
namespace {

namespace ecs = parsers::ecs;

// "sd." + id + "." + name, in the arena.
std::string_view sdKey(Arena& arena, std::string_view id, std::string_view name) {
  const size_t size = 3 + id.size() + 1 + name.size();
  char* p = static_cast<char*>(arena.allocate(size, 1));
  std::memcpy(p, "sd.", 3);
  std::memcpy(p + 3, id.data(), id.size());
  p[3 + id.size()] = '.';
  std::memcpy(p + 4 + id.size(), name.data(), name.size());
  return {p, size};
}

}  // namespace

void addSyslogFields(Batch& batch, Event& event, const syslog::SyslogMessage& message,
                     bool structured_data) {
  if (message.has_timestamp) event.timestamp_ns = message.timestamp_ns;
  if (message.pri >= 0) {
    event.severity = parsers::severityFromSyslog(message.severity);
    parsers::addFieldBounded(batch, event, "log.syslog.priority", FieldValue::integer(message.pri));
    parsers::addFieldBounded(batch, event, "log.syslog.facility.code",
                             FieldValue::integer(message.facility));
    parsers::addFieldBounded(batch, event, "log.syslog.facility.name",
                             FieldValue::string(syslog::facilityName(message.facility)));
    parsers::addFieldBounded(batch, event, "log.syslog.severity.code",
                             FieldValue::integer(message.severity));
    parsers::addFieldBounded(batch, event, "log.syslog.severity.name",
                             FieldValue::string(syslog::severityName(message.severity)));
  }
  if (message.rfc5424) {
    parsers::addFieldBounded(batch, event, "log.syslog.version", FieldValue::string("1"));
  }
  if (!message.hostname.empty()) {
    parsers::addFieldBounded(batch, event, ecs::kHostName, FieldValue::string(message.hostname));
  }
  if (!message.app_name.empty()) {
    parsers::addFieldBounded(batch, event, ecs::kProcessName, FieldValue::string(message.app_name));
  }
  if (!message.procid.empty()) {
    int64_t pid = 0;
    if (parsers::parseInt64(message.procid, pid) && pid >= 0) {
      parsers::addFieldBounded(batch, event, ecs::kProcessPid, FieldValue::integer(pid));
    } else {
      parsers::addFieldBounded(batch, event, "log.syslog.procid",
                               FieldValue::string(message.procid));
    }
  }
  if (!message.msgid.empty()) {
    parsers::addFieldBounded(batch, event, "log.syslog.msgid", FieldValue::string(message.msgid));
  }
  if (structured_data && !message.structured_data.empty()) {
    Arena& arena = batch.arena();
    syslog::forEachSdParam(message.structured_data,
                           [&](std::string_view id, std::string_view name, std::string_view raw) {
                             std::string_view value = raw;
                             if (raw.find('\\') != std::string_view::npos) {
                               char* out = static_cast<char*>(arena.allocate(raw.size(), 1));
                               value = {out, syslog::unescapeSdValue(raw, out)};
                             }
                             return parsers::addFieldBounded(batch, event, sdKey(arena, id, name),
                                                             FieldValue::string(value));
                           });
  }
  parsers::addFieldBounded(batch, event, parsers::kSyslogMessageField,
                           FieldValue::string(message.message));
}

}  // namespace logship
