#pragma once

#include <span>
#include <string_view>

namespace logship::scrub_pii {

// The BIP-39 English word list: 2048 words of 3 to 8 lowercase letters, sorted, each word's
// position being the 11-bit value it encodes. Compiled in from Debian's python3-mnemonic data
// (see pipelines/CMakeLists.txt).
std::span<const std::string_view> bip39EnglishWords();

// The word's index in the list, or -1.
int bip39Index(std::string_view word);

}  // namespace logship::scrub_pii
