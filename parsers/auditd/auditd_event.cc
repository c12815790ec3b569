#include "parsers/auditd/auditd_event.h"

#include <string>

#include "agent/support/json_writer.h"
#include "parsers/auditd/audit_record.h"
#include "parsers/common/parser_support.h"

namespace logship::auditd {
namespace {

namespace ecs = parsers::ecs;

// Records that add detail to the syscall record of their event and never name the event.
bool isAuxiliaryType(std::string_view type) {
  static constexpr std::string_view kTypes[] = {
      "SYSCALL", "EXECVE",  "PATH",       "CWD", "PROCTITLE", "EOE",        "SOCKADDR",
      "MMAP",    "FD_PAIR", "BPRM_FCAPS", "IPC", "OBJ_PID",   "SOCKETCALL", "CAPSET"};
  for (std::string_view t : kTypes) {
    if (type == t) return true;
  }
  return false;
}

struct Classification {
  std::string_view action;  // lower-case record type
  std::string_view category;
  std::string_view type;
};

// ECS categorisation of the record types an event is named after.
constexpr Classification kClassifications[] = {
    {"execve", "process", "start"},
    {"user_login", "authentication", "start"},
    {"user_logout", "authentication", "end"},
    {"user_auth", "authentication", "info"},
    {"user_acct", "authentication", "info"},
    {"user_err", "authentication", "info"},
    {"cred_acq", "authentication", "info"},
    {"cred_disp", "authentication", "info"},
    {"cred_refr", "authentication", "info"},
    {"anom_login_failures", "authentication", "info"},
    {"user_start", "session", "start"},
    {"user_end", "session", "end"},
    {"login", "authentication", "start"},
    {"add_user", "iam", "creation"},
    {"del_user", "iam", "deletion"},
    {"add_group", "iam", "creation"},
    {"del_group", "iam", "deletion"},
    {"user_mgmt", "iam", "change"},
    {"grp_mgmt", "iam", "change"},
    {"user_chauthtok", "iam", "change"},
    {"chuser_id", "iam", "change"},
    {"chgrp_id", "iam", "change"},
    {"acct_lock", "iam", "change"},
    {"acct_unlock", "iam", "change"},
    {"service_start", "process", "start"},
    {"service_stop", "process", "end"},
    {"config_change", "configuration", "change"},
    {"daemon_config", "configuration", "change"},
    {"netfilter_cfg", "configuration", "change"},
    {"usys_config", "configuration", "change"},
    {"mac_policy_load", "configuration", "change"},
    {"kern_module", "driver", "change"},
    {"avc", "process", "denied"},
    {"anom_abend", "process", "end"},
};

std::string_view lowerInArena(std::string_view text, Arena& arena) {
  char* out = static_cast<char*>(arena.allocate(text.size(), 1));
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    out[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return {out, text.size()};
}

class FieldWriter {
 public:
  FieldWriter(Batch& batch, Event& event, size_t max) : batch_(batch), event_(event), max_(max) {}

  void add(std::string_view key, FieldValue value) {
    if (event_.field_count >= max_ || event_.field_count >= parsers::kMaxFieldsPerEvent) {
      ++dropped_;
      return;
    }
    batch_.addField(event_, key, value);
  }
  // The first value of a key wins: SYSCALL comes before the records that repeat pid= or uid=.
  void text(std::string_view key, std::string_view value) {
    if (!value.empty() && event_.findField(key) == nullptr) add(key, FieldValue::string(value));
  }
  void number(std::string_view key, std::string_view value) {
    if (value.empty() || event_.findField(key) != nullptr) return;
    int64_t n = 0;
    if (parsers::parseInt64(value, n)) {
      add(key, FieldValue::integer(n));
    } else {
      add(key, FieldValue::string(value));
    }
  }
  size_t dropped() const { return dropped_; }

 private:
  Batch& batch_;
  Event& event_;
  size_t max_;
  size_t dropped_ = 0;
};

// auditd.log.<key>, the key copied once into the arena.
void addOther(FieldWriter& out, Arena& arena, const Event& event, std::string_view key,
              std::string_view value) {
  if (value.empty()) return;
  std::string_view full = parsers::joinKey(arena, "auditd.log", key);
  if (event.findField(full) == nullptr) out.text(full, value);
}

// Maps one value of a SYSCALL, user-space or other naming record; false leaves it to
// auditd.log.*.
bool mapCommon(FieldWriter& out, std::string_view key, std::string_view value,
               std::string_view& outcome, std::string_view& audit_key) {
  if (key == "pid") {
    out.number(ecs::kProcessPid, value);
  } else if (key == "ppid") {
    out.number("process.parent.pid", value);
  } else if (key == "exe") {
    out.text("process.executable", value);
  } else if (key == "comm") {
    out.text(ecs::kProcessName, value);
  } else if (key == "uid") {
    out.text("user.id", value);
  } else if (key == "auid") {
    out.text("user.audit.id", value);
  } else if (key == "euid") {
    out.text("user.effective.id", value);
  } else if (key == "gid") {
    out.text("user.group.id", value);
  } else if (key == "acct") {
    out.text(ecs::kUserName, value);
  } else if (key == "terminal" || key == "tty") {
    out.text("user.terminal", value);
  } else if (key == "addr") {
    // An address literal, or a host name when the program knew no better.
    const bool literal = value.find_first_not_of("0123456789abcdefABCDEF.:") == value.npos;
    out.text(literal ? ecs::kSourceIp : std::string_view("source.address"), value);
  } else if (key == "hostname") {
    out.text("source.domain", value);
  } else if (key == "ses") {
    out.text("auditd.session", value);
  } else if (key == "success") {
    if (outcome.empty()) outcome = value == "yes" ? "success" : value == "no" ? "failure" : "";
  } else if (key == "res") {
    if (outcome.empty()) {
      outcome = value == "success" || value == "1"  ? "success"
                : value == "failed" || value == "0" ? "failure"
                                                    : "";
    }
  } else if (key == "key") {
    if (audit_key.empty()) audit_key = value;
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool isStandaloneType(std::string_view type) {
  static constexpr std::string_view kPrefixes[] = {
      "USER_",     "CRED_",    "DAEMON_", "SERVICE_", "SYSTEM_", "ANOM_LOGIN",  "ADD_",
      "DEL_",      "GRP_",     "ACCT_",   "ROLE_",    "USYS_",   "TRUSTED_APP", "SOFTWARE_UPDATE",
      "CHUSER_ID", "CHGRP_ID", "VIRT_"};
  for (std::string_view p : kPrefixes) {
    if (type.starts_with(p)) return true;
  }
  return false;
}

bool buildAuditEvent(Batch& batch, Event& event, std::span<const std::string_view> records,
                     size_t max_fields) {
  Arena& arena = batch.arena();
  FieldWriter out(batch, event, max_fields);
  // Arguments as JSON array text (fields hold scalars; arrays travel as their JSON text).
  thread_local std::string args;
  args.assign(1, '[');
  bool args_open = false;  // a chunked argument (a1[0]=, a1[1]=) is being appended to
  size_t arg_count = 0;
  std::string_view primary;
  std::string_view first_type;
  bool has_execve = false;
  bool has_syscall = false;
  bool found = false;
  std::string_view outcome;
  std::string_view audit_key;
  std::string_view file_path;
  std::string_view node;
  uint64_t serial = 0;
  // Chunk pieces are decoded into one growing string, then copied to the arena once.
  thread_local std::string chunked;

  auto closeChunked = [&] {
    if (!args_open) return;
    if (arg_count++ > 0) args += ',';
    json::appendString(args, chunked);
    args_open = false;
  };

  for (std::string_view line : records) {
    AuditRecord record;
    if (!parseAuditRecord(line, record)) continue;
    if (!found) {
      found = true;
      event.timestamp_ns = record.time_ns;
      serial = record.serial;
      first_type = record.type;
      node = record.node;
    }
    const std::string_view type = record.type;
    if (primary.empty() && !isAuxiliaryType(type)) primary = type;
    has_syscall |= type == "SYSCALL";
    std::string_view path_name;
    bool parent_path = false;
    FieldReader reader(record.body);
    AuditField field;
    while (reader.next(field)) {
      const std::string_view value = fieldText(type, field, arena);
      if (type == "EXECVE") {
        has_execve = true;
        if (field.key == "argc") {
          out.number("process.args_count", value);
        } else if (field.key.size() >= 2 && field.key[0] == 'a' && field.key[1] >= '0' &&
                   field.key[1] <= '9') {
          if (field.key.find("_len") != std::string_view::npos) {
            closeChunked();
            chunked.clear();
            args_open = true;
          } else if (field.key.back() == ']' && args_open) {
            chunked += value;
          } else {
            closeChunked();
            if (arg_count++ > 0) args += ',';
            json::appendString(args, value);
          }
        }
        continue;
      }
      if (type == "PATH") {
        if (field.key == "name") path_name = value;
        if (field.key == "nametype") parent_path = value == "PARENT";
        continue;
      }
      if (type == "CWD") {
        if (field.key == "cwd") out.text("process.working_directory", value);
        continue;
      }
      if (type == "PROCTITLE") {
        if (field.key == "proctitle") out.text("process.title", parsers::trimSpaces(value));
        continue;
      }
      if (type == "EOE") continue;
      if (!mapCommon(out, field.key, value, outcome, audit_key)) {
        addOther(out, arena, event, field.key, value);
      }
    }
    if (type == "PATH" && !parent_path && file_path.empty()) file_path = path_name;
    // Translated values of the ENRICHED format: the names behind the ids.
    FieldReader enriched(record.enriched);
    while (enriched.next(field)) {
      if (field.key == "UID") {
        out.text(ecs::kUserName, field.value);
      } else if (field.key == "AUID") {
        out.text("user.audit.name", field.value);
      } else if (field.key == "EUID") {
        out.text("user.effective.name", field.value);
      } else if (field.key == "GID") {
        out.text("user.group.name", field.value);
      } else if (field.key == "SYSCALL") {
        out.text("auditd.log.syscall_name", field.value);
      }
    }
  }
  if (!found) return false;
  closeChunked();

  std::string_view action_type = primary;
  std::string_view action;
  if (action_type.empty()) {
    action = has_execve ? "execve" : has_syscall ? "syscall" : std::string_view();
    action_type = has_execve ? "EXECVE" : has_syscall ? "SYSCALL" : first_type;
  }
  if (action.empty()) action = lowerInArena(action_type, arena);
  out.text(ecs::kAction, action);
  for (const Classification& c : kClassifications) {
    if (c.action == action) {
      out.text(ecs::kCategory, c.category);
      out.text("event.type", c.type);
      break;
    }
  }
  out.text(ecs::kOutcome, outcome);
  out.text("file.path", file_path);
  if (arg_count > 0) {
    args += ']';
    out.text("process.args", arena.copy(args));
  }
  if (!audit_key.empty()) {
    // Several rule keys arrive joined by 0x01.
    thread_local std::string tags;
    tags.assign(1, '[');
    std::string_view rest = audit_key;
    size_t keys = 0;
    while (!rest.empty()) {
      const size_t sep = rest.find('\x01');
      const std::string_view one = rest.substr(0, sep);
      if (!one.empty()) {
        if (keys++ > 0) tags += ',';
        json::appendString(tags, one);
      }
      rest = sep == std::string_view::npos ? std::string_view() : rest.substr(sep + 1);
    }
    out.text("auditd.key", audit_key.substr(0, audit_key.find('\x01')));
    tags += ']';
    if (keys > 0) out.text("tags", arena.copy(tags));
  }
  out.add("auditd.sequence", FieldValue::integer(static_cast<int64_t>(serial)));
  out.text("auditd.log.record_type", action_type);
  out.text("auditd.log.node", node);
  const size_t dropped = out.dropped();
  if (dropped != 0) {
    parsers::addFieldBounded(batch, event, ecs::kTruncatedFields,
                             FieldValue::integer(static_cast<int64_t>(dropped)));
  }
  return true;
}

}  // namespace logship::auditd
