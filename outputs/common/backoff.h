#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string_view>

namespace logship {

// Exponential backoff with full jitter: attempt n waits a uniform random time in
// [0, min(cap, initial * 2^n)], so many agents retrying after one outage spread out instead of
// hammering the receiver in step. A server's Retry-After wins when it asks for longer.
class Backoff {
 public:
  using Duration = std::chrono::nanoseconds;
  // `uniform` returns a number in [0, 1); injectable so tests get exact delays.
  Backoff(Duration initial, Duration cap, std::function<double()> uniform = {});

  Duration delay(uint32_t attempt, std::optional<Duration> retry_after = std::nullopt);
  // The upper bound of attempt n before jitter.
  Duration ceiling(uint32_t attempt) const;

 private:
  Duration initial_;
  Duration cap_;
  std::function<double()> uniform_;
  std::mt19937_64 rng_;
};

// Parses a Retry-After header: delay seconds, or an HTTP date (relative to `now_unix_seconds`).
std::optional<std::chrono::nanoseconds> parseRetryAfter(std::string_view value,
                                                        int64_t now_unix_seconds);

}  // namespace logship
