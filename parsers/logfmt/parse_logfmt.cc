#include "parsers/logfmt/parse_logfmt.h"

#include "agent/support/timestamp.h"

namespace logship {
namespace {

using parsers::WellKnownKey;

constexpr bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Writes the unescaped form of a quoted value's inside into the arena (it is never longer).
std::string_view unescape(Arena& arena, std::string_view raw) {
  char* out = static_cast<char*>(arena.allocate(raw.size(), 1));
  size_t length = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      const char next = raw[++i];
      switch (next) {
        case '"':
          c = '"';
          break;
        case '\\':
          c = '\\';
          break;
        case 'n':
          c = '\n';
          break;
        case 'r':
          c = '\r';
          break;
        case 't':
          c = '\t';
          break;
        default:
          // Unknown escapes are kept as written, so nothing the producer meant is lost.
          out[length++] = '\\';
          c = next;
          break;
      }
    }
    out[length++] = c;
  }
  return {out, length};
}

}  // namespace

ParseLogfmt::ParseLogfmt(ParseLogfmtConfig config, BuildContext&)
    : config_(std::move(config)),
      offset_seconds_(parsers::parseUtcOffset(config_.timezone_offset).value_or(0)) {}

std::string_view ParseLogfmt::parseEvent(Batch& batch, Event& event) const {
  const Event before = event;
  auto fail = [&](std::string_view reason) {
    parsers::markParseError(batch, event, before, reason);
    return reason;
  };
  const std::optional<std::string_view> input = parsers::inputText(batch, event, config_.field);
  if (!input) return fail("field to parse is missing");
  const std::string_view text = *input;
  const size_t n = text.size();
  size_t budget = static_cast<size_t>(config_.max_fields);
  size_t dropped = 0;
  size_t pairs = 0;
  parsers::WellKnownSeen seen;
  auto add = [&](std::string_view key, FieldValue value) {
    if (budget == 0 || !parsers::addFieldBounded(batch, event, key, value)) {
      ++dropped;
      return;
    }
    --budget;
  };

  size_t pos = 0;
  for (;;) {
    while (pos < n && isSpace(text[pos])) ++pos;
    if (pos == n) break;
    const size_t key_begin = pos;
    while (pos < n && !isSpace(text[pos]) && text[pos] != '=' && text[pos] != '"') ++pos;
    if (pos < n && text[pos] == '"') return fail("unexpected quote in key");
    const std::string_view key = text.substr(key_begin, pos - key_begin);
    if (key.empty()) return fail("missing key before '='");
    ++pairs;
    if (pos == n || isSpace(text[pos])) {
      if (!config_.bare_keys) return fail("word without '='");
      add(key, FieldValue::boolean(true));
      continue;
    }
    ++pos;  // '='
    std::string_view value;
    if (pos < n && text[pos] == '"') {
      const size_t begin = ++pos;
      bool escaped = false;
      while (pos < n && text[pos] != '"') {
        if (text[pos] == '\\') {
          escaped = true;
          ++pos;
        }
        ++pos;
      }
      if (pos >= n) return fail("unterminated quoted value");
      const std::string_view raw = text.substr(begin, pos - begin);
      ++pos;  // closing quote
      if (pos < n && !isSpace(text[pos])) return fail("text after closing quote");
      value = escaped ? unescape(batch.arena(), raw) : raw;
    } else {
      const size_t begin = pos;
      while (pos < n && !isSpace(text[pos])) ++pos;
      value = text.substr(begin, pos - begin);
    }

    const std::optional<std::string_view> store = parsers::applyWellKnown(
        parsers::classifyKey(key), key, value, event, seen, [&](std::string_view v) {
          return timestamp::parseAny(v, event.timestamp_ns, offset_seconds_);
        });
    if (store) add(*store, FieldValue::string(value));
  }
  if (pairs == 0) return fail("empty line");
  if (seen.message) {
    parsers::addFieldBounded(batch, event, parsers::ecs::kOriginal,
                             FieldValue::string(before.message));
  }
  if (dropped != 0) {
    parsers::addFieldBounded(batch, event, parsers::ecs::kTruncatedFields,
                             FieldValue::integer(static_cast<int64_t>(dropped)));
  }
  return {};
}

void ParseLogfmt::process(Batch& batch, Emitter& out) {
  uint64_t errors = 0;
  for (Event& event : batch.events()) errors += !parseEvent(batch, event).empty();
  errors_.report(errors);
  out.emit(std::move(batch));
}

}  // namespace logship
