#pragma once

// Allocation-free reader of Substrate / Polkadot / Cere node log lines:
//
//   2021-05-30 16:57:48 [Relaychain] ✨ Imported #8 (0xe60b…9b0a)
//   2025-02-11 09:12:30 🏆 Imported #2817 (0x2f31…0b2e → 0x9a1c…77d4)
//   2020-09-02 11:09:35.081 main WARN sc_service::builder  Using default protocol ID "sup" ...
//   2023-06-01 10:00:00.123  INFO tokio-runtime-worker substrate: [Parachain] 💤 Idle (0 peers) ...
//
// A timestamp (local time, optional milliseconds), an optional bracketed chain tag, an optional
// "thread LEVEL target" (or "LEVEL thread target:") header, then the message. The messages the
// node prints about its progress and its failures are recognised and their numbers extracted.
// The panic report sp-panic-handler writes to stderr (no timestamp, many lines once a multiline
// rule joined them) is read too. All strings are views into the text; keys are static.

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
  // The level the node logs this kind of message at, for output that prints no level; kUnset
  // when not recognised. Kinds that are always critical (equivocation, node_panic) say
  // kCritical, which outranks a printed level.
  Severity kind_severity = Severity::kUnset;
  bool timestamped = false;  // false only for a panic report
  static constexpr int kMaxFields = 12;
  ExtractedField fields[kMaxFields];
  int field_count = 0;
};

// False when the text neither starts with a "YYYY-MM-DD hh:mm:ss[.fff]" timestamp nor is the
// node's panic report; out is then reset. offset_seconds is the node's UTC offset (it logs local
// time).
bool parseSubstrateLine(std::string_view line, int32_t offset_seconds, SubstrateLine& out);

// The severity an event gets: the printed level, else the kind's; a critical kind always.
Severity substrateSeverity(const SubstrateLine& line);

// ERROR -> high, WARN -> medium, INFO -> info, DEBUG/TRACE -> debug; kUnset otherwise.
Severity severityFromSubstrateLevel(std::string_view level);

}  // namespace logship::substrate
