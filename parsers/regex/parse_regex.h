#pragma once

#include <re2/re2.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/config.h"
#include "agent/api/registry.h"
#include "parsers/common/parser_support.h"
#include "parsers/regex/regex_config.h"

namespace logship {

namespace regex_parser {

// How a captured value is stored (the `types` option).
enum class Conversion : uint8_t { kString, kInt, kFloat, kBool };

struct Capture {
  int group = 0;          // RE2 submatch index
  std::string_view key;   // field name: the group name with "__" read as "."; interned
  std::string_view name;  // the group name as written in the pattern; interned
  parsers::WellKnownKey known = parsers::WellKnownKey::kNone;
  Conversion conversion = Conversion::kString;
};

struct Pattern {
  std::string text;
  std::vector<Capture> captures;
  int submatches = 0;  // submatch slots to ask RE2 for: the highest named group + 1
};

inline constexpr int kMaxGroups = 64;

// Field name for a group name: RE2 names allow only [A-Za-z0-9_], so "source__ip" -> "source.ip".
std::string fieldNameForGroup(std::string_view group);

// Compiles every pattern once to validate it and to learn its named groups. Errors go to `diag`
// at the pattern's own location; returns the specs in order.
std::vector<Pattern> preparePatterns(const ParseRegexConfig& config, const ConfigNode& node,
                                     Diagnostics& diag);

}  // namespace regex_parser

// Matches the message (or `field`) against `patterns` in order with RE2 (linear time, no
// backtracking); the first that matches wins and its named groups become fields, converted as
// `types` says. Groups named timestamp/time/ts/@timestamp set the event time, level/severity/lvl
// its log.level, message/msg its message (the raw line then goes to event.original). Captures are
// views into the event's text. Each thread gets its own compiled copies of the patterns (RE2
// shares one DFA cache behind a lock otherwise).
class ParseRegex final : public Transform {
 public:
  ParseRegex(ParseRegexConfig config, BuildContext& ctx);

  void start(ComponentContext& context) override { errors_.start(context); }
  void process(Batch& batch, Emitter& out) override;

  // Parses one event in place with this thread's compiled patterns; returns the parse error
  // reason, empty on success.
  std::string_view parseEvent(Batch& batch, Event& event);

 private:
  using Compiled = std::vector<std::unique_ptr<const RE2>>;
  const Compiled& compiledForThisThread();
  std::string_view parseWith(const Compiled& compiled, Batch& batch, Event& event) const;

  ParseRegexConfig config_;
  std::vector<regex_parser::Pattern> patterns_;
  int32_t offset_seconds_ = 0;
  parsers::ParseErrorCounter errors_;
  // Looked up once per batch, never per event.
  std::mutex compiled_mutex_;
  std::vector<std::pair<std::thread::id, std::unique_ptr<Compiled>>> compiled_;
};

}  // namespace logship
