#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/scrub_pii/secret_key_names.h"

namespace logship::scrub_pii {

// What happens to a matched value.
//   kRedact  "[REDACTED:<rule>]".
//   kMask    keeps a little of the value for debugging; per rule:
//              email   first character of the local part and the domain: "j***@example.com"
//              ipv4    the /24, last octet replaced: "192.168.1.xxx" (not "192.168.1.0/24",
//                      which would read as a real network and change the token's shape)
//              ipv6    the /48 routing prefix: "2001:db8:85a3:xxxx:xxxx:xxxx:xxxx:xxxx"
//              card, ssn, phone  every digit but the last four becomes '*', separators kept, so
//                      the layout stays recognisable: "**** **** **** 1111", "***-**-6789"
//              jwt     the header segment (algorithm, key id; no claims): "eyJhbGciOi....***"
//              secret  nothing of a password or token ("***": any character shown is entropy
//                      given away), AWS key ids keep the AKIA/ASIA kind and the last four
//                      ("AKIA************MPLE", as the AWS console does), PEM blocks keep their
//                      BEGIN/END lines with the body replaced by "***"
//              custom  first and last character around "***" if the value has 6 or more
//                      bytes, otherwise "***"
//   kHash    "[<rule>:<hex>]": HMAC-SHA256 with ScrubberOptions::hmac_key, hex truncated to
//            hash_hex_chars. Deterministic across restarts and hosts so the same value still
//            correlates. The HMAC input is the value in a canonical form, so spellings of the
//            same value correlate too: email lowercased; ipv4 without leading zeros; ipv6 in
//            RFC 5952 form; card and ssn digits only; phone digits with the leading '+' if any.
//            Other rules hash the matched bytes as they are.
//   kKeep    leaves the value in place but counts it (to measure before enforcing).
enum class Action { kRedact, kMask, kHash, kKeep };

std::string_view actionName(Action action);
// "redact", "mask", "hash", "keep"; std::nullopt otherwise.
std::optional<Action> parseAction(std::string_view name);

struct RuleSpec {
  // Built-in rule name (see PiiScrubber::builtinRuleNames()) when `pattern` is empty, otherwise
  // the name of a custom rule: [A-Za-z0-9_-]+, used in "[REDACTED:<name>]" and metric labels.
  std::string name;
  // RE2 syntax. With a capture group only group 1 is replaced ("token=(\w+)"). Each custom rule
  // costs one RE2 search per event; a pattern that starts with a literal ("CUST-\d+") is about
  // twice as fast as one starting with \b or a character class, because RE2 can then skip ahead
  // with memchr.
  std::string pattern;
  Action action = Action::kRedact;
};

struct ScrubberOptions {
  std::vector<RuleSpec> rules;
  std::string hmac_key;  // raw key bytes, required when a rule hashes
  size_t hash_hex_chars = 16;
  // With the secret rule: keys whose values are secrets whatever their shape, in `key=value`,
  // `key: value` and `"key": "value"` text, and as field keys in scrub_pii.
  std::vector<std::string> secret_keys = SecretKeyNames::defaults();
};

inline constexpr size_t kMaxRules = 32;

// Matches per rule, indexed like ScrubberOptions::rules. Plain counters so that the transform
// can keep one per worker and fold them into its metrics without atomics on the hot path.
struct MatchCounts {
  std::array<uint64_t, kMaxRules> by_rule{};
};

// A value scrub() replaced: [begin, end) of the text, the rule and, for multi-shape rules, the
// shape that matched.
struct Match {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint16_t rule = 0;
  uint8_t shape = 0;
};

// The PII scrubbing engine of the scrub_pii transform.
//
// One pass over the text looks for cheap trigger bytes ('@', digit runs, ':', '=', '+', 'eyJ',
// 'AKIA', 'Bearer', '-----BEGIN', '//'); a hand-written validator then checks a small window
// around each trigger. The secret rule also takes BIP-39 mnemonics, found by a pass of their own
// over runs of lowercase words (see substrate_key_matchers.h). Custom rules run their RE2 over the
// text. Where matches overlap, the one that starts first wins, then the longest, then the rule
// listed first. Each rule finds its own matches left to right without overlapping itself.
//
// What is deliberately left alone: 0x-prefixed hashes without a key word such as "seed" before
// them (also abbreviated "0xe60b…9b0a"), UUIDs,
// 32-hex trace ids, libp2p peer ids, versions ("v1.2.3.4", "version 1.2.3.4", "1.2.3.4.5",
// "Chrome/120.0.0.0"), timestamps, epoch numbers, ports and pids. A dotted quad is an IPv4
// address when every octet is 0-255 and it is not glued to word characters or other dots; a
// trailing ".letters" is allowed because reverse-DNS host names embed the client's address
// ("static-059.45.101.203.isp.net"). A quad glued to letters on its left is not taken
// ("host129.206.196.21.isp.com"): that is the same rule that keeps "v1.2.3.4", and host names
// need a rule of their own.
// Cards must have an issuer prefix and length (Visa, Mastercard, Amex, Diners, JCB, Discover,
// UnionPay, Maestro) and pass Luhn, which keeps epoch-millisecond and nanosecond numbers out.
class PiiScrubber {
 public:
  // Throws std::invalid_argument with a message naming the rule for: no rules, too many rules,
  // a bad or duplicate name, an unknown built-in, a custom rule named like a built-in, an
  // invalid RE2 pattern or one that matches the empty string, a hash action without a key, or
  // hash_hex_chars outside [8, 64].
  explicit PiiScrubber(ScrubberOptions options);
  ~PiiScrubber();
  // A moved-from scrubber may only be destroyed or assigned to.
  PiiScrubber(PiiScrubber&&) noexcept;
  PiiScrubber& operator=(PiiScrubber&&) noexcept;

  // Scrubs `text`. Returns false and leaves `out` untouched when nothing was replaced (the
  // common case, which does not allocate). Otherwise appends the scrubbed text to `out` and
  // returns true. kKeep matches are counted but do not count as replacements. Thread-safe.
  bool scrub(std::string_view text, std::string& out, MatchCounts* counts = nullptr) const;
  // The same, also appending each replaced value to `matches`, in text order.
  bool scrub(std::string_view text, std::string& out, MatchCounts* counts,
             std::vector<Match>* matches) const;

  // Appends `part` to `out` with what `matches` (of a scrub() of `whole`, which holds `part`)
  // replaced inside it replaced again: a value that is a view into a text already scrubbed gets
  // the same decisions without a second scan. Returns false, appending nothing, when no match
  // touches `part`. Counts nothing: the whole text was counted.
  bool replaceWithin(std::string_view whole, std::span<const Match> matches, std::string_view part,
                     std::string& out) const;

  // Appends what rule `rule` puts in place of a match to `out`, for all of `value`: what
  // scrub_pii does with a value under a key that names a secret, whatever its shape. Counts the
  // match; returns false (and appends nothing) when the rule only keeps.
  bool replaceWhole(size_t rule, std::string_view value, std::string& out,
                    MatchCounts* counts = nullptr) const;

  const SecretKeyNames& secretKeyNames() const;

  // The index of the rule named `name`, if configured.
  std::optional<size_t> ruleIndex(std::string_view name) const;

  size_t ruleCount() const;
  std::string_view ruleName(size_t index) const;
  Action ruleAction(size_t index) const;

  static std::span<const std::string_view> builtinRuleNames();
  // Every built-in rule with the same action, in builtinRuleNames() order.
  static std::vector<RuleSpec> builtinRules(Action action);

 private:
  struct Impl;
  std::unique_ptr<const Impl> impl_;
};

}  // namespace logship::scrub_pii
