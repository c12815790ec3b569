#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logship {

// Byte sizes accept 1048576, 64KiB, 10MiB, 1GB ... ; durations accept 250ms, 1s, 5m, 2h, 7d, 2y.
struct ByteSize {
  uint64_t bytes = 0;
};
using Duration = std::chrono::nanoseconds;

std::optional<uint64_t> parseByteSize(std::string_view text);
std::optional<Duration> parseDuration(std::string_view text);
std::string formatDuration(Duration d);

}  // namespace logship
