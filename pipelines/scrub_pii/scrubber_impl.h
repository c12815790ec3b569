#pragma once

// The scrubber's internals, shared by pii_scrubber.cc (configuration and the public API),
// scan.cc (one scrub() call) and replacement.cc (what a match becomes). Internal to
// pipelines/scrub_pii.

#include <re2/re2.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/scrub_pii/hmac_sha256.h"
#include "pipelines/scrub_pii/pii_scrubber.h"
#include "pipelines/scrub_pii/trigger_scan.h"

namespace logship::scrub_pii {

// Built-in rules in builtinRuleNames() order; kCustom marks an RE2 rule.
enum class Kind : uint8_t { kEmail, kIpv4, kIpv6, kCard, kSsn, kPhone, kJwt, kSecret, kCustom };
inline constexpr size_t kBuiltinCount = 8;
inline constexpr std::array<std::string_view, kBuiltinCount> kBuiltinNames = {
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
inline constexpr size_t kCanonicalMax = 320;

inline bool isDigit(unsigned char c) { return static_cast<unsigned char>(c - '0') < 10; }

inline bool isHexOrColon(unsigned char c) {
  return isDigit(c) || static_cast<unsigned char>((c | 0x20) - 'a') < 6 || c == ':';
}

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

}  // namespace logship::scrub_pii
