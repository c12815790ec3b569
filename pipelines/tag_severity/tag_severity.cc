#include "pipelines/tag_severity/tag_severity.h"

#include <tmmintrin.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "agent/support/ascii.h"

namespace logship {

namespace severity_text {
namespace {

constexpr size_t kMaxWord = 13;

struct Word {
  std::string_view name;
  Severity level;
  bool tag_only;  // counts in a message only when written in capitals
};

constexpr Word kWords[] = {
    {"emerg", Severity::kCritical, false},    {"emergency", Severity::kCritical, false},
    {"alert", Severity::kCritical, true},     {"crit", Severity::kCritical, false},
    {"critical", Severity::kCritical, false}, {"fatal", Severity::kCritical, false},
    {"panic", Severity::kCritical, false},    {"err", Severity::kHigh, false},
    {"error", Severity::kHigh, false},        {"severe", Severity::kHigh, false},
    {"high", Severity::kHigh, true},          {"warn", Severity::kMedium, false},
    {"warning", Severity::kMedium, false},    {"medium", Severity::kMedium, true},
    {"notice", Severity::kLow, true},         {"low", Severity::kLow, true},
    {"info", Severity::kInfo, true},          {"information", Severity::kInfo, true},
    {"informational", Severity::kInfo, true}, {"debug", Severity::kDebug, true},
    {"trace", Severity::kDebug, true},        {"verbose", Severity::kDebug, true},
};

// Most words of a message are no level name: a hash of length and three letters sends each to a
// bucket of at most two candidates, mostly none.
constexpr size_t kBuckets = 128;
constexpr size_t wordBucket(std::string_view word) {
  return (word.size() * 97 + static_cast<unsigned char>(asciiLower(word[0])) * 31 +
          static_cast<unsigned char>(asciiLower(word[1])) * 7 +
          static_cast<unsigned char>(asciiLower(word.back()))) %
         kBuckets;
}
constexpr uint8_t kNoWord = 0xFF;
struct WordTable {
  std::array<std::array<uint8_t, 2>, kBuckets> slots;
  bool fits;
};
constexpr WordTable kWordTable = [] {
  WordTable t{};
  t.fits = true;
  for (auto& bucket : t.slots) bucket = {kNoWord, kNoWord};
  for (uint8_t i = 0; i < std::size(kWords); ++i) {
    auto& bucket = t.slots[wordBucket(kWords[i].name)];
    if (bucket[0] == kNoWord) {
      bucket[0] = i;
    } else if (bucket[1] == kNoWord) {
      bucket[1] = i;
    } else {
      t.fits = false;
    }
  }
  return t;
}();
static_assert(kWordTable.fits, "three level words share a bucket: change wordBucket");

// Which second letters follow each first letter in a level word, in any case: most words of a
// message fail this before they are hashed.
constexpr std::array<uint32_t, 26> kSecondLetters = [] {
  std::array<uint32_t, 26> t{};
  for (const Word& w : kWords) {
    t[asciiLower(w.name[0]) - 'a'] |= 1u << (asciiLower(w.name[1]) - 'a');
  }
  return t;
}();

// The level word `word` is, in any case, compared where it lies; nullptr when it is none.
inline __attribute__((always_inline)) const Word* findWord(std::string_view word) {
  if (word.size() < 3 || word.size() > kMaxWord) return nullptr;
  const unsigned first = static_cast<unsigned char>(word[0] | 0x20) - 'a';
  const unsigned second = static_cast<unsigned char>(word[1] | 0x20) - 'a';
  if (first >= 26 || second >= 26 || (kSecondLetters[first] >> second & 1) == 0) return nullptr;
  for (uint8_t index : kWordTable.slots[wordBucket(word)]) {
    if (index == kNoWord) break;
    if (equalsLowercase(word, kWords[index].name)) return &kWords[index];
  }
  return nullptr;
}

// A pre-filter of word starts, 16 at a time, on the first three letters (any case): Teddy-style,
// each of eight buckets of level words says which low and high nibbles its words' first, second
// and third letters have; a position is kept when one bucket allows all six nibbles. A superset
// of the level words' starts: most words of a message are dropped here, before they are measured.
struct PrefixTables {
  std::array<std::array<uint8_t, 16>, 3> low, high;  // by letter position, then nibble
};
constexpr PrefixTables kPrefixTables = [] {
  PrefixTables t{};
  int bucket = 0;
  for (const Word& w : kWords) {
    const auto bit = static_cast<uint8_t>(1u << (bucket++ % 8));
    for (size_t i = 0; i < 3; ++i) {
      const auto letter = static_cast<uint8_t>(w.name[i]);
      t.low[i][letter & 15] |= bit;
      t.high[i][letter >> 4] |= bit;
    }
  }
  return t;
}();

// Bit b of byte k set when bucket b allows the letter at[k] by both its nibbles.
__attribute__((target("ssse3"))) inline __m128i letterBuckets(const char* at, __m128i low_table,
                                                              __m128i high_table) {
  const __m128i nibble = _mm_set1_epi8(0x0F);
  const __m128i c =
      _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at)), _mm_set1_epi8(0x20));
  return _mm_and_si128(_mm_shuffle_epi8(low_table, _mm_and_si128(c, nibble)),
                       _mm_shuffle_epi8(high_table, _mm_and_si128(_mm_srli_epi16(c, 4), nibble)));
}

// Bit k set when p[k], p[k + 1], p[k + 2] may begin a level word; p holds 66 readable bytes.
__attribute__((target("ssse3"))) uint64_t levelWordCandidates(const char* p) {
  auto table = [](const std::array<uint8_t, 16>& t) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.data()));
  };
  __m128i low[3], high[3];
  for (int i = 0; i < 3; ++i) {
    low[i] = table(kPrefixTables.low[i]);
    high[i] = table(kPrefixTables.high[i]);
  }
  uint64_t mask = 0;
  for (int k = 0; k < 64; k += 16) {
    const __m128i all = _mm_and_si128(_mm_and_si128(letterBuckets(p + k, low[0], high[0]),
                                                    letterBuckets(p + k + 1, low[1], high[1])),
                                      letterBuckets(p + k + 2, low[2], high[2]));
    const int none = _mm_movemask_epi8(_mm_cmpeq_epi8(all, _mm_setzero_si128()));
    mask |= static_cast<uint64_t>(~none & 0xFFFF) << k;
  }
  return mask;
}

bool hasSsse3() { return __builtin_cpu_supports("ssse3"); }

bool hasLowercase(std::string_view word) {
  for (char c : word) {
    if (c >= 'a' && c <= 'z') return true;
  }
  return false;
}

}  // namespace

Severity levelFromNumber(int64_t number) {
  if (number >= 0 && number <= 7) return levelFromSyslogCode(number);
  if (number >= 60) return Severity::kCritical;
  if (number >= 50) return Severity::kHigh;
  if (number >= 40) return Severity::kMedium;
  if (number >= 30) return Severity::kInfo;
  if (number >= 10) return Severity::kDebug;
  return Severity::kUnset;
}

Severity levelFromSyslogCode(int64_t code) {
  static constexpr Severity kBySyslog[8] = {
      Severity::kCritical, Severity::kCritical, Severity::kCritical, Severity::kHigh,
      Severity::kMedium,   Severity::kLow,      Severity::kInfo,     Severity::kDebug};
  if (code < 0 || code > 7) return Severity::kUnset;
  return kBySyslog[code];
}

Severity levelFromText(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '[')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == ']')) text.remove_suffix(1);
  if (text.empty()) return Severity::kUnset;
  if (text.front() >= '0' && text.front() <= '9') {
    if (auto n = valueInteger(FieldValue::string(text))) return levelFromNumber(*n);
    return Severity::kUnset;
  }
  if (const Word* w = findWord(text)) return w->level;
  // Single letters some loggers print (E, W, I, D) and glog's F.
  if (text.size() == 1) {
    switch (asciiLower(text[0])) {
      case 'f':
        return Severity::kCritical;
      case 'e':
        return Severity::kHigh;
      case 'w':
        return Severity::kMedium;
      case 'i':
        return Severity::kInfo;
      case 'd':
        return Severity::kDebug;
      default:
        break;
    }
  }
  return Severity::kUnset;
}

Severity levelFromPri(std::string_view message) {
  if (message.size() < 3 || message[0] != '<') return Severity::kUnset;
  int value = 0;
  size_t i = 1;
  while (i < message.size() && i <= 3 && message[i] >= '0' && message[i] <= '9') {
    value = value * 10 + (message[i] - '0');
    ++i;
  }
  if (i == 1 || i >= message.size() || message[i] != '>' || value > 191) return Severity::kUnset;
  return levelFromSyslogCode(value & 7);
}

Severity levelFromWords(std::string_view message) {
  // Word starts are found 64 bytes at a time from a mask of word bytes (letters, digits, '_', so
  // "log_error" or "errors" are not the word "error"), and only those that pass the prefix filter
  // are measured and looked up.
  static const bool prefix_filter = hasSsse3();
  const size_t n = message.size();
  bool after_word = false;  // the byte before the block is a word byte
  for (size_t base = 0; base < n; base += 64) {
    const size_t len = std::min<size_t>(64, n - base);
    const char* block = message.data() + base;
    const uint64_t word = wordByteMask(block, len);
    uint64_t starts = word & ~(word << 1 | static_cast<uint64_t>(after_word));
    after_word = (word >> (len - 1)) & 1;
    if (prefix_filter && starts != 0) {
      char padded[80];
      if (n - base < 66) {
        std::memset(padded, 0, sizeof padded);
        std::memcpy(padded, block, len);
        block = padded;
      }
      starts &= levelWordCandidates(block);
    }
    for (; starts != 0; starts &= starts - 1) {
      const size_t begin = base + std::countr_zero(starts);
      size_t end = begin + 1;
      while (end < n && end - begin <= kMaxWord && isWordByte(message[end])) ++end;
      if (end - begin > kMaxWord) continue;
      const std::string_view text = message.substr(begin, end - begin);
      const Word* w = findWord(text);
      if (w != nullptr && (!w->tag_only || !hasLowercase(text))) return w->level;
    }
  }
  return Severity::kUnset;
}

}  // namespace severity_text

namespace {

std::vector<std::string> lookupNames(const TagSeverityConfig& config) {
  std::vector<std::string> names = config.fields;
  if (!config.syslog_code_field.empty()) names.push_back(config.syslog_code_field);
  return names;
}

}  // namespace

TagSeverity::TagSeverity(TagSeverityConfig config, BuildContext& ctx)
    : lookup_(lookupNames(config)),
      level_fields_(config.fields.size()),
      message_(config.message),
      overwrite_(config.overwrite) {
  TierNames tiers = tierNames(ctx.global);
  default_ =
      config.default_level == "none" ? Severity::kUnset : severityFromName(config.default_level);
  if (!config.rules.defined()) return;
  if (!config.rules.isSequence()) {
    ctx.diag.error(config.rules.location(), "rules must be a list of {when, set | raise_to}");
    return;
  }
  for (const ConfigNode& item : config.rules.items()) {
    if (!item.isMap()) {
      ctx.diag.error(item.location(), "a rule is a map {when, set | raise_to}");
      continue;
    }
    std::optional<Condition> when;
    std::optional<Severity> level;
    bool raise_only = false;
    bool ok = true;
    for (auto& [key, value] : item.entries()) {
      std::string name = key.yaml().Scalar();
      if (name == "when") {
        when = Condition::compile(value, tiers, ctx.diag, &ctx.global.lists);
        ok = ok && when.has_value();
      } else if (name == "set" || name == "raise_to") {
        std::string text;
        if (!readValue(value, text, ctx.diag)) {
          ok = false;
          continue;
        }
        Severity s = severityFromName(text);
        if (s == Severity::kUnset) {
          ctx.diag.error(value.location(), "'" + text +
                                               "' is not one of: critical, high, medium, low, "
                                               "info, debug");
          ok = false;
        } else if (level) {
          ctx.diag.error(key.location(), "a rule takes one of set or raise_to");
          ok = false;
        }
        level = s;
        raise_only = name == "raise_to";
      } else {
        ctx.diag.error(key.location(),
                       "unknown rule key '" + name + "' (known: when, set, raise_to)");
        ok = false;
      }
    }
    if (!ok) continue;
    if (!when || !level) {
      ctx.diag.error(item.location(), "a rule needs when and one of set or raise_to");
      continue;
    }
    rules_.push_back(Rule{std::move(*when), *level, raise_only});
  }
}

Severity TagSeverity::derive(const Event& event, const Field* const* found) const {
  for (size_t i = 0; i < level_fields_; ++i) {
    // log.level reads Event::severity first; here only a field's own text counts.
    const Field* field = found[i];
    if (field == nullptr) continue;
    Severity s = Severity::kUnset;
    switch (field->value.kind) {
      case FieldValue::Kind::kString:
        s = severity_text::levelFromText(field->value.string_value);
        break;
      case FieldValue::Kind::kInt:
        s = severity_text::levelFromNumber(field->value.int_value);
        break;
      case FieldValue::Kind::kDouble:
        s = severity_text::levelFromNumber(static_cast<int64_t>(field->value.double_value));
        break;
      case FieldValue::Kind::kBool:
        break;
    }
    if (s != Severity::kUnset) return s;
  }
  if (lookup_.size() > level_fields_) {
    if (const Field* field = found[level_fields_]) {
      if (auto code = valueInteger(field->value)) {
        Severity s = severity_text::levelFromSyslogCode(*code);
        if (s != Severity::kUnset) return s;
      }
    }
  }
  if (message_) {
    Severity s = severity_text::levelFromPri(event.message);
    if (s != Severity::kUnset) return s;
    s = severity_text::levelFromWords(event.message);
    if (s != Severity::kUnset) return s;
  }
  return default_;
}

void TagSeverity::process(Batch& batch, Emitter& out) {
  std::vector<const Field*> found(lookup_.size());
  for (Event& e : batch.events()) {
    if (overwrite_ || e.severity == Severity::kUnset) {
      lookup_.find(batch, e, found.data());
      e.severity = derive(e, found.data());
    }
    for (const Rule& rule : rules_) {
      if (!rule.when.matches(batch, e)) continue;
      if (!rule.raise_only || rule.level > e.severity) e.severity = rule.level;
    }
  }
  out.emit(std::move(batch));
}

}  // namespace logship
