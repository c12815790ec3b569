#include "parsers/auth/parse_auth.h"

#include "parsers/common/syslog_fields.h"
#include "parsers/common/syslog_parser.h"

namespace logship {
namespace {

namespace ecs = parsers::ecs;

void addString(Batch& batch, Event& event, std::string_view key, std::string_view value) {
  if (!value.empty()) parsers::addFieldBounded(batch, event, key, FieldValue::string(value));
}

}  // namespace

void addAuthFields(Batch& batch, Event& event, const auth::AuthEvent& auth) {
  addString(batch, event, ecs::kCategory, auth.category);
  addString(batch, event, ecs::kAction, auth.action);
  addString(batch, event, ecs::kOutcome, auth.outcome);
  addString(batch, event, ecs::kUserName, auth.user);
  addString(batch, event, ecs::kUserTargetName, auth.target_user);
  addString(batch, event, ecs::kSourceIp, auth.source_ip);
  if (auth.source_port >= 0) {
    parsers::addFieldBounded(batch, event, ecs::kSourcePort, FieldValue::integer(auth.source_port));
  }
  addString(batch, event, ecs::kSourceDomain, auth.source_host);
  addString(batch, event, ecs::kProcessCommandLine, auth.command);
  addString(batch, event, ecs::kGroupName, auth.group);
  addString(batch, event, "system.auth.ssh.method", auth.auth_method);
  addString(batch, event, "system.auth.tty", auth.tty);
  addString(batch, event, "system.auth.session.id", auth.session_id);
  if (auth.attempts >= 0) {
    parsers::addFieldBounded(batch, event, "system.auth.attempts",
                             FieldValue::integer(auth.attempts));
  }
  addString(batch, event, "event.type", auth.type);
  addString(batch, event, "destination.ip", auth.destination_ip);
  if (auth.destination_port >= 0) {
    parsers::addFieldBounded(batch, event, "destination.port",
                             FieldValue::integer(auth.destination_port));
  }
  addString(batch, event, "network.transport", auth.transport);
  addString(batch, event, "observer.ingress.interface.name", auth.interface_in);
  addString(batch, event, "observer.egress.interface.name", auth.interface_out);
  addString(batch, event, "fail2ban.jail", auth.jail);
  addString(batch, event, "package.name", auth.package);
  addString(batch, event, "package.version", auth.package_version);
  addString(batch, event, "package.architecture", auth.package_architecture);
}

ParseAuth::ParseAuth(ParseAuthConfig config, BuildContext&)
    : config_(std::move(config)),
      input_(config_.input == "syslog"   ? Input::kSyslog
             : config_.input == "fields" ? Input::kFields
                                         : Input::kAuto),
      offset_seconds_(parsers::parseUtcOffset(config_.timezone_offset).value_or(0)) {}

std::string_view ParseAuth::parseEvent(Batch& batch, Event& event) const {
  std::string_view program;
  std::string_view body;
  bool from_fields = false;
  if (input_ != Input::kSyslog) {
    const Field* parsed_body = event.findField(parsers::kSyslogMessageField);
    program = parsers::eventString(event, ecs::kProcessName);
    if (parsed_body != nullptr && parsed_body->value.kind == FieldValue::Kind::kString) {
      // parse_syslog ran before: reuse its header instead of reading the line twice.
      body = parsed_body->value.string_value;
      from_fields = true;
    } else {
      if (program.empty()) program = parsers::eventString(event, "SYSLOG_IDENTIFIER");
      // journald: no header in the message, the identifier comes as a field.
      if (!program.empty()) {
        body = event.message;
        from_fields = true;
      }
    }
    if (!from_fields && input_ == Input::kFields) return {};  // nothing to classify
  }

  syslog::SyslogMessage header;
  if (!from_fields) {
    // fail2ban.log and dpkg.log lines start with a date and carry no syslog header.
    if (auth::mayBeFileLine(event.message)) {
      auth::AuthEvent file_event;
      auth::FileLine file_line;
      if (auth::classifyFileLine(event.message, offset_seconds_, file_event, file_line)) {
        event.timestamp_ns = file_line.timestamp_ns;
        addString(batch, event, ecs::kLogLogger, file_line.logger);
        if (file_line.pid >= 0) {
          parsers::addFieldBounded(batch, event, ecs::kProcessPid,
                                   FieldValue::integer(file_line.pid));
        }
        addAuthFields(batch, event, file_event);
        return {};
      }
    }
    const syslog::SyslogOptions options{event.timestamp_ns, offset_seconds_};
    if (!syslog::parseSyslog(event.message, options, header)) {
      constexpr std::string_view kReason = "not a syslog line";
      parsers::markParseError(batch, event, event, kReason);
      return kReason;
    }
    program = header.app_name;
    body = header.message;
  }

  auth::AuthEvent auth;
  const bool classified = auth::classifyAuth(program, body, auth);
  if (!from_fields && (classified || config_.header_on_every_line)) {
    addSyslogFields(batch, event, header, /*structured_data=*/true);
  } else if (!from_fields && header.has_timestamp) {
    // Every line keeps its own time, classified or not: windows and watermarks downstream
    // (detect) must not see a line of June as read today.
    event.timestamp_ns = header.timestamp_ns;
  }
  if (classified) addAuthFields(batch, event, auth);
  return {};
}

void ParseAuth::process(Batch& batch, Emitter& out) {
  uint64_t errors = 0;
  for (Event& event : batch.events()) errors += !parseEvent(batch, event).empty();
  errors_.report(errors);
  out.emit(std::move(batch));
}

}  // namespace logship
