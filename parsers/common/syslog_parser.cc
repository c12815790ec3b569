#include "parsers/common/syslog_parser.h"

#include <iterator>

#include "agent/support/timestamp.h"

namespace logship::syslog {
namespace {

constexpr bool isDigit(char c) { return c >= '0' && c <= '9'; }

constexpr bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// RFC 5424 SD-NAME characters: printable US-ASCII except '=', ' ', ']' and '"'.
constexpr bool isSdNameChar(char c) {
  return c > ' ' && c <= '~' && c != '=' && c != ']' && c != '"';
}

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string_view stripLineEnd(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

size_t skipSpaces(std::string_view s, size_t pos) {
  while (pos < s.size() && s[pos] == ' ') ++pos;
  return pos;
}

size_t tokenEnd(std::string_view s, size_t pos) {
  while (pos < s.size() && s[pos] != ' ') ++pos;
  return pos;
}

// Length of the well-formed SD-ELEMENTs at the start of s, 0 if the first one is malformed.
// Mirrors SdParamReader so that everything parseSyslog() accepts can be iterated.
size_t structuredDataLength(std::string_view s) {
  const size_t n = s.size();
  size_t pos = 0;
  while (pos < n && s[pos] == '[') {
    size_t i = pos + 1;
    const size_t id_begin = i;
    while (i < n && isSdNameChar(s[i])) ++i;
    if (i == id_begin) return 0;
    for (;;) {
      if (i >= n) return 0;
      if (s[i] == ']') {
        ++i;
        break;
      }
      if (s[i] != ' ') return 0;
      i = skipSpaces(s, i);
      if (i < n && s[i] == ']') continue;
      const size_t name_begin = i;
      while (i < n && isSdNameChar(s[i])) ++i;
      if (i == name_begin || i + 1 >= n || s[i] != '=' || s[i + 1] != '"') return 0;
      i += 2;
      while (i < n && s[i] != '"') i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
      if (i >= n) return 0;
      ++i;
    }
    pos = i;
  }
  return pos;
}

// True when the text after <PRI> starts with an RFC 5424 VERSION. Without a PRI the line must
// also carry an RFC 3339 timestamp, so that plain text such as "1 apple" is not taken as syslog.
bool looksLikeRfc5424(std::string_view rest, bool has_pri, int32_t offset_seconds) {
  if (rest.empty() || rest[0] < '1' || rest[0] > '9') return false;
  size_t i = 1;
  while (i < 3 && i < rest.size() && isDigit(rest[i])) ++i;
  if (i + 1 >= rest.size() || rest[i] != ' ') return false;
  const char next = rest[i + 1];
  if (has_pri) return next == '-' || isDigit(next);
  int64_t ns = 0;
  return timestamp::scanRfc3339(rest.substr(i + 1), offset_seconds, ns) > 0;
}

void parseRfc5424(std::string_view rest, const SyslogOptions& options, SyslogMessage& out) {
  out.rfc5424 = true;
  const size_t n = rest.size();
  size_t pos = 0;
  while (pos < n && isDigit(rest[pos])) ++pos;
  ++pos;  // the space after VERSION, checked by looksLikeRfc5424()

  if (pos < n && rest[pos] == '-' && (pos + 1 == n || rest[pos + 1] == ' ')) {
    ++pos;
  } else {
    int64_t ns = 0;
    const size_t consumed = timestamp::scanRfc3339(rest.substr(pos), options.offset_seconds, ns);
    if (consumed == 0 || (pos + consumed < n && rest[pos + consumed] != ' ')) {
      // Keep the undecodable remainder rather than dropping it.
      out.message = rest.substr(pos);
      return;
    }
    out.has_timestamp = true;
    out.timestamp_ns = ns;
    pos += consumed;
  }

  std::string_view* const header_fields[] = {&out.hostname, &out.app_name, &out.procid, &out.msgid};
  for (std::string_view* field : header_fields) {
    if (pos >= n) return;
    ++pos;  // separating space
    const size_t end = tokenEnd(rest, pos);
    const std::string_view token = rest.substr(pos, end - pos);
    *field = token == "-" ? std::string_view() : token;
    pos = end;
  }

  if (pos >= n) return;
  ++pos;
  if (pos < n && rest[pos] == '-' && (pos + 1 == n || rest[pos + 1] == ' ')) {
    ++pos;
  } else if (pos < n && rest[pos] == '[') {
    const size_t length = structuredDataLength(rest.substr(pos));
    if (length == 0) {
      out.message = rest.substr(pos);
      return;
    }
    out.structured_data = rest.substr(pos, length);
    pos += length;
  }
  if (pos < n && rest[pos] == ' ') ++pos;
  std::string_view message = rest.substr(pos);
  if (message.substr(0, kUtf8Bom.size()) == kUtf8Bom) message.remove_prefix(kUtf8Bom.size());
  out.message = message;
}

size_t tagWordEnd(std::string_view s, size_t pos) {
  while (pos < s.size() && s[pos] != ' ' && s[pos] != '[' && s[pos] != ':') ++pos;
  return pos;
}

// A word that can only be a TAG, never a HOSTNAME: "sshd[123]:", "su:".
bool looksLikeTag(std::string_view token) {
  return !token.empty() && (token.back() == ':' || token.find('[') != std::string_view::npos);
}

// Reads "tag: ", "tag[pid]: " or "tag[pid] " at pos. Two-word tags ("syslogd 1.4.1: ") are
// accepted because sysklogd and login write them; anything longer is message text.
bool parseTag(std::string_view rest, size_t& pos, SyslogMessage& out) {
  const size_t n = rest.size();
  const size_t begin = pos;
  size_t end = tagWordEnd(rest, begin);
  if (end == begin || end >= n) return false;
  if (rest[end] == ' ') {
    const size_t second = end + 1;
    end = tagWordEnd(rest, second);
    if (end == second || end >= n || rest[end] == ' ') return false;
  }

  size_t after = 0;
  std::string_view procid;
  if (rest[end] == '[') {
    size_t close = end + 1;
    while (close < n && rest[close] != ']' && rest[close] != ' ') ++close;
    if (close >= n || rest[close] != ']') return false;
    procid = rest.substr(end + 1, close - end - 1);
    after = close + 1;
    if (after < n && rest[after] == ':') {
      ++after;
    } else if (after < n && rest[after] != ' ') {
      return false;
    }
  } else {
    after = end + 1;
    // "key:value" or a URL is message text, not a tag.
    if (after < n && rest[after] != ' ') return false;
  }
  out.app_name = rest.substr(begin, end - begin);
  out.procid = procid;
  // Exactly one separating space: kernel lines indent their text with further spaces.
  if (after < n && rest[after] == ' ') ++after;
  pos = after;
  return true;
}

bool parseRfc3164(std::string_view rest, bool has_pri, const SyslogOptions& options,
                  SyslogMessage& out) {
  size_t consumed = 0;
  int64_t ns = 0;
  if (!rest.empty()) {
    if (isAlpha(rest[0])) {
      consumed = timestamp::scanSyslogTime(rest, options.reference_ns, options.offset_seconds, ns);
    } else if (isDigit(rest[0])) {
      consumed = timestamp::scanRfc3339(rest, options.offset_seconds, ns);
    }
  }
  size_t pos = 0;
  if (consumed > 0 && (consumed == rest.size() || rest[consumed] == ' ')) {
    out.has_timestamp = true;
    out.timestamp_ns = ns;
    pos = skipSpaces(rest, consumed);
  } else if (!has_pri) {
    return false;
  }

  // RFC 3164 only promises a HOSTNAME after a TIMESTAMP; a PRI-only line is all message.
  if (out.has_timestamp) {
    const size_t end = tokenEnd(rest, pos);
    if (!looksLikeTag(rest.substr(pos, end - pos))) {
      out.hostname = rest.substr(pos, end - pos);
      pos = skipSpaces(rest, end);
    }
  }
  parseTag(rest, pos, out);
  out.message = rest.substr(pos);
  return true;
}

constexpr std::string_view kSeverityNames[] = {"emerg",   "alert",  "crit", "err",
                                               "warning", "notice", "info", "debug"};

constexpr std::string_view kFacilityNames[] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7"};

}  // namespace

bool parseSyslog(std::string_view line, const SyslogOptions& options, SyslogMessage& out) {
  out = SyslogMessage{};
  line = stripLineEnd(line);
  size_t pos = 0;
  bool has_pri = false;
  if (!line.empty() && line[0] == '<') {
    int value = 0;
    size_t i = 1;
    while (i < line.size() && i <= 3 && isDigit(line[i])) {
      value = value * 10 + (line[i] - '0');
      ++i;
    }
    // PRI is at most 191 (facility 23, severity 7); anything else means this is not syslog.
    if (i == 1 || i >= line.size() || line[i] != '>' || value > 191) return false;
    out.pri = value;
    out.facility = value >> 3;
    out.severity = value & 7;
    has_pri = true;
    pos = i + 1;
  }
  const std::string_view rest = line.substr(pos);
  if (looksLikeRfc5424(rest, has_pri, options.offset_seconds)) {
    parseRfc5424(rest, options, out);
    return true;
  }
  if (!parseRfc3164(rest, has_pri, options, out)) {
    out = SyslogMessage{};
    return false;
  }
  return true;
}

std::string_view severityName(int severity) {
  if (severity < 0 || severity >= static_cast<int>(std::size(kSeverityNames))) return {};
  return kSeverityNames[severity];
}

std::string_view facilityName(int facility) {
  if (facility < 0 || facility >= static_cast<int>(std::size(kFacilityNames))) return {};
  return kFacilityNames[facility];
}

bool SdParamReader::next(SdParam& param) {
  const size_t n = sd_.size();
  auto fail = [this] {
    pos_ = sd_.size();
    in_element_ = false;
    return false;
  };
  for (;;) {
    if (!in_element_) {
      if (pos_ >= n || sd_[pos_] != '[') return fail();
      size_t i = pos_ + 1;
      const size_t id_begin = i;
      while (i < n && isSdNameChar(sd_[i])) ++i;
      if (i == id_begin) return fail();
      current_id_ = sd_.substr(id_begin, i - id_begin);
      in_element_ = true;
      pos_ = i;
    }
    if (pos_ >= n) return fail();
    if (sd_[pos_] == ']') {
      ++pos_;
      in_element_ = false;
      continue;
    }
    if (sd_[pos_] != ' ') return fail();
    size_t i = skipSpaces(sd_, pos_);
    if (i < n && sd_[i] == ']') {
      pos_ = i;
      continue;
    }
    const size_t name_begin = i;
    while (i < n && isSdNameChar(sd_[i])) ++i;
    if (i == name_begin || i + 1 >= n || sd_[i] != '=' || sd_[i + 1] != '"') return fail();
    const std::string_view name = sd_.substr(name_begin, i - name_begin);
    i += 2;
    const size_t value_begin = i;
    while (i < n && sd_[i] != '"') i += (sd_[i] == '\\' && i + 1 < n) ? 2 : 1;
    if (i >= n) return fail();
    param.sd_id = current_id_;
    param.name = name;
    param.raw_value = sd_.substr(value_begin, i - value_begin);
    pos_ = i + 1;
    return true;
  }
}

size_t unescapeSdValue(std::string_view raw_value, char* out) {
  size_t length = 0;
  for (size_t i = 0; i < raw_value.size(); ++i) {
    const char c = raw_value[i];
    if (c == '\\' && i + 1 < raw_value.size()) {
      const char escaped = raw_value[i + 1];
      if (escaped == '"' || escaped == '\\' || escaped == ']') {
        out[length++] = escaped;
        ++i;
        continue;
      }
    }
    out[length++] = c;
  }
  return length;
}

}  // namespace logship::syslog
