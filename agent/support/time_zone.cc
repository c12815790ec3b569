#include "agent/support/time_zone.h"

#include <algorithm>
#include <charconv>

#include "agent/support/files.h"

namespace logship {
namespace {

uint32_t be32(const unsigned char* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
int64_t be64(const unsigned char* p) {
  return static_cast<int64_t>(uint64_t{be32(p)} << 32 | be32(p + 4));
}

// "+02:00", "-0530", "+2": seconds east of UTC.
bool parseOffset(std::string_view text, int32_t& out) {
  if (text.size() < 2 || (text[0] != '+' && text[0] != '-')) return false;
  const int sign = text[0] == '-' ? -1 : 1;
  std::string digits;
  for (char c : text.substr(1)) {
    if (c == ':') continue;
    if (c < '0' || c > '9') return false;
    digits.push_back(c);
  }
  int hours = 0, minutes = 0;
  if (digits.size() <= 2) {
    std::from_chars(digits.data(), digits.data() + digits.size(), hours);
  } else if (digits.size() == 4) {
    std::from_chars(digits.data(), digits.data() + 2, hours);
    std::from_chars(digits.data() + 2, digits.data() + 4, minutes);
  } else {
    return false;
  }
  if (hours > 14 || minutes > 59) return false;
  out = sign * (hours * 3600 + minutes * 60);
  return true;
}

}  // namespace

std::shared_ptr<const TimeZone> TimeZone::fixed(int32_t offset_seconds, std::string name) {
  auto zone = std::make_shared<TimeZone>();
  zone->name_ = std::move(name);
  zone->initial_ = offset_seconds;
  return zone;
}

std::shared_ptr<const TimeZone> TimeZone::fromTzif(std::string_view data, std::string name) {
  // RFC 8536: a 44-byte header, the version 1 data block (32-bit times), then, from version 2,
  // a second header and the same block with 64-bit times, which is the one read here.
  constexpr size_t kHeader = 44;
  auto header = [&](size_t at, uint32_t counts[6]) {
    if (data.size() < at + kHeader || data.substr(at, 4) != "TZif") return false;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data()) + at + 20;
    for (int i = 0; i < 6; ++i) counts[i] = be32(p + 4 * i);
    return true;
  };
  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  uint32_t v1[6];
  if (!header(0, v1) || data[4] < '2') return nullptr;
  const size_t v1_block = size_t{v1[3]} * 5 + size_t{v1[4]} * 6 + v1[5] + size_t{v1[2]} * 8 +
                          v1[1] + v1[0];
  const size_t second = kHeader + v1_block;
  uint32_t c[6];
  if (!header(second, c)) return nullptr;
  const size_t timecnt = c[3], typecnt = c[4];
  const size_t body = second + kHeader;
  if (typecnt == 0 || data.size() < body + timecnt * 9 + typecnt * 6) return nullptr;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data()) + body;
  const unsigned char* indices = p + timecnt * 8;
  const unsigned char* types = indices + timecnt;
  auto offsetOfType = [&](size_t type) { return static_cast<int32_t>(be32(types + 6 * type)); };
  auto zone = std::make_shared<TimeZone>();
  zone->name_ = std::move(name);
  zone->initial_ = offsetOfType(0);
  for (size_t i = 0; i < timecnt; ++i) {
    if (indices[i] >= typecnt) return nullptr;
    zone->transitions_.push_back(be64(p + 8 * i));
    zone->offsets_.push_back(offsetOfType(indices[i]));
  }
  return zone;
}

std::shared_ptr<const TimeZone> TimeZone::load(std::string_view name, std::string* error,
                                               const std::string& zoneinfo) {
  if (name == "UTC" || name == "Z" || name == "Etc/UTC") return fixed(0, "UTC");
  int32_t offset = 0;
  if (parseOffset(name, offset)) return fixed(offset, std::string(name));
  // An IANA name: letters, digits, '_', '-', '+' and '/' between its parts, nothing that climbs.
  const bool safe =
      !name.empty() && name.find("..") == std::string_view::npos && name.front() != '/' &&
      std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               ch == '_' || ch == '-' || ch == '+' || ch == '/';
      });
  if (!safe) {
    if (error) *error = "'" + std::string(name) + "' is not a time zone name";
    return nullptr;
  }
  const std::string path = zoneinfo + "/" + std::string(name);
  std::optional<std::string> data = readWholeFile(path);
  if (!data) {
    if (error) *error = "unknown time zone '" + std::string(name) + "' (no " + path + ")";
    return nullptr;
  }
  auto zone = fromTzif(*data, std::string(name));
  if (!zone && error) *error = path + " is not a TZif file of version 2 or later";
  return zone;
}

int32_t TimeZone::offsetAt(int64_t utc_seconds) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds);
  if (it == transitions_.begin()) return initial_;
  return offsets_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

LocalClock localClock(int64_t utc_ns, const TimeZone& zone) {
  int64_t seconds = utc_ns / 1'000'000'000 - (utc_ns % 1'000'000'000 < 0 ? 1 : 0);
  const int64_t local = seconds + zone.offsetAt(seconds);
  int64_t days = local / 86400;
  int64_t in_day = local % 86400;
  if (in_day < 0) {
    in_day += 86400;
    --days;
  }
  // 1970-01-01 was a Thursday (3 with Monday = 0).
  int weekday = static_cast<int>((days % 7 + 7 + 3) % 7);
  return LocalClock{static_cast<int>(in_day / 60), weekday};
}

}  // namespace logship
