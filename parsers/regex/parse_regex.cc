#include "parsers/regex/parse_regex.h"

#include <algorithm>
#include <cstring>

#include "agent/support/timestamp.h"

namespace logship {
namespace regex_parser {
namespace {

RE2::Options compileOptions() {
  RE2::Options options;
  options.set_log_errors(false);  // errors are reported through Diagnostics with a location
  return options;
}

bool conversionFromName(std::string_view name, Conversion& out) {
  if (name == "string") {
    out = Conversion::kString;
  } else if (name == "int") {
    out = Conversion::kInt;
  } else if (name == "float") {
    out = Conversion::kFloat;
  } else if (name == "bool") {
    out = Conversion::kBool;
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string fieldNameForGroup(std::string_view group) {
  std::string key;
  key.reserve(group.size());
  for (size_t i = 0; i < group.size(); ++i) {
    if (group[i] == '_' && i + 1 < group.size() && group[i + 1] == '_') {
      key.push_back('.');
      ++i;
    } else {
      key.push_back(group[i]);
    }
  }
  return key;
}

std::vector<Pattern> preparePatterns(const ParseRegexConfig& config, const ConfigNode& node,
                                     Diagnostics& diag) {
  std::vector<Pattern> out;
  const ConfigNode patterns_node = node["patterns"];
  const std::vector<ConfigNode> items = patterns_node.items();
  std::vector<bool> type_used(config.types.size(), false);
  for (size_t i = 0; i < config.patterns.size(); ++i) {
    const Location where = i < items.size() ? items[i].location() : patterns_node.location();
    const RE2 re(config.patterns[i], compileOptions());
    if (!re.ok()) {
      diag.error(where, "invalid RE2 pattern: " + re.error());
      continue;
    }
    if (re.NumberOfCapturingGroups() >= kMaxGroups) {
      diag.error(where, "a pattern may have at most " + std::to_string(kMaxGroups - 1) +
                            " capturing groups");
      continue;
    }
    Pattern pattern;
    pattern.text = config.patterns[i];
    for (const auto& [name, index] : re.NamedCapturingGroups()) {
      Capture capture;
      capture.group = index;
      capture.name = parsers::internString(name);
      capture.key = parsers::internString(fieldNameForGroup(name));
      capture.known = parsers::classifyKey(capture.key);
      size_t t = 0;
      for (const auto& [type_key, type_name] : config.types) {
        if (type_key == capture.name || type_key == capture.key) {
          type_used[t] = true;
          if (!conversionFromName(type_name, capture.conversion)) {
            diag.error(node["types"][type_key].location(),
                       "type '" + type_name + "' is not one of: int, float, bool, string");
          }
        }
        ++t;
      }
      pattern.submatches = std::max(pattern.submatches, index + 1);
      pattern.captures.push_back(capture);
    }
    // Fields come out in the order the pattern names them.
    std::sort(pattern.captures.begin(), pattern.captures.end(),
              [](const Capture& a, const Capture& b) { return a.group < b.group; });
    out.push_back(std::move(pattern));
  }
  size_t t = 0;
  for (const auto& [type_key, type_name] : config.types) {
    // Only meaningful once every pattern compiled; otherwise the group may sit in a bad one.
    if (!type_used[t] && out.size() == config.patterns.size()) {
      diag.error(node["types"].location(),
                 "types names '" + type_key + "', which no pattern captures");
    }
    ++t;
  }
  return out;
}

}  // namespace regex_parser

using parsers::WellKnownKey;
using regex_parser::Conversion;

ParseRegex::ParseRegex(ParseRegexConfig config, BuildContext& ctx)
    : config_(std::move(config)),
      patterns_(regex_parser::preparePatterns(config_, ctx.node, ctx.diag)),
      offset_seconds_(parsers::parseUtcOffset(config_.timezone_offset).value_or(0)) {}

const ParseRegex::Compiled& ParseRegex::compiledForThisThread() {
  const std::thread::id self = std::this_thread::get_id();
  std::lock_guard lock(compiled_mutex_);
  for (auto& [id, compiled] : compiled_) {
    if (id == self) return *compiled;
  }
  auto compiled = std::make_unique<Compiled>();
  RE2::Options options;
  options.set_log_errors(false);
  for (const regex_parser::Pattern& pattern : patterns_) {
    compiled->push_back(std::make_unique<const RE2>(pattern.text, options));
  }
  compiled_.emplace_back(self, std::move(compiled));
  return *compiled_.back().second;
}

std::string_view ParseRegex::parseWith(const Compiled& compiled, Batch& batch, Event& event) const {
  const Event before = event;
  auto fail = [&](std::string_view reason) {
    parsers::markParseError(batch, event, before, reason);
    return reason;
  };
  const std::optional<std::string_view> input = parsers::inputText(batch, event, config_.field);
  if (!input) return fail("field to parse is missing");
  const re2::StringPiece text(input->data(), input->size());
  re2::StringPiece groups[regex_parser::kMaxGroups];
  for (size_t i = 0; i < patterns_.size() && i < compiled.size(); ++i) {
    const regex_parser::Pattern& pattern = patterns_[i];
    if (!compiled[i]->Match(text, 0, text.size(), RE2::UNANCHORED, groups, pattern.submatches)) {
      continue;
    }
    parsers::WellKnownSeen seen;
    for (const regex_parser::Capture& capture : pattern.captures) {
      const re2::StringPiece& group = groups[capture.group];
      if (group.data() == nullptr) continue;  // an optional group that did not take part
      const std::string_view value(group.data(), group.size());
      switch (capture.conversion) {
        case Conversion::kString:
          break;
        case Conversion::kInt: {
          int64_t number = 0;
          if (!parsers::parseInt64(value, number)) return fail("captured value is not an int");
          parsers::addFieldBounded(batch, event, capture.key, FieldValue::integer(number));
          continue;
        }
        case Conversion::kFloat: {
          double number = 0;
          if (!parsers::parseDouble(value, number)) return fail("captured value is not a float");
          parsers::addFieldBounded(batch, event, capture.key, FieldValue::real(number));
          continue;
        }
        case Conversion::kBool: {
          bool flag = false;
          if (!parsers::parseBool(value, flag)) return fail("captured value is not a bool");
          parsers::addFieldBounded(batch, event, capture.key, FieldValue::boolean(flag));
          continue;
        }
      }
      const std::optional<std::string_view> store = parsers::applyWellKnown(
          capture.known, capture.key, value, event, seen, [&](std::string_view v) {
            return config_.timestamp_format.empty()
                       ? timestamp::parseAny(v, before.timestamp_ns, offset_seconds_)
                       : timestamp::parseStrftime(v, config_.timestamp_format, offset_seconds_);
          });
      if (store) parsers::addFieldBounded(batch, event, *store, FieldValue::string(value));
    }
    if (seen.message) {
      parsers::addFieldBounded(batch, event, parsers::ecs::kOriginal,
                               FieldValue::string(before.message));
    }
    return {};
  }
  return fail("no pattern matched");
}

std::string_view ParseRegex::parseEvent(Batch& batch, Event& event) {
  return parseWith(compiledForThisThread(), batch, event);
}

void ParseRegex::process(Batch& batch, Emitter& out) {
  const Compiled& compiled = compiledForThisThread();
  uint64_t errors = 0;
  for (Event& event : batch.events()) errors += !parseWith(compiled, batch, event).empty();
  errors_.report(errors);
  out.emit(std::move(batch));
}

}  // namespace logship
