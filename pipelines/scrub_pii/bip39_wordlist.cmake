# Writes ${BIP39_OUTPUT} (C++) from the BIP-39 English word list, which is part of the BIP-39
# standard; Debian ships it with python3-mnemonic. Used by pipelines/CMakeLists.txt (include) and
# tests/fuzz/fuzz.sh (cmake -DBIP39_OUTPUT=FILE -P this file).
find_file(LOGSHIP_BIP39_ENGLISH english.txt
          PATHS /usr/lib/python3/dist-packages/mnemonic/wordlist NO_DEFAULT_PATH REQUIRED
          DOC "BIP-39 English word list (Debian package python3-mnemonic)")
file(STRINGS ${LOGSHIP_BIP39_ENGLISH} bip39_words)
list(LENGTH bip39_words bip39_count)
if(NOT bip39_count EQUAL 2048)
  message(FATAL_ERROR "${LOGSHIP_BIP39_ENGLISH} holds ${bip39_count} words, not 2048")
endif()
list(JOIN bip39_words "\",\"" LOGSHIP_BIP39_WORDS)
configure_file(${CMAKE_CURRENT_LIST_DIR}/bip39_wordlist.cc.in ${BIP39_OUTPUT} @ONLY)
