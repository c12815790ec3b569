#include "pipelines/scrub_pii/pii_scrubber.h"

#include <re2/re2.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "pipelines/scrub_pii/builtin_matchers.h"
#include "pipelines/scrub_pii/hmac_sha256.h"
#include "pipelines/scrub_pii/substrate_key_matchers.h"
#include "pipelines/scrub_pii/trigger_scan.h"

namespace logship::scrub_pii {
namespace {

// Built-in rules in builtinRuleNames() order; kCustom marks an RE2 rule.
enum class Kind : uint8_t { kEmail, kIpv4, kIpv6, kCard, kSsn, kPhone, kJwt, kSecret, kCustom };
constexpr size_t kBuiltinCount = 8;
constexpr std::array<std::string_view, kBuiltinCount> kBuiltinNames = {
    "email", "ipv4", "ipv6", "card", "ssn", "phone", "jwt", "secret"};

constexpr size_t index(Kind kind) { return static_cast<size_t>(kind); }

// Which validators run at a candidate byte (see trigger_scan.h for how candidates are found).
enum Trigger : uint8_t {
  kNoTrigger = 0,
  kTriggerDigit,   // ipv4, card, ssn, phone, secret hex seeds; at a digit run not preceded by a
                   // word byte
  kTriggerAt,      // email
  kTriggerColon,   // ipv6; secret key/value and URL password
  kTriggerEquals,  // secret key/value
  kTriggerPlus,    // international phone
  kTriggerE,       // jwt ("eyJ"), at a word start
  kTriggerA,       // secret: AKIA/ASIA key ids, at a word start
  kTriggerB,       // secret: "Bearer ", "-----BEGIN", at a word start
  kTriggerSlash,   // secret: a secret URI, at the first '/' of "//"
};

// Enough for every canonical form built for hashing (an email is at most 64 + 1 + 253 bytes).
constexpr size_t kCanonicalMax = 320;

inline bool isDigit(unsigned char c) { return static_cast<unsigned char>(c - '0') < 10; }

inline bool isHexOrColon(unsigned char c) {
  return isDigit(c) || static_cast<unsigned char>((c | 0x20) - 'a') < 6 || c == ':';
}

bool isValidRuleName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string builtinList() {
  std::string list;
  for (std::string_view name : kBuiltinNames) {
    if (!list.empty()) list += ", ";
    list += name;
  }
  return list;
}

// Lowercase hex without leading zeros, as IPv6 text is written; returns the length (1-4).
size_t writeHexGroup(uint16_t group, char* dst) {
  return static_cast<size_t>(std::to_chars(dst, dst + 4, group, 16).ptr - dst);
}

void appendHexGroup(uint16_t group, std::string& out) {
  char buf[4];
  out.append(buf, writeHexGroup(group, buf));
}

// UTF-8 aware ends, so that masking custom values never splits a multi-byte character.
size_t firstCharLength(std::string_view v) {
  size_t n = 1;
  while (n < v.size() && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) ++n;
  return n;
}

size_t lastCharStart(std::string_view v) {
  size_t k = v.size() - 1;
  while (k > 0 && (static_cast<unsigned char>(v[k]) & 0xC0) == 0x80) --k;
  return k;
}

void appendDigitsMasked(std::string_view v, size_t keep_last, std::string& out) {
  size_t digits = 0;
  for (char c : v) digits += isDigit(static_cast<unsigned char>(c)) ? 1 : 0;
  const size_t masked = digits > keep_last ? digits - keep_last : 0;
  size_t seen = 0;
  for (char c : v) {
    if (isDigit(static_cast<unsigned char>(c))) {
      out.push_back(seen++ < masked ? '*' : c);
    } else {
      out.push_back(c);
    }
  }
}

void appendMasked(Kind kind, uint8_t shape, std::string_view v, std::string& out) {
  switch (kind) {
    case Kind::kEmail: {
      const size_t at = v.find('@');
      out.push_back(v.front());
      out += "***";
      out += v.substr(at == std::string_view::npos ? v.size() : at);
      return;
    }
    case Kind::kIpv4:
      out += v.substr(0, v.rfind('.') + 1);
      out += "xxx";
      return;
    case Kind::kIpv6: {
      uint16_t groups[8];
      if (!matchers::parseIpv6(v, groups)) break;
      for (int i = 0; i < 3; ++i) {
        appendHexGroup(groups[i], out);
        out.push_back(':');
      }
      out += "xxxx:xxxx:xxxx:xxxx:xxxx";
      return;
    }
    case Kind::kCard:
    case Kind::kSsn:
    case Kind::kPhone:
      appendDigitsMasked(v, 4, out);
      return;
    case Kind::kJwt:
      out += v.substr(0, v.find('.'));
      out += ".***";
      return;
    case Kind::kSecret:
      if (shape == matchers::kSecretAwsKeyId && v.size() == 20) {
        out += v.substr(0, 4);
        out.append(12, '*');
        out += v.substr(16);
        return;
      }
      if (shape == matchers::kSecretPemBlock) {
        const size_t header_dashes = v.find("-----", 5);
        if (header_dashes == std::string_view::npos) break;
        const size_t header_end = header_dashes + 5;
        out += v.substr(0, header_end);
        out += "***";
        const size_t footer = v.rfind("-----END ");
        if (footer != std::string_view::npos && footer >= header_end) out += v.substr(footer);
        return;
      }
      break;
    case Kind::kCustom:
      if (v.size() >= 6) {
        out += v.substr(0, firstCharLength(v));
        out += "***";
        out += v.substr(lastCharStart(v));
        return;
      }
      break;
  }
  out += "***";
}

// The HMAC input: the same value spelt differently must hash the same (see Action::kHash).
std::string_view canonicalForm(Kind kind, std::string_view v, char (&buf)[kCanonicalMax]) {
  size_t n = 0;
  switch (kind) {
    case Kind::kEmail:
      if (v.size() > kCanonicalMax) return v;
      for (char c : v) buf[n++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
      return {buf, n};
    case Kind::kIpv4: {
      // Drop leading zeros: "059.045.1.2" and "59.45.1.2" are the same address.
      bool in_octet_zeros = true;
      for (size_t i = 0; i < v.size() && n < kCanonicalMax; ++i) {
        const char c = v[i];
        if (c == '.') {
          if (in_octet_zeros) buf[n++] = '0';
          buf[n++] = '.';
          in_octet_zeros = true;
        } else if (c == '0' && in_octet_zeros) {
          continue;
        } else {
          buf[n++] = c;
          in_octet_zeros = false;
        }
      }
      if (in_octet_zeros && n < kCanonicalMax) buf[n++] = '0';
      return {buf, n};
    }
    case Kind::kIpv6: {
      uint16_t g[8];
      if (!matchers::parseIpv6(v, g)) return v;
      // RFC 5952: lowercase, no leading zeros, the first longest run of two or more zero
      // groups shortened to "::".
      int best_start = -1;
      int best_len = 1;
      for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0) ++j;
        if (j - i > best_len) {
          best_start = i;
          best_len = j - i;
        }
        i = j == i ? i + 1 : j;
      }
      for (int i = 0; i < 8;) {
        if (i == best_start) {
          buf[n++] = ':';
          buf[n++] = ':';
          i += best_len;
          continue;
        }
        if (i > 0 && i != best_start + best_len) buf[n++] = ':';
        n += writeHexGroup(g[i], buf + n);
        ++i;
      }
      return {buf, n};
    }
    case Kind::kPhone:
      if (!v.empty() && v.front() == '+') buf[n++] = '+';
      [[fallthrough]];
    case Kind::kCard:
    case Kind::kSsn:
      for (char c : v) {
        if (isDigit(static_cast<unsigned char>(c)) && n < kCanonicalMax) buf[n++] = c;
      }
      return {buf, n};
    default:
      return v;
  }
}

}  // namespace

std::string_view actionName(Action action) {
  switch (action) {
    case Action::kRedact:
      return "redact";
    case Action::kMask:
      return "mask";
    case Action::kHash:
      return "hash";
    case Action::kKeep:
      return "keep";
  }
  return "unknown";
}

std::optional<Action> parseAction(std::string_view name) {
  for (Action action : {Action::kRedact, Action::kMask, Action::kHash, Action::kKeep}) {
    if (name == actionName(action)) return action;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------

struct PiiScrubber::Impl {
  struct Rule {
    std::string name;
    Action action = Action::kRedact;
    Kind kind = Kind::kCustom;
    std::unique_ptr<const re2::RE2> regex;  // custom rules only
    bool replace_group = false;             // custom rule with a capture group
    std::string redacted;                   // "[REDACTED:<name>]"
    std::string hash_prefix;                // "[<name>:"
  };

  class Scan;

  // Appends what `rule` puts in place of `value`; `hmac` is created on first use.
  void render(const Rule& rule, uint8_t shape, std::string_view value,
              std::optional<HmacSha256::Context>& hmac, std::string& out) const;

  std::vector<Rule> rules;
  std::array<int16_t, kBuiltinCount> builtin_rule{};  // rule index, or -1 when not configured
  std::array<uint8_t, 256> triggers{};
  scan::TriggerSet trigger_set;
  std::vector<uint16_t> custom_rules;  // rule indices of RE2 rules
  std::unique_ptr<const HmacSha256> hmac;
  size_t hash_hex_chars = 16;
  bool mnemonics = false;  // the secret rule looks for BIP-39 mnemonics
  SecretKeyNames secret_keys;

  explicit Impl(ScrubberOptions& options);
};

PiiScrubber::Impl::Impl(ScrubberOptions& options) : secret_keys(options.secret_keys) {
  // This copy of the key must not outlive configuration, whether or not it is valid.
  struct WipeKey {
    std::string& key;
    ~WipeKey() { secureWipe(key); }
  } wipe_key{options.hmac_key};

  if (options.rules.empty()) {
    throw std::invalid_argument("scrub_pii: no rules configured; list built-in rules (" +
                                builtinList() + ") or custom rules with a pattern");
  }
  if (options.rules.size() > kMaxRules) {
    throw std::invalid_argument("scrub_pii: " + std::to_string(options.rules.size()) +
                                " rules configured, at most " + std::to_string(kMaxRules) +
                                " are supported");
  }
  builtin_rule.fill(-1);
  std::string first_hash_rule;  // named in the error when the key is missing
  for (size_t i = 0; i < options.rules.size(); ++i) {
    RuleSpec& spec = options.rules[i];
    if (spec.name.empty()) {
      throw std::invalid_argument("scrub_pii: rule #" + std::to_string(i + 1) + " has no name");
    }
    if (!isValidRuleName(spec.name)) {
      throw std::invalid_argument("scrub_pii: rule name '" + spec.name +
                                  "' may only contain letters, digits, '_' and '-'");
    }
    for (const Rule& earlier : rules) {
      if (earlier.name == spec.name) {
        throw std::invalid_argument("scrub_pii: rule '" + spec.name + "' is listed twice");
      }
    }
    const auto builtin = std::find(kBuiltinNames.begin(), kBuiltinNames.end(), spec.name);
    Rule rule;
    if (spec.pattern.empty()) {
      if (builtin == kBuiltinNames.end()) {
        throw std::invalid_argument("scrub_pii: unknown built-in rule '" + spec.name +
                                    "' (built-ins: " + builtinList() +
                                    "); give a pattern to define a custom rule");
      }
      rule.kind = static_cast<Kind>(builtin - kBuiltinNames.begin());
      builtin_rule[index(rule.kind)] = static_cast<int16_t>(i);
    } else {
      if (builtin != kBuiltinNames.end()) {
        throw std::invalid_argument("scrub_pii: custom rule '" + spec.name +
                                    "' has the name of a built-in rule; choose another name");
      }
      re2::RE2::Options re_options;
      re_options.set_log_errors(false);
      auto regex = std::make_unique<const re2::RE2>(spec.pattern, re_options);
      if (!regex->ok()) {
        throw std::invalid_argument("scrub_pii: rule '" + spec.name + "': invalid RE2 pattern '" +
                                    spec.pattern + "': " + regex->error());
      }
      if (re2::RE2::FullMatch("", *regex)) {
        throw std::invalid_argument("scrub_pii: rule '" + spec.name + "': pattern '" +
                                    spec.pattern +
                                    "' matches the empty string, so it would match everywhere");
      }
      rule.replace_group = regex->NumberOfCapturingGroups() >= 1;
      rule.regex = std::move(regex);
      custom_rules.push_back(static_cast<uint16_t>(i));
    }
    rule.name = spec.name;
    rule.action = spec.action;
    rule.redacted = "[REDACTED:" + spec.name + "]";
    rule.hash_prefix = "[" + spec.name + ":";
    if (spec.action == Action::kHash && first_hash_rule.empty()) first_hash_rule = spec.name;
    rules.push_back(std::move(rule));
  }
  if (options.hash_hex_chars < 8 || options.hash_hex_chars > 2 * kSha256Bytes) {
    throw std::invalid_argument("scrub_pii: hash_hex_chars must be between 8 and 64, got " +
                                std::to_string(options.hash_hex_chars));
  }
  hash_hex_chars = options.hash_hex_chars;
  if (!first_hash_rule.empty()) {
    if (options.hmac_key.empty()) {
      throw std::invalid_argument("scrub_pii: rule '" + first_hash_rule +
                                  "' uses the hash action, which needs an hmac_key");
    }
    hmac = std::make_unique<const HmacSha256>(options.hmac_key);
  }

  auto enabled = [this](Kind kind) { return builtin_rule[index(kind)] >= 0; };
  size_t anywhere = 0;
  size_t word_start = 0;
  auto addAnywhere = [&](char c, Trigger trigger) {
    triggers[static_cast<unsigned char>(c)] = trigger;
    trigger_set.anywhere[anywhere++] = static_cast<uint8_t>(c);
  };
  auto addWordStart = [&](char c, Trigger trigger) {
    triggers[static_cast<unsigned char>(c)] = trigger;
    trigger_set.word_start[word_start++] = static_cast<uint8_t>(c);
  };
  if (enabled(Kind::kIpv4) || enabled(Kind::kCard) || enabled(Kind::kSsn) ||
      enabled(Kind::kPhone) || enabled(Kind::kSecret)) {
    for (char c = '0'; c <= '9'; ++c) triggers[static_cast<unsigned char>(c)] = kTriggerDigit;
    trigger_set.digits = true;
    // What the IPv4, SSN and hex seed shape checks in onTrigger need a digit run to be followed
    // by, as bytes at offsets from the run's start (bit k: k bytes on); keep the two in step.
    // Phone numbers and cards take shapes common in logs (a year before '-' or ' ', a digit
    // twelve on): with either rule on, the filter costs more than it saves, and every run passes.
    if (!enabled(Kind::kPhone) && !enabled(Kind::kCard)) {
      constexpr uint8_t k1 = 1 << 1, k2 = 1 << 2, k3 = 1 << 3;
      if (enabled(Kind::kIpv4)) trigger_set.allowDigitsBefore('.', k1 | k2 | k3);
      if (enabled(Kind::kSsn)) trigger_set.allowDigitsBefore('-', k3);
      if (enabled(Kind::kSecret)) trigger_set.allowDigitsBefore('x', k1);
    }
  }
  if (enabled(Kind::kEmail)) addAnywhere('@', kTriggerAt);
  if (enabled(Kind::kIpv6) || enabled(Kind::kSecret)) addAnywhere(':', kTriggerColon);
  if (enabled(Kind::kPhone)) addAnywhere('+', kTriggerPlus);
  if (enabled(Kind::kSecret)) {
    addAnywhere('=', kTriggerEquals);
    addWordStart('A', kTriggerA);
    addWordStart('B', kTriggerB);
    triggers[static_cast<unsigned char>('/')] = kTriggerSlash;
    trigger_set.slash_pairs = true;
    mnemonics = true;
  }
  if (enabled(Kind::kJwt)) addWordStart('e', kTriggerE);
}

// ---------------------------------------------------------------------------------------------

// The state of one scrub() call. Matches are not written as soon as they are found: a later
// trigger can still produce a match that starts earlier (an email's '@' comes after its start),
// so candidates wait in a small sorted buffer until the scan is kMaxLookbehind bytes past their
// start, then the earliest (longest on ties) is written and whatever overlaps it is dropped.
class PiiScrubber::Impl::Scan {
 public:
  Scan(const Impl& impl, std::string_view text, std::string& out, MatchCounts* counts,
       std::vector<Match>* matches)
      : impl_(impl),
        text_(text),
        out_(out),
        counts_(counts),
        matches_(matches),
        has_custom_(!impl.custom_rules.empty()) {
    for (size_t k = 0; k < impl.custom_rules.size(); ++k) {
      cursors_[k] = Cursor{0, 0, 0, false, false};
    }
  }

  bool run();

 private:
  void onTrigger(size_t i);
  // Mnemonics are runs of lowercase words with no trigger byte: a pass of their own finds them
  // before the trigger scan, and offers them to wait in order with the other candidates.
  void offerMnemonics();

  // At most this many candidates wait at once. Built-in candidates wait for kMaxLookbehind
  // bytes of scanning and have distinct starts, so only contrived input fills the buffer; the
  // earliest is then committed early, which keeps the output well-formed.
  static constexpr size_t kMaxPending = 64;

  struct Candidate {
    size_t begin;
    size_t end;
    uint16_t rule;
    uint8_t shape;
  };

  // The next match of one custom rule.
  struct Cursor {
    size_t begin;
    size_t end;
    size_t search_from;
    bool ready;
    bool done;
  };

  void offer(const matchers::Span& span, int16_t rule) {
    offer(Candidate{span.begin, span.end, static_cast<uint16_t>(rule), span.shape});
  }
  void offer(const Candidate& c);
  void commitBefore(size_t limit) {
    while (pending_count_ > 0 && pending_[0].begin < limit) commitFirst();
  }
  void commitFirst();
  bool findCustom(size_t k);
  void offerCustomBefore(size_t limit);

  const Impl& impl_;
  const std::string_view text_;
  std::string& out_;
  MatchCounts* const counts_;
  std::vector<Match>* const matches_;
  const bool has_custom_;
  size_t resolved_end_ = 0;  // end of the last committed match: nothing may start before it
  size_t copied_ = 0;        // text before this offset has been appended to out_
  bool wrote_ = false;
  size_t ipv6_resume_ = 0;  // colons before this belong to a hex/colon run already judged
  size_t pending_count_ = 0;
  Candidate pending_[kMaxPending];  // sorted by begin, at most one per begin
  Cursor cursors_[kMaxRules];       // indexed like impl_.custom_rules
  std::optional<HmacSha256::Context> hmac_context_;
};

void PiiScrubber::Impl::Scan::offer(const Candidate& c) {
  if (c.begin < resolved_end_ || c.end <= c.begin) return;
  size_t k = 0;
  while (k < pending_count_ && pending_[k].begin < c.begin) ++k;
  if (k < pending_count_ && pending_[k].begin == c.begin) {
    Candidate& other = pending_[k];
    if (c.end > other.end || (c.end == other.end && c.rule < other.rule)) other = c;
    return;
  }
  if (pending_count_ == kMaxPending) {
    commitFirst();
    offer(c);
    return;
  }
  std::move_backward(pending_ + k, pending_ + pending_count_, pending_ + pending_count_ + 1);
  pending_[k] = c;
  ++pending_count_;
}

void PiiScrubber::Impl::Scan::commitFirst() {
  const Candidate c = pending_[0];
  size_t drop = 1;
  while (drop < pending_count_ && pending_[drop].begin < c.end) ++drop;
  std::move(pending_ + drop, pending_ + pending_count_, pending_);
  pending_count_ -= drop;
  resolved_end_ = c.end;

  const Rule& rule = impl_.rules[c.rule];
  if (counts_ != nullptr) ++counts_->by_rule[c.rule];
  if (rule.action == Action::kKeep) return;
  if (!wrote_) {
    // Replacements are about as long as what they replace: one allocation for the whole text.
    out_.reserve(out_.size() + text_.size() + 64);
    wrote_ = true;
  }
  out_.append(text_.substr(copied_, c.begin - copied_));
  impl_.render(rule, c.shape, text_.substr(c.begin, c.end - c.begin), hmac_context_, out_);
  copied_ = c.end;
  if (matches_ != nullptr) {
    matches_->push_back(
        Match{static_cast<uint32_t>(c.begin), static_cast<uint32_t>(c.end), c.rule, c.shape});
  }
}

void PiiScrubber::Impl::render(const Rule& rule, uint8_t shape, std::string_view value,
                               std::optional<HmacSha256::Context>& hmac_context,
                               std::string& out) const {
  switch (rule.action) {
    case Action::kRedact:
      out += rule.redacted;
      return;
    case Action::kMask:
      appendMasked(rule.kind, shape, value, out);
      return;
    case Action::kHash: {
      char buf[kCanonicalMax];
      const std::string_view input = canonicalForm(rule.kind, value, buf);
      if (!hmac_context) hmac_context.emplace(*hmac);
      Sha256Digest digest;
      if (!hmac_context->digest(input, digest)) {
        out += rule.redacted;  // OpenSSL failed: never fall back to the clear value
        return;
      }
      out += rule.hash_prefix;
      appendHex(digest, hash_hex_chars, out);
      out.push_back(']');
      return;
    }
    case Action::kKeep:
      return;
  }
}

bool PiiScrubber::Impl::Scan::findCustom(size_t k) {
  const Rule& rule = impl_.rules[impl_.custom_rules[k]];
  Cursor& cursor = cursors_[k];
  const size_t n = text_.size();
  // Matches overlapping committed text would be dropped anyway.
  size_t from = std::max(cursor.search_from, resolved_end_);
  re2::StringPiece groups[2];
  const int group_count = rule.replace_group ? 2 : 1;
  while (from <= n) {
    if (!rule.regex->Match(text_, from, n, re2::RE2::UNANCHORED, groups, group_count)) break;
    const size_t match_begin = static_cast<size_t>(groups[0].data() - text_.data());
    const size_t match_end = match_begin + groups[0].size();
    from = match_end > match_begin ? match_end : match_begin + 1;
    size_t begin = match_begin;
    size_t end = match_end;
    if (rule.replace_group) {
      if (groups[1].data() == nullptr) continue;  // optional group did not participate
      begin = static_cast<size_t>(groups[1].data() - text_.data());
      end = begin + groups[1].size();
    }
    if (end == begin) continue;
    cursor = Cursor{begin, end, from, true, false};
    return true;
  }
  cursor.done = true;
  return false;
}

// Offers custom-rule matches that start before `limit`, in start order across rules.
void PiiScrubber::Impl::Scan::offerCustomBefore(size_t limit) {
  const size_t count = impl_.custom_rules.size();
  for (;;) {
    size_t best = count;
    for (size_t k = 0; k < count; ++k) {
      Cursor& cursor = cursors_[k];
      if (cursor.done || (!cursor.ready && !findCustom(k))) continue;
      if (best == count || cursor.begin < cursors_[best].begin) best = k;
    }
    if (best == count || cursors_[best].begin >= limit) return;
    Cursor& cursor = cursors_[best];
    offer(Candidate{cursor.begin, cursor.end, impl_.custom_rules[best], 0});
    cursor.ready = false;
  }
}

void PiiScrubber::Impl::Scan::offerMnemonics() {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text_.data());
  const int16_t rule = impl_.builtin_rule[index(Kind::kSecret)];
  bool previous_full = false;
  size_t resume = 0;
  for (size_t block = 0; block + scan::kBlock <= text_.size(); block += scan::kBlock) {
    const bool full = scan::allMnemonicBytes(bytes + block);
    if (full && previous_full && block >= resume) {
      matchers::Span spans[4];
      const size_t found = matchers::mnemonics(text_, block, spans, std::size(spans), resume);
      for (size_t k = 0; k < found; ++k) offer(spans[k], rule);
    }
    previous_full = full;
  }
}

bool PiiScrubber::Impl::Scan::run() {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text_.data());
  const size_t n = text_.size();
  if (impl_.mnemonics && n >= matchers::kMnemonicMinBytes) offerMnemonics();
  const scan::BlockScanner scanner(impl_.trigger_set);
  const size_t readable = scan::kBlock + (impl_.trigger_set.readsAhead() ? scan::kLookahead : 0);
  bool prev_word = false;
  for (size_t block = 0; block < n; block += scan::kBlock) {
    const size_t len = std::min(scan::kBlock, n - block);
    uint32_t mask = n - block >= readable
                        ? scanner.mask(bytes + block, prev_word)
                        : scan::tailMask(scanner, bytes + block, n - block, prev_word);
    prev_word = isWordByte(bytes[block + len - 1]);
    while (mask != 0) {
      onTrigger(block + static_cast<size_t>(std::countr_zero(mask)));
      mask &= mask - 1;
    }
  }
  if (has_custom_) offerCustomBefore(std::numeric_limits<size_t>::max());
  commitBefore(std::numeric_limits<size_t>::max());
  if (wrote_) out_.append(text_.substr(copied_));
  return wrote_;
}

inline void PiiScrubber::Impl::Scan::onTrigger(size_t i) {
  const Trigger trigger =
      static_cast<Trigger>(impl_.triggers[static_cast<unsigned char>(text_[i])]);
  if (trigger == kNoTrigger) return;
  // Nothing this or any later trigger finds starts before `limit`, so pending matches that do
  // are final. Custom-rule matches join only once they are final too: offered in text order,
  // they can then never be overtaken, even if they are many.
  const size_t limit = i > matchers::kMaxLookbehind ? i - matchers::kMaxLookbehind : 0;
  if (has_custom_) offerCustomBefore(limit);
  if (pending_count_ != 0) commitBefore(limit);
  const int16_t* rule_of = impl_.builtin_rule.data();
  const auto* bytes = reinterpret_cast<const unsigned char*>(text_.data());
  const size_t n = text_.size();
  matchers::Span span;
  switch (trigger) {
    case kNoTrigger:
      return;
    case kTriggerDigit: {
      size_t run_end = i + 1;
      while (run_end < n && isDigit(bytes[run_end])) ++run_end;
      const size_t len = run_end - i;
      const char next = run_end < n ? text_[run_end] : '\0';
      // Cheap shape checks first: most digit runs (times, pids, counters) fail all of them. The
      // scanner only lets through runs that may pass them (see allowDigitsBefore above).
      if (len <= 3 && next == '.') {
        const int16_t r = rule_of[index(Kind::kIpv4)];
        if (r >= 0 && matchers::ipv4(text_, i, span)) offer(span, r);
      }
      if (len == 3 && next == '-') {
        const int16_t r = rule_of[index(Kind::kSsn)];
        if (r >= 0 && matchers::ssn(text_, i, span)) offer(span, r);
      }
      if ((len == 3 && (next == '-' || next == '.' || next == ')')) ||
          (len == 1 && bytes[i] == '1' && (next == '-' || next == ' ' || next == '.'))) {
        const int16_t r = rule_of[index(Kind::kPhone)];
        if (r >= 0 && matchers::phoneNorthAmerican(text_, i, span)) offer(span, r);
      }
      if (len >= 13 || (len == 4 && (next == ' ' || next == '-'))) {
        const int16_t r = rule_of[index(Kind::kCard)];
        if (r >= 0 && matchers::card(text_, i, span)) offer(span, r);
      }
      if (len == 1 && next == 'x' && bytes[i] == '0') {
        const int16_t r = rule_of[index(Kind::kSecret)];
        if (r >= 0 && matchers::secretHexSeed(text_, i, span)) offer(span, r);
      }
      return;
    }
    case kTriggerAt:
      if (matchers::email(text_, i, span)) offer(span, rule_of[index(Kind::kEmail)]);
      return;
    case kTriggerColon: {
      const int16_t secret = rule_of[index(Kind::kSecret)];
      if (secret >= 0) {
        if (i + 2 < n && bytes[i + 1] == '/' && bytes[i + 2] == '/') {
          if (matchers::secretUrlPassword(text_, i, span)) offer(span, secret);
        } else if (matchers::secretKeyValue(text_, i, impl_.secret_keys, span)) {
          offer(span, secret);
        }
      }
      // An address has a hex digit or another colon next to each of its colons; JSON's ":"
      // and "key: value" do not.
      const int16_t ip = rule_of[index(Kind::kIpv6)];
      if (ip >= 0 && i >= ipv6_resume_ &&
          ((i > 0 && isHexOrColon(bytes[i - 1])) || (i + 1 < n && isHexOrColon(bytes[i + 1]))) &&
          matchers::ipv6(text_, i, span, ipv6_resume_)) {
        offer(span, ip);
      }
      return;
    }
    case kTriggerEquals:
      if (matchers::secretKeyValue(text_, i, impl_.secret_keys, span)) {
        offer(span, rule_of[index(Kind::kSecret)]);
      }
      return;
    case kTriggerPlus:
      if (matchers::phoneInternational(text_, i, span)) offer(span, rule_of[index(Kind::kPhone)]);
      return;
    case kTriggerE:
      if (matchers::jwt(text_, i, span)) offer(span, rule_of[index(Kind::kJwt)]);
      return;
    case kTriggerA:
      if (matchers::secretAwsKeyId(text_, i, span)) offer(span, rule_of[index(Kind::kSecret)]);
      return;
    case kTriggerB:
      if (matchers::secretBearer(text_, i, span) || matchers::secretPemBlock(text_, i, span)) {
        offer(span, rule_of[index(Kind::kSecret)]);
      }
      return;
    case kTriggerSlash:
      if (matchers::secretUri(text_, i, span)) offer(span, rule_of[index(Kind::kSecret)]);
      return;
  }
}

// ---------------------------------------------------------------------------------------------

PiiScrubber::PiiScrubber(ScrubberOptions options) : impl_(std::make_unique<const Impl>(options)) {}

PiiScrubber::~PiiScrubber() = default;
PiiScrubber::PiiScrubber(PiiScrubber&&) noexcept = default;
PiiScrubber& PiiScrubber::operator=(PiiScrubber&&) noexcept = default;

bool PiiScrubber::scrub(std::string_view text, std::string& out, MatchCounts* counts) const {
  return scrub(text, out, counts, nullptr);
}

bool PiiScrubber::scrub(std::string_view text, std::string& out, MatchCounts* counts,
                        std::vector<Match>* matches) const {
  if (text.size() > std::numeric_limits<uint32_t>::max()) matches = nullptr;  // offsets are 32-bit
  Impl::Scan scan(*impl_, text, out, counts, matches);
  return scan.run();
}

bool PiiScrubber::replaceWithin(std::string_view whole, std::span<const Match> matches,
                                std::string_view part, std::string& out) const {
  const size_t from = static_cast<size_t>(part.data() - whole.data());
  const size_t to = from + part.size();
  auto first = std::partition_point(matches.begin(), matches.end(),
                                    [from](const Match& m) { return m.end <= from; });
  if (first == matches.end() || first->begin >= to) return false;
  std::optional<HmacSha256::Context> hmac_context;
  size_t copied = from;
  for (auto m = first; m != matches.end() && m->begin < to; ++m) {
    // A match reaching past the part (rare: a value glued to its neighbour) is cut to it.
    const size_t begin = std::max<size_t>(m->begin, from);
    const size_t end = std::min<size_t>(m->end, to);
    const Impl::Rule& rule = impl_->rules[m->rule];
    out.append(whole.substr(copied, begin - copied));
    impl_->render(rule, m->shape, whole.substr(begin, end - begin), hmac_context, out);
    copied = end;
  }
  out.append(whole.substr(copied, to - copied));
  return true;
}

bool PiiScrubber::replaceWhole(size_t rule, std::string_view value, std::string& out,
                               MatchCounts* counts) const {
  const Impl::Rule& r = impl_->rules.at(rule);
  if (counts != nullptr) ++counts->by_rule[rule];
  if (r.action == Action::kKeep) return false;
  std::optional<HmacSha256::Context> hmac_context;
  impl_->render(r, matchers::kSecretValue, value, hmac_context, out);
  return true;
}

std::optional<size_t> PiiScrubber::ruleIndex(std::string_view name) const {
  for (size_t i = 0; i < impl_->rules.size(); ++i) {
    if (impl_->rules[i].name == name) return i;
  }
  return std::nullopt;
}

const SecretKeyNames& PiiScrubber::secretKeyNames() const { return impl_->secret_keys; }

size_t PiiScrubber::ruleCount() const { return impl_->rules.size(); }

std::string_view PiiScrubber::ruleName(size_t index) const { return impl_->rules.at(index).name; }

Action PiiScrubber::ruleAction(size_t index) const { return impl_->rules.at(index).action; }

std::span<const std::string_view> PiiScrubber::builtinRuleNames() { return kBuiltinNames; }

std::vector<RuleSpec> PiiScrubber::builtinRules(Action action) {
  std::vector<RuleSpec> rules;
  for (std::string_view name : kBuiltinNames) rules.push_back({std::string(name), "", action});
  return rules;
}

}  // namespace logship::scrub_pii
