#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "pipelines/common/condition.h"
#include "pipelines/common/event_fields.h"
#include "pipelines/tag_severity/tag_severity_config.h"

namespace logship {

namespace severity_text {
// Level names and abbreviations in any case: emerg/alert/crit/fatal/panic -> critical,
// err/error/severe -> high, warn/warning -> medium, notice -> low, info -> info, debug/trace ->
// debug; the six normalised names map to themselves; numbers as levelFromNumber.
Severity levelFromText(std::string_view text);
// Syslog severity codes 0-7; bunyan/pino levels 10-60.
Severity levelFromNumber(int64_t number);
Severity levelFromSyslogCode(int64_t code);
// `<PRI>` at the start of a raw syslog line.
Severity levelFromPri(std::string_view message);
// The first level word of a message. Words that mean a level whatever their case (error, warn,
// fatal, panic, critical, ...) count in any case; words common in prose (info, debug, notice,
// trace, alert) only when written as a tag, in capitals.
Severity levelFromWords(std::string_view message);
}  // namespace severity_text

// Gives every event a normalised level (Event::severity, written as `log.level`): from a level
// field (text or number), the syslog severity code, a <PRI> or a level word in the message, else
// the default; then ordered rules set or raise it (a message matching "POSSIBLE BREAK-IN ATTEMPT"
// is high even though sshd logs it at info).
class TagSeverity final : public Transform {
 public:
  TagSeverity(TagSeverityConfig config, BuildContext& ctx);
  void process(Batch& batch, Emitter& out) override;

 private:
  struct Rule {
    Condition when;
    Severity level;
    bool raise_only;
  };
  // `found`: the event's level fields, then its syslog code field, as lookup_ finds them.
  Severity derive(const Event& event, const Field* const* found) const;

  // The level fields in their order, then the syslog code field if one is configured.
  FieldLookup lookup_;
  size_t level_fields_;  // how many of lookup_'s names are level fields
  bool message_;
  bool overwrite_;
  Severity default_;
  std::vector<Rule> rules_;
};

}  // namespace logship
