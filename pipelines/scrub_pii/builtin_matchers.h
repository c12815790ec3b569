#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pipelines/scrub_pii/secret_key_names.h"

// Hand-written validators for the built-in rules. The scrubber finds cheap trigger bytes in one
// pass and calls the validator for that trigger; each validator looks at a small window around
// the trigger and never scans the whole text, which is what keeps scrubbing at memchr-like speed.
// A regex per rule would be simpler to read but costs a full pass per rule (see the speed budget
// in ARCHITECTURE.md).
namespace logship::scrub_pii::matchers {

// The bytes a rule replaces, [begin, end) in the scanned text, and for multi-shape rules which
// shape matched (so that the mask action can keep the right parts).
struct Span {
  size_t begin = 0;
  size_t end = 0;
  uint8_t shape = 0;
};

enum SecretShape : uint8_t {
  kSecretValue = 0,     // value after a keyword, a URL password or a bearer token
  kSecretAwsKeyId = 1,  // AKIA/ASIA + 16
  kSecretPemBlock = 2,  // -----BEGIN ... PRIVATE KEY----- through its END line
  kSecretKeyMaterial =
      3,  // a BIP-39 mnemonic, a secret URI or a hex seed (substrate_key_matchers.h)
};

// Longest local part an email address may have (RFC 5321), and the longest textual IPv6
// address. They bound how far before its trigger a span can start, see kMaxLookbehind.
inline constexpr size_t kEmailMaxLocal = 64;
inline constexpr size_t kIpv6MaxText = 45;

// No validator returns a span that starts more than this many bytes before the trigger it was
// called for. The scanner relies on it to commit a pending match once it is this far past the
// match's start: no later trigger can produce an earlier-starting, overlapping match.
inline constexpr size_t kMaxLookbehind = kEmailMaxLocal;
static_assert(kIpv6MaxText <= kMaxLookbehind);

// Triggers: `at` is the '@'.
bool email(std::string_view text, size_t at, Span& span);

// Triggers at the first digit of a digit run (`pos`).
bool ipv4(std::string_view text, size_t pos, Span& span);
bool card(std::string_view text, size_t pos, Span& span);
bool ssn(std::string_view text, size_t pos, Span& span);
bool phoneNorthAmerican(std::string_view text, size_t pos, Span& span);

// Triggers at '+'.
bool phoneInternational(std::string_view text, size_t plus, Span& span);

// Triggers at ':'. `resume` is set past the hex/colon run around the colon: the caller skips
// IPv6 validation for colons before it, since they belong to a run already judged.
bool ipv6(std::string_view text, size_t colon, Span& span, size_t& resume);

// Triggers at the 'e' of "eyJ".
bool jwt(std::string_view text, size_t e, Span& span);

// The `secret` rule's shapes. Key/value triggers at '=' or ':'; URL password at the ':' of
// "://"; AWS key id at 'A'; bearer token and PEM block at 'B'.
//
// Validators for triggers that are letters or digits reject a match preceded by a word
// character [A-Za-z0-9_]; the scanner relies on that to skip those triggers inside words (see
// trigger_scan.h).
bool secretKeyValue(std::string_view text, size_t separator, const SecretKeyNames& names,
                    Span& span);
bool secretUrlPassword(std::string_view text, size_t colon, Span& span);
bool secretAwsKeyId(std::string_view text, size_t a, Span& span);
bool secretBearer(std::string_view text, size_t b, Span& span);
bool secretPemBlock(std::string_view text, size_t b, Span& span);

// Parses a whole IPv6 address (as returned by ipv6()) into its eight groups.
bool parseIpv6(std::string_view address, uint16_t (&groups)[8]);

}  // namespace logship::scrub_pii::matchers
