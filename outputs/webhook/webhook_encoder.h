#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/batch.h"

namespace logship {

// One alert as the detect transform describes it in an event: `event.kind: alert`, `rule.name`,
// the group key fields, `event.count`, `event.start`/`event.end`, severity in `log.level`, the
// summary in `message`, `event.type: end` once resolved, `alert.sample.N` sample lines.
struct AlertInfo {
  std::vector<std::pair<std::string, std::string>> labels;       // sorted by name
  std::vector<std::pair<std::string, std::string>> annotations;  // sorted by name
  std::string starts_at;                                         // RFC 3339
  std::string fingerprint;
  Severity severity = Severity::kUnset;
  bool resolved = false;
};

// Turns a field name into an Alertmanager label name: [a-zA-Z_][a-zA-Z0-9_]*.
std::string sanitizeLabelName(std::string_view name);

// Reads the alert an event carries; false if the event is not an alert.
bool alertFromEvent(const Batch& batch, const Event& event, AlertInfo* out);

// An alert as the webhook output holds it between consume() and sending: one event of a batch of
// its own, whose fields hold the AlertInfo (`labels.*`, `annotations.*`, `alert.*`) and whose
// message holds `body`, a rendered template (or nothing).
void addAlertRecord(const AlertInfo& alert, std::string_view body, Batch& out);
AlertInfo alertFromRecord(const Batch& batch, const Event& event);

// Alertmanager API v2 alert object. `ends_at` empty leaves endsAt out.
void appendAlertmanagerAlert(const AlertInfo& alert, std::string_view ends_at,
                             std::string_view generator_url, std::string& out);
// The generic JSON form: {status, labels, annotations, startsAt, endsAt, fingerprint}.
void appendJsonAlert(const AlertInfo& alert, std::string_view ends_at, std::string& out);
// Fills `{field}` placeholders of a body template with JSON-escaped values (without quotes), so
// templates such as {"text": "{message}"} stay valid JSON. Braces around anything that is not a
// field name are kept as they are.
void renderJsonTemplate(std::string_view text, const Batch& batch, const Event& event,
                        std::string& out);

}  // namespace logship
