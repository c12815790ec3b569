#include "outputs/common/template.h"

#include <charconv>

#include "agent/support/timestamp.h"

namespace logship {
namespace {

void appendPadded(std::string& out, int64_t value, int width) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  for (int n = static_cast<int>(end - buf); n < width; ++n) out.push_back('0');
  out.append(buf, end - buf);
}

}  // namespace

void appendFieldText(const FieldValue& value, std::string& out) {
  char buf[32];
  switch (value.kind) {
    case FieldValue::Kind::kString:
      out.append(value.string_value);
      return;
    case FieldValue::Kind::kInt: {
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value.int_value);
      out.append(buf, end - buf);
      return;
    }
    case FieldValue::Kind::kDouble: {
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value.double_value);
      out.append(buf, end - buf);
      return;
    }
    case FieldValue::Kind::kBool:
      out.append(value.bool_value ? "true" : "false");
      return;
  }
}

bool OutputTemplate::compile(std::string_view text, bool with_dates, std::string* error) {
  parts_.clear();
  text_ = std::string(text);
  constant_ = true;
  std::string literal;
  auto flushLiteral = [&] {
    if (!literal.empty()) parts_.push_back({PartKind::kLiteral, std::move(literal)});
    literal.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal.push_back('{');
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal.push_back('}');
      ++i;
    } else if (c == '{') {
      size_t close = text.find('}', i + 1);
      if (close == std::string_view::npos) {
        *error = "unclosed '{' in template '" + text_ + "'";
        return false;
      }
      std::string_view name = text.substr(i + 1, close - i - 1);
      if (name.empty() || name.find('{') != std::string_view::npos) {
        *error = "empty or nested placeholder in template '" + text_ + "'";
        return false;
      }
      flushLiteral();
      PartKind kind = PartKind::kField;
      if (name == "message") kind = PartKind::kMessage;
      if (name == "log.level") kind = PartKind::kLevel;
      if (name == "tier") kind = PartKind::kTier;
      if (name == "correlation_id") kind = PartKind::kCorrelationId;
      parts_.push_back({kind, std::string(name)});
      constant_ = false;
      i = close;
    } else if (c == '}') {
      *error = "unmatched '}' in template '" + text_ + "' (write '}}' for a literal brace)";
      return false;
    } else if (with_dates && c == '%' && i + 1 < text.size()) {
      char d = text[i + 1];
      PartKind kind;
      switch (d) {
        case 'Y':
          kind = PartKind::kYear;
          break;
        case 'm':
          kind = PartKind::kMonth;
          break;
        case 'd':
          kind = PartKind::kDay;
          break;
        case 'H':
          kind = PartKind::kHour;
          break;
        case '%':
          literal.push_back('%');
          ++i;
          continue;
        default:
          *error = std::string("unknown date directive '%") + d + "' in template '" + text_ +
                   "' (known: %Y %m %d %H %%)";
          return false;
      }
      flushLiteral();
      parts_.push_back({kind, {}});
      constant_ = false;
      ++i;
    } else {
      literal.push_back(c);
    }
  }
  flushLiteral();
  return true;
}

std::vector<std::string> OutputTemplate::fieldNames() const {
  std::vector<std::string> names;
  for (const Part& p : parts_) {
    if (p.kind != PartKind::kLiteral && !p.text.empty()) names.push_back(p.text);
  }
  return names;
}

void OutputTemplate::render(const Batch& batch, const Event& event, std::string& out) const {
  timestamp::CivilDate date;
  int64_t seconds_of_day = 0;
  bool date_ready = false;
  auto needDate = [&] {
    if (date_ready) return;
    int64_t seconds = event.timestamp_ns / timestamp::kNanosPerSecond;
    if (event.timestamp_ns % timestamp::kNanosPerSecond < 0) --seconds;
    int64_t days = seconds / timestamp::kSecondsPerDay;
    seconds_of_day = seconds % timestamp::kSecondsPerDay;
    if (seconds_of_day < 0) {
      seconds_of_day += timestamp::kSecondsPerDay;
      --days;
    }
    date = timestamp::civilFromDays(days);
    date_ready = true;
  };
  for (const Part& p : parts_) {
    switch (p.kind) {
      case PartKind::kLiteral:
        out.append(p.text);
        break;
      case PartKind::kMessage:
        out.append(event.message);
        break;
      case PartKind::kLevel:
        if (event.severity != Severity::kUnset) {
          out.append(toString(event.severity));
        } else if (const Field* f = batch.findField(event, p.text)) {
          appendFieldText(f->value, out);
        }
        break;
      case PartKind::kTier:
        if (event.tier < tier_names_.size()) {
          out.append(tier_names_[event.tier]);
        } else if (const Field* f = batch.findField(event, p.text)) {
          appendFieldText(f->value, out);
        }
        break;
      case PartKind::kCorrelationId:
        if (!event.correlation_id.empty()) {
          out.append(event.correlation_id);
        } else if (const Field* f = batch.findField(event, p.text)) {
          appendFieldText(f->value, out);
        }
        break;
      case PartKind::kField:
        if (const Field* f = batch.findField(event, p.text)) appendFieldText(f->value, out);
        break;
      case PartKind::kYear:
        needDate();
        appendPadded(out, date.year, 4);
        break;
      case PartKind::kMonth:
        needDate();
        appendPadded(out, date.month, 2);
        break;
      case PartKind::kDay:
        needDate();
        appendPadded(out, date.day, 2);
        break;
      case PartKind::kHour:
        needDate();
        appendPadded(out, seconds_of_day / 3600, 2);
        break;
    }
  }
}

}  // namespace logship
