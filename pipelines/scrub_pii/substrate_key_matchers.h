#pragma once

#include <cstddef>
#include <string_view>

#include "pipelines/scrub_pii/builtin_matchers.h"

// The `secret` rule's shapes for the key material of Substrate (and other BIP-39) wallets and
// nodes, as `subkey`, polkadot-js and node operators write it:
//   - BIP-39 English mnemonics of 12, 15, 18, 21 or 24 words with a valid checksum
//     ("bottom drive obey lake curtain smoke basket hold race lonely fit walk"), with the
//     word-list words around them and any derivation path that follows
//     ("...walk//polkadot/0///pass");
//   - secret URIs: hard and soft junctions and a password ("//Alice", "//Alice//stash",
//     "//hard/soft///password");
//   - 0x-prefixed 32-byte hex seeds after a key word ("Secret seed: 0x...", "--node-key 0x...")
//     or followed by a derivation path. Block and extrinsic hashes have the same shape and no key
//     word, so they are left alone.
namespace logship::scrub_pii::matchers {

// The shortest mnemonic in bytes: twelve 3-letter words and eleven spaces.
inline constexpr size_t kMnemonicMinBytes = 12 * 3 + 11;

// Triggers at the first '/' of "//" that does not follow a word byte, ':' or '/'.
bool secretUri(std::string_view text, size_t slash, Span& span);

// Triggers at the '0' of "0x".
bool secretHexSeed(std::string_view text, size_t zero, Span& span);

// Finds mnemonics around text[at], a byte inside a run of lowercase letters and spaces. Writes
// up to `max` spans, in text order, and returns how many; `run_end` is set to the end of the run,
// so the caller can skip to it.
size_t mnemonics(std::string_view text, size_t at, Span* spans, size_t max, size_t& run_end);

// Whether `c` may belong to a mnemonic's run: a lowercase ASCII letter or a space.
constexpr bool isMnemonicByte(char c) { return (c >= 'a' && c <= 'z') || c == ' '; }

}  // namespace logship::scrub_pii::matchers
