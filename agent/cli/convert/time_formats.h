// Timestamp formats of the converted tools as the strftime-style formats logship parsers take
// (timestamp_format; agent/support/timestamp.h lists the directives).
#pragma once

#include <optional>
#include <string>

namespace logship::convert {

// A Go reference layout ("2006-01-02T15:04:05Z07:00") or one of Promtail's names for one
// (RFC3339, Unix, UnixMs, ANSIC, Stamp, ...). Returns "" when logship recognises the values
// without a format (RFC 3339, epoch numbers, and syslog times for a layout without a year, which
// `why` then notes), nullopt with `why` set when it cannot be expressed.
std::optional<std::string> goLayoutToStrftime(const std::string& layout, std::string& why);

// A Fluent Bit Time_Format (strftime with %L for fractions of a second); "" for a format without
// a year (noted in `why`), nullopt with `why` set when it uses a directive logship's parser lacks.
std::optional<std::string> fluentBitTimeFormat(const std::string& format, std::string& why);

}  // namespace logship::convert
