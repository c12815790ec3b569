#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace logship {

// Standard base64 (RFC 4648, with padding): Basic credentials, Content-MD5, OTLP/JSON bytes.
std::string base64Encode(std::string_view in);
// Accepts padded and unpadded text; nullopt on any other character.
std::optional<std::string> base64Decode(std::string_view in);

}  // namespace logship
