#include <cstddef>

#include "parsers/auth/auth_families.h"
#include "parsers/auth/auth_text.h"

namespace logship::auth {
namespace {

// The bracketed "[USER=root] [TTY=/dev/pts/0] [CWD=/home/alice] [COMMAND=/usr/bin/id]" tail of
// pkexec's lines. COMMAND comes last and may hold brackets itself, so it takes the rest.
bool readPkexecTail(std::string_view s, AuthEvent& out) {
  bool has_command = false;
  while (!s.empty()) {
    if (!consumePrefix(s, "[")) return false;
    if (consumePrefix(s, "COMMAND=")) {
      if (!consumeSuffix(s, "]")) return false;
      out.command = s;
      has_command = true;
      break;
    }
    const size_t close = s.find("] ");
    if (close == kNpos) return false;
    const std::string_view field = s.substr(0, close);
    s.remove_prefix(close + 2);
    if (field.starts_with("USER=")) {
      out.target_user = field.substr(5);
    } else if (field.starts_with("TTY=")) {
      out.tty = field.substr(4);
    }
  }
  return has_command;
}

// "unix-user:alice" -> "alice".
std::string_view unixUser(std::string_view subject) {
  consumePrefix(subject, "unix-user:");
  return subject;
}

}  // namespace

bool classifyLogin(std::string_view message, AuthEvent& out) {
  std::string_view rest = message;
  if (!consumePrefix(rest, "FAILED LOGIN ")) return false;
  if (consumePrefix(rest, "(")) {
    // shadow-utils: "FAILED LOGIN (1) on '/dev/tty1' [from 'host' ]FOR 'root', <PAM error>".
    std::string_view count;
    std::string_view tty;
    std::string_view user;
    if (!splitAt(rest, ") on ", count, rest) || parseNumber(count) < 0) return false;
    if (!takeQuoted(rest, tty)) return false;
    if (consumePrefix(rest, " from ")) {
      std::string_view host;
      if (!takeQuoted(rest, host)) return false;
      setSource(host, out);
    }
    if (!consumePrefix(rest, " FOR ") || !takeQuoted(rest, user) || !rest.starts_with(", ")) {
      out = AuthEvent{};
      return false;
    }
    out.attempts = parseNumber(count);
    out.tty = tty;
    out.user = user;
  } else {
    // util-linux: "FAILED LOGIN 1 FROM tty1 FOR root, <PAM error>".
    std::string_view count;
    std::string_view tty;
    std::string_view user;
    if (!splitAt(rest, " FROM ", count, rest) || parseNumber(count) < 0) return false;
    if (!splitAt(rest, " FOR ", tty, rest) || !splitAt(rest, ", ", user, rest)) return false;
    if (tty.empty() || user.empty()) return false;
    out.attempts = parseNumber(count);
    out.tty = tty;
    out.user = user;
  }
  setResult(out, category::kAuthentication, action::kLoginFailed, outcome::kFailure);
  out.type = event_type::kStart;
  return true;
}

bool classifyPkexec(std::string_view message, AuthEvent& out) {
  // "alice: Executing command [USER=root] [TTY=/dev/pts/0] [CWD=/home/alice] [COMMAND=/usr/bin/id]"
  // and "alice: Error executing command as another user: Not authorized [USER=root] ...".
  std::string_view user;
  std::string_view rest;
  if (!splitAt(message, ": ", user, rest) || user.empty() || user.find(' ') != kNpos) {
    return false;
  }
  bool allowed = true;
  if (consumePrefix(rest, "Executing command ")) {
    allowed = true;
  } else if (consumePrefix(rest, "Error executing command as another user: ")) {
    const size_t tail = rest.find(" [USER=");
    if (tail == kNpos) return false;
    rest.remove_prefix(tail + 1);
    allowed = false;
  } else {
    return false;
  }
  if (!readPkexecTail(rest, out)) return false;
  out.user = user;
  if (allowed) {
    setResult(out, category::kAuthentication, action::kPkexecCommand, outcome::kSuccess);
  } else {
    setResult(out, category::kAuthentication, action::kPkexecDenied, outcome::kFailure);
  }
  return true;
}

bool classifyPolkit(std::string_view message, AuthEvent& out) {
  // "Operator of unix-session:2 FAILED to authenticate to gain authorization for action
  // org.freedesktop.policykit.exec for unix-process:3042:4011 [bash] (owned by unix-user:alice)"
  // and "... successfully authenticated as unix-user:root to gain TEMPORARY authorization ...".
  std::string_view rest = message;
  if (!consumePrefix(rest, "Operator of ")) return false;
  std::string_view owner;
  {
    const size_t owned = rest.rfind(" (owned by ");
    if (owned == kNpos || !rest.ends_with(")")) return false;
    owner = rest.substr(owned + 11, rest.size() - owned - 12);
    rest = rest.substr(0, owned);
  }
  std::string_view session;
  std::string_view what;
  if (!splitAt(rest, " ", session, what)) return false;
  if (what.starts_with("FAILED to authenticate to gain authorization for action ")) {
    out.user = unixUser(owner);
    setResult(out, category::kAuthentication, action::kPolkitAuthFailure, outcome::kFailure);
    return !out.user.empty();
  }
  if (consumePrefix(what, "successfully authenticated as ")) {
    const std::string_view as = firstToken(what);
    out.user = unixUser(owner);
    out.target_user = unixUser(as);
    setResult(out, category::kAuthentication, action::kPolkitAuthSuccess, outcome::kSuccess);
    return !out.user.empty();
  }
  return false;
}

// "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls -la".
bool classifySudo(std::string_view message, AuthEvent& out) {
  std::string_view user;
  std::string_view rest;
  if (!splitAt(message, " : ", user, rest)) return false;
  if (user.empty() || user.find(' ') != kNpos) return false;

  std::string_view first;
  std::string_view fields = rest;
  const size_t first_end = rest.find(" ; ");
  first = rest.substr(0, first_end);
  std::string_view selected_action;
  std::string_view selected_outcome;
  if (first.starts_with("TTY=") || first.starts_with("PWD=") || first.starts_with("HOST=") ||
      first.starts_with("USER=") || first.starts_with("TSID=")) {
    selected_action = action::kSudoCommand;
    selected_outcome = outcome::kSuccess;
  } else {
    fields = first_end == kNpos ? std::string_view() : rest.substr(first_end + 3);
    std::string_view count_text;
    std::string_view what;
    if (splitAt(first, " ", count_text, what) &&
        (what == "incorrect password attempts" || what == "incorrect password attempt") &&
        parseNumber(count_text) >= 0) {
      selected_action = action::kSudoAuthFailure;
      out.attempts = parseNumber(count_text);
    } else if (first == "user NOT in sudoers" || first == "user NOT authorized on host" ||
               first == "command not allowed") {
      selected_action = action::kSudoCommandDenied;
    } else {
      return false;
    }
    selected_outcome = outcome::kFailure;
  }

  bool has_command = false;
  while (!fields.empty()) {
    // COMMAND is last and may itself contain " ; ", so it takes the rest of the line.
    if (consumePrefix(fields, "COMMAND=")) {
      out.command = fields;
      has_command = true;
      break;
    }
    const size_t end = fields.find(" ; ");
    const std::string_view field = fields.substr(0, end);
    if (field.starts_with("TTY=")) {
      out.tty = field.substr(4);
    } else if (field.starts_with("USER=")) {
      out.target_user = field.substr(5);
    }
    fields = end == kNpos ? std::string_view() : fields.substr(end + 3);
  }
  if (selected_action == action::kSudoCommand && !has_command) {
    out = AuthEvent{};
    return false;
  }
  out.user = user;
  setResult(out, category::kAuthentication, selected_action, selected_outcome);
  return true;
}

bool classifySu(std::string_view message, AuthEvent& out) {
  std::string_view rest = message;
  if (consumePrefix(rest, "Successful su for ")) {
    std::string_view target;
    std::string_view by;
    if (!splitAt(rest, " by ", target, by) || target.empty() || by.empty()) return false;
    out.target_user = target;
    out.user = by;
    setResult(out, category::kAuthentication, action::kSuSuccess, outcome::kSuccess);
    return true;
  }
  // util-linux: "(to root) alice on pts/0" and "FAILED SU (to root) alice on pts/0".
  const bool failed = consumePrefix(rest, "FAILED SU ");
  if (consumePrefix(rest, "(to ")) {
    std::string_view target;
    std::string_view who;
    std::string_view tty;
    if (!splitAt(rest, ") ", target, rest) || !splitAt(rest, " on ", who, tty)) return false;
    if (target.empty() || who.empty() || who.find(' ') != kNpos) return false;
    out.target_user = target;
    out.user = who;
    out.tty = tty;
    if (failed) {
      setResult(out, category::kAuthentication, action::kSuFailure, outcome::kFailure);
    } else {
      setResult(out, category::kAuthentication, action::kSuSuccess, outcome::kSuccess);
    }
    return true;
  }
  if (failed) return false;
  // shadow-utils: "+ pts/0 alice:root" on success, "- pts/0 alice:root" on failure.
  if (rest.size() > 2 && (rest[0] == '+' || rest[0] == '-') && rest[1] == ' ') {
    const bool success = rest[0] == '+';
    rest.remove_prefix(2);
    std::string_view tty;
    std::string_view users;
    std::string_view who;
    std::string_view target;
    if (!splitAt(rest, " ", tty, users) || users.find(' ') != kNpos ||
        !splitAt(users, ":", who, target) || tty.empty() || who.empty() || target.empty()) {
      return false;
    }
    out.tty = tty;
    out.user = who;
    out.target_user = target;
    if (success) {
      setResult(out, category::kAuthentication, action::kSuSuccess, outcome::kSuccess);
    } else {
      setResult(out, category::kAuthentication, action::kSuFailure, outcome::kFailure);
    }
    return true;
  }
  return false;
}

}  // namespace logship::auth
