#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace logship::json {

// Appends `text` as a JSON string literal (with quotes). Control characters and quotes are
// escaped; bytes that are not valid UTF-8 become U+FFFD, so any input line yields valid JSON.
void appendString(std::string& out, std::string_view text);
void appendInt(std::string& out, int64_t value);
void appendDouble(std::string& out, double value);
// The 30-byte RFC 3339 UTC form with nanoseconds, in quotes.
void appendTimestamp(std::string& out, int64_t ns);

}  // namespace logship::json
