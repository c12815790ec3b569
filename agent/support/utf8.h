#pragma once

#include <string>
#include <string_view>

namespace logship {

// Length (1..4) of the valid UTF-8 sequence at `p`, or 0 if the bytes there are not one.
size_t utf8SequenceLength(const char* p, const char* end);

// Appends `text` with every byte that does not start a valid UTF-8 sequence replaced by U+FFFD,
// so receivers that insist on UTF-8 (protobuf strings, label values) accept any log line.
void appendValidUtf8(std::string& out, std::string_view text);

// The longest prefix of `text` of at most `max_bytes` that does not cut a UTF-8 sequence.
std::string_view utf8Prefix(std::string_view text, size_t max_bytes);

}  // namespace logship
