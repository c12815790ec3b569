#include "outputs/common/backoff.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "agent/support/timestamp.h"

namespace logship {

Backoff::Backoff(Duration initial, Duration cap, std::function<double()> uniform)
    : initial_(initial), cap_(cap), uniform_(std::move(uniform)), rng_(std::random_device{}()) {
  if (initial_ <= Duration::zero()) initial_ = std::chrono::milliseconds(1);
  if (cap_ < initial_) cap_ = initial_;
}

Backoff::Duration Backoff::ceiling(uint32_t attempt) const {
  Duration d = initial_;
  for (uint32_t i = 0; i < attempt && d < cap_; ++i) d *= 2;
  return std::min(d, cap_);
}

Backoff::Duration Backoff::delay(uint32_t attempt, std::optional<Duration> retry_after) {
  double u = uniform_ ? uniform_() : std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  u = std::clamp(u, 0.0, 1.0);
  auto jittered = Duration(static_cast<int64_t>(static_cast<double>(ceiling(attempt).count()) * u));
  if (retry_after && *retry_after > jittered) {
    // A server asking for hours is misconfigured or hostile; never sleep longer than an hour.
    return std::min<Duration>(*retry_after, std::chrono::hours(1));
  }
  return jittered;
}

std::optional<std::chrono::nanoseconds> parseRetryAfter(std::string_view value,
                                                        int64_t now_unix_seconds) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return std::chrono::seconds(std::min<int64_t>(seconds, 86400));
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (value.size() != 29 || value.substr(25) != " GMT") return std::nullopt;
  auto num = [&](size_t pos, size_t len, int64_t& out) {
    auto r = std::from_chars(value.data() + pos, value.data() + pos + len, out);
    return r.ec == std::errc() && r.ptr == value.data() + pos + len;
  };
  int64_t day, year, hour, minute, second;
  if (!num(5, 2, day) || !num(12, 4, year) || !num(17, 2, hour) || !num(20, 2, minute) ||
      !num(23, 2, second)) {
    return std::nullopt;
  }
  unsigned month = 0;
  for (unsigned m = 0; m < 12; ++m) {
    if (value.substr(8, 3) == kMonths[m]) month = m + 1;
  }
  if (month == 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  int64_t at = timestamp::daysFromCivil(year, month, static_cast<unsigned>(day)) *
                   timestamp::kSecondsPerDay +
               hour * 3600 + minute * 60 + second;
  int64_t wait = std::clamp<int64_t>(at - now_unix_seconds, 0, 86400);
  return std::chrono::seconds(wait);
}

}  // namespace logship
