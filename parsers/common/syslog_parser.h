#pragma once

// Allocation-free syslog line parser (RFC 3164 "BSD" and RFC 5424 formats).
//
// All string fields of SyslogMessage are views into the input line, so the line must outlive
// the message. Nothing here allocates, throws or asserts on malformed input: the parser is
// lenient about what real daemons write and only rejects lines that are not syslog at all.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace logship::syslog {

struct SyslogMessage {
  int pri = -1;  // from <PRI> when present
  int facility = -1;
  int severity = -1;
  int64_t timestamp_ns = 0;  // UTC; valid only when has_timestamp
  bool has_timestamp = false;
  std::string_view hostname;
  std::string_view app_name;  // RFC 3164 TAG without the [pid], e.g. "sshd(pam_unix)"
  std::string_view procid;
  std::string_view msgid;
  std::string_view structured_data;  // raw "[id k=\"v\"]..." text, escapes untouched
  std::string_view message;
  bool rfc5424 = false;
};

struct SyslogOptions {
  // Time the line was read (UTC ns), used to infer the missing year of RFC 3164 timestamps.
  int64_t reference_ns = 0;
  // UTC offset of timestamps that carry no zone (RFC 3164 and zone-less ISO timestamps).
  int32_t offset_seconds = 0;
};

// Parses one line (a trailing "\r\n" or "\n" is ignored). Recognised shapes:
//   <34>1 2003-10-11T22:14:15.003Z host app procid msgid [sd-id k="v"] msg   (RFC 5424)
//   <13>Jun 14 15:16:01 host tag[pid]: msg                                    (RFC 3164)
//   Jun 14 15:16:01 host tag: msg                                             (no PRI)
//   2024-01-02T03:04:05.123456+00:00 host tag[pid]: msg                       (rsyslog ISO)
//   <13>free text                                                             (PRI only)
// RFC 3164 headers are read leniently: the hostname is absent when the first word after the
// timestamp already looks like a tag ("sshd[1]:" or "su:"), and a two-word tag followed by ':'
// ("syslogd 1.4.1: restart.") stays one app name. A line without a recognisable tag keeps
// everything after the hostname as the message. Returns false only when the line is neither
// prefixed by <PRI> nor starts with a timestamp, i.e. is not syslog; out is then reset.
bool parseSyslog(std::string_view line, const SyslogOptions& options, SyslogMessage& out);

// "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"; empty when out of range.
std::string_view severityName(int severity);

// "kern", "user", "mail", ..., "local7"; empty when out of range.
std::string_view facilityName(int facility);

struct SdParam {
  std::string_view sd_id;
  std::string_view name;
  std::string_view raw_value;  // between the quotes, RFC 5424 escapes (\" \\ \]) still present
};

// Pull-style reader over RFC 5424 structured data. Stops at the first malformed byte, so it is
// safe on any input, not only on what parseSyslog() accepted.
class SdParamReader {
 public:
  explicit SdParamReader(std::string_view structured_data) : sd_(structured_data) {}

  // Advances to the next parameter; false at the end of the data or on malformed input.
  bool next(SdParam& param);

 private:
  std::string_view sd_;
  size_t pos_ = 0;
  std::string_view current_id_;
  bool in_element_ = false;
};

// Calls f(sd_id, name, raw_value) for each parameter, in order. Elements without parameters
// produce no call. If f returns bool, returning false stops the iteration.
template <class F>
void forEachSdParam(std::string_view structured_data, F&& f) {
  SdParamReader reader(structured_data);
  SdParam param;
  while (reader.next(param)) {
    if constexpr (std::is_same_v<std::invoke_result_t<F&, std::string_view, std::string_view,
                                                      std::string_view>,
                                 bool>) {
      if (!f(param.sd_id, param.name, param.raw_value)) return;
    } else {
      f(param.sd_id, param.name, param.raw_value);
    }
  }
}

// Removes RFC 5424 escapes from a raw parameter value. out must hold raw_value.size() bytes
// (the result is never longer); returns the unescaped length. A backslash before any other
// character is kept, as the RFC requires.
size_t unescapeSdValue(std::string_view raw_value, char* out);

}  // namespace logship::syslog
