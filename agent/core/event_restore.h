#pragma once

#include <string_view>

#include "agent/api/batch.h"
#include "agent/api/config.h"

namespace logship {

// Puts a field read back from an event logship encoded (the kafka output's JSON, the
// opentelemetry output's attributes) where events keep it: `message`, `@timestamp` (RFC 3339),
// `log.level`, `tier` and `correlation_id` into the event's own members when the value is one they
// hold, `log.truncated` into its flags, anything else into its fields. `name` is copied into the
// batch's arena; a string value must already live in the batch.
void restoreField(const GlobalConfig& global, Batch& batch, Event& event, std::string_view name,
                  FieldValue value);

}  // namespace logship
