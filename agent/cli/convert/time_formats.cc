#include "agent/cli/convert/time_formats.h"

#include <array>
#include <string_view>
#include <utility>

namespace logship::convert {

namespace {

// Go's names for layouts, as Promtail's timestamp stage accepts them.
constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kNamedLayouts = {{
    {"ANSIC", "Mon Jan _2 15:04:05 2006"},
    {"UnixDate", "Mon Jan _2 15:04:05 MST 2006"},
    {"RubyDate", "Mon Jan 02 15:04:05 -0700 2006"},
    {"RFC822", "02 Jan 06 15:04 MST"},
    {"RFC822Z", "02 Jan 06 15:04 -0700"},
    {"RFC850", "Monday, 02-Jan-06 15:04:05 MST"},
    {"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
    {"RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"},
    {"Kitchen", "3:04PM"},
    {"Stamp", "Jan _2 15:04:05"},
    {"StampMilli", "Jan _2 15:04:05.000"},
    {"StampMicro", "Jan _2 15:04:05.000000"},
    {"StampNano", "Jan _2 15:04:05.000000000"},
}};

// Go layout elements, longest first where one is the start of another.
constexpr std::array<std::pair<std::string_view, std::string_view>, 29> kGoElements = {{
    {"January", "%B"}, {"Jan", "%b"},    {"Monday", "%A"}, {"Mon", "%a"}, {"MST", "%Z"},
    {"2006", "%Y"},    {"Z07:00", "%z"}, {"Z0700", "%z"},  {"Z07", "%z"}, {"-07:00", "%z"},
    {"-0700", "%z"},   {"-07", "%z"},    {"002", "%j"},    {"__2", "%j"}, {"_2", "%e"},
    {"01", "%m"},      {"02", "%d"},     {"04", "%M"},     {"05", "%S"},  {"06", "%y"},
    {"15", "%H"},      {"1", "%m"},      {"2", "%d"},      {"4", "%M"},   {"5", "%S"},
    {"03", ""},        {"3", ""},        {"PM", ""},       {"pm", ""},
}};

// A format without a year would give 1970: such times are left to the forms logship recognises,
// whose syslog (RFC 3164) form infers the year.
std::string withYear(const std::string& format, std::string& why) {
  for (const char* year : {"%Y", "%y", "%s", "%F"}) {
    if (format.find(year) != std::string::npos) return format;
  }
  why = "a time without a year is read as a syslog (RFC 3164) time, its year inferred";
  return std::string();
}

}  // namespace

std::optional<std::string> goLayoutToStrftime(const std::string& layout, std::string& why) {
  if (layout == "RFC3339" || layout == "RFC3339Nano" || layout == "Unix" || layout == "UnixMs" ||
      layout == "UnixUs" || layout == "UnixNs") {
    return std::string();
  }
  std::string_view go = layout;
  for (const auto& [name, value] : kNamedLayouts) {
    if (layout == name) go = value;
  }
  if (go == "2006-01-02T15:04:05Z07:00" || go == "2006-01-02T15:04:05.999999999Z07:00") {
    return std::string();
  }
  std::string out;
  for (size_t i = 0; i < go.size();) {
    // A fraction of a second: '.' or ',' and a run of 0s or 9s right after the seconds.
    if ((go[i] == '.' || go[i] == ',') && i + 1 < go.size() &&
        (go[i + 1] == '0' || go[i + 1] == '9') && out.ends_with("%S")) {
      out += go[i];
      out += "%f";
      i += 1;
      while (i < go.size() && (go[i] == '0' || go[i] == '9')) ++i;
      continue;
    }
    bool matched = false;
    for (const auto& [element, directive] : kGoElements) {
      if (go.substr(i, element.size()) != element) continue;
      if (directive.empty()) {
        why = "the 12-hour clock (\"" + std::string(element) + "\") has no logship equivalent";
        return std::nullopt;
      }
      out += directive;
      i += element.size();
      matched = true;
      break;
    }
    if (matched) continue;
    if (go[i] == '%') out += '%';
    out += go[i++];
  }
  return withYear(out, why);
}

std::optional<std::string> fluentBitTimeFormat(const std::string& format, std::string& why) {
  constexpr std::string_view kKnown = "YymedHMSfbhBaAjzZsTFnt%";
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 == format.size()) {
      out += format[i];
      continue;
    }
    char d = format[++i];
    if (d == 'L') {
      out += "%f";
    } else if (kKnown.find(d) != std::string_view::npos) {
      out += '%';
      out += d;
    } else {
      why = std::string("the directive %") + d + " has no logship equivalent";
      return std::nullopt;
    }
  }
  return withYear(out, why);
}

}  // namespace logship::convert
