#pragma once

// Turns the records of one audit event into one logship event's fields, as Filebeat's auditd
// module names them where it has a name, auditd.log.<key> otherwise.

#include <cstddef>
#include <span>
#include <string_view>

#include "agent/api/batch.h"

namespace logship::auditd {

// Writes the fields of the event whose records (audit.log lines of one serial, in the order
// read) are `records`; they must live as long as `batch` (its raw buffer or arena). Sets the
// event's timestamp from the first record. At most `max_fields` fields are written; how many
// were left out goes to log.truncated_fields. False when no line is an audit record.
bool buildAuditEvent(Batch& batch, Event& event, std::span<const std::string_view> records,
                     size_t max_fields);

// Record types written once by user space, never followed by more records or an EOE: their
// event is complete as soon as the record is read.
bool isStandaloneType(std::string_view type);

}  // namespace logship::auditd
