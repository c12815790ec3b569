#pragma once

#include <string_view>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "parsers/common/parser_support.h"
#include "parsers/common/syslog_fields.h"
#include "parsers/common/syslog_parser.h"
#include "parsers/syslog/syslog_config.h"

namespace logship {

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
