#pragma once

// Reads one Linux audit record as auditd writes it to audit.log:
//
//   [node=NAME ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): key=value key="value" ...
//
// Kernel records carry key=value pairs; records from user space (USER_*, CRED_*, SERVICE_*) put
// theirs inside msg='...'. With log_format=ENRICHED, auditd appends a 0x1d (group separator)
// followed by translated values under upper-case keys (UID="root" AUID="alice" SYSCALL=execve).
// Nothing here allocates: every view points into the line.

#include <cstdint>
#include <string_view>

#include "agent/api/arena.h"

namespace logship::auditd {

struct AuditRecord {
  std::string_view node;      // node= prefix (name_format), empty without
  std::string_view type;      // "SYSCALL", "EXECVE", ...; "UNKNOWN[1334]" for unnamed types
  int64_t time_ns = 0;        // msg=audit(SECONDS.MILLIS:...)
  uint64_t serial = 0;        // events of one syscall share it
  std::string_view body;      // the raw key=value part
  std::string_view enriched;  // after the 0x1d separator, empty in RAW format
};

// Parses the header; false when `line` is not an audit record.
bool parseAuditRecord(std::string_view line, AuditRecord& out);

struct AuditField {
  std::string_view key;
  std::string_view value;  // without its quotes
  bool quoted = false;     // "..." or '...': the value is text, never hex
};

// Iterates the key=value pairs of a body, descending into msg='...' of user-space records.
// Tokens without '=' ("auditd start,") are skipped.
class FieldReader {
 public:
  explicit FieldReader(std::string_view body) : rest_(body) {}
  bool next(AuditField& out);

 private:
  std::string_view rest_;
  std::string_view outer_;  // what follows msg='...' while its inside is read
};

// Whether the kernel writes this key's value as hex when it holds a space, a quote or a control
// character (audit_log_untrustedstring): then an unquoted value is hex.
bool isUntrustedStringKey(std::string_view record_type, std::string_view key);

// Decodes an even-length run of hex digits into the arena; false (out untouched) otherwise.
// `nul_as_space` turns NUL bytes into spaces (proctitle separates the arguments with NULs).
bool decodeHex(std::string_view hex, Arena& arena, std::string_view& out,
               bool nul_as_space = false);

// The value as text: quoted values as they are, hex-encoded ones decoded into the arena.
// "(null)" and "?" give an empty view.
std::string_view fieldText(std::string_view record_type, const AuditField& field, Arena& arena);

}  // namespace logship::auditd
