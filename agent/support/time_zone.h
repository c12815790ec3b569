#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace logship {

// A time zone: "UTC", a fixed offset ("+02:00", "-0530"), or an IANA name ("Europe/Berlin")
// read from the system's tz database (/usr/share/zoneinfo, Debian's tzdata: TZif files, RFC 8536).
// Past the last transition of the file the last offset holds, which Debian's files (written
// with their transitions up to 2037) make right until then.
class TimeZone {
 public:
  // nullptr, with `error`, for an unknown name or an unreadable file.
  static std::shared_ptr<const TimeZone> load(std::string_view name, std::string* error,
                                              const std::string& zoneinfo = "/usr/share/zoneinfo");
  // Parses TZif data (version 2 or later: its 64-bit section); nullptr when malformed.
  static std::shared_ptr<const TimeZone> fromTzif(std::string_view data, std::string name);
  static std::shared_ptr<const TimeZone> fixed(int32_t offset_seconds, std::string name);

  // Seconds east of UTC at the UTC time `utc_seconds`.
  int32_t offsetAt(int64_t utc_seconds) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::vector<int64_t> transitions_;  // UTC seconds, ascending
  std::vector<int32_t> offsets_;      // the offset from each transition on
  int32_t initial_ = 0;               // before the first transition
};

// Local time of day and weekday of an instant in a zone.
struct LocalClock {
  int minute_of_day;  // 0-1439
  int weekday;        // 0 = Monday ... 6 = Sunday
};
LocalClock localClock(int64_t utc_ns, const TimeZone& zone);

}  // namespace logship
