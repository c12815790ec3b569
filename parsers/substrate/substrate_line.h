#pragma once

// Allocation-free reader of Substrate / Polkadot / Cere node log lines:
//
//   2021-05-30 16:57:48 [Relaychain] ✨ Imported #8 (0xe60b…9b0a)
//   2020-09-02 11:09:35.081 main WARN sc_service::builder  Using default protocol ID "sup" ...
//   2023-06-01 10:00:00.123  INFO tokio-runtime-worker substrate: [Parachain] 💤 Idle (0 peers) ...
//
// A timestamp (local time, optional milliseconds), an optional bracketed chain tag, an optional
// "thread LEVEL target" (or "LEVEL thread target:") header, then the message. The emoji-led
// messages the node prints about its progress are recognised and their numbers extracted. All
// strings are views into the line; keys are static.

#include <cstdint>
#include <string_view>

#include "agent/api/event.h"

namespace logship::substrate {

struct ExtractedField {
  std::string_view key;  // static storage, e.g. "substrate.block.number"
  FieldValue value;
};

struct SubstrateLine {
  int64_t timestamp_ns = 0;
  std::string_view chain;   // "Relaychain" for "[Relaychain]"
  std::string_view thread;  // "main", "tokio-runtime-worker"
  std::string_view level;   // "WARN" as written
  std::string_view target;  // "sc_service::builder"
  std::string_view body;    // the message after the header
  std::string_view action;  // static, e.g. "block_imported"; empty when not recognised
  static constexpr int kMaxFields = 10;
  ExtractedField fields[kMaxFields];
  int field_count = 0;
};

// False when the line does not start with a "YYYY-MM-DD hh:mm:ss[.fff]" timestamp; out is then
// reset. offset_seconds is the node's UTC offset (it logs local time).
bool parseSubstrateLine(std::string_view line, int32_t offset_seconds, SubstrateLine& out);

// ERROR -> high, WARN -> medium, INFO -> info, DEBUG/TRACE -> debug; kUnset otherwise.
Severity severityFromSubstrateLevel(std::string_view level);

}  // namespace logship::substrate
