#include "parsers/auth/auth_classifier.h"

#include <cstddef>

#include "parsers/auth/auth_families.h"
#include "parsers/auth/auth_text.h"

namespace logship::auth {
namespace {

bool isIpv4(std::string_view s) {
  size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= s.size() || s[pos] != '.') return false;
      ++pos;
    }
    const size_t begin = pos;
    int value = 0;
    while (pos < s.size() && isDigit(s[pos]) && pos - begin < 3) {
      value = value * 10 + (s[pos] - '0');
      ++pos;
    }
    if (pos == begin || value > 255) return false;
  }
  return pos == s.size();
}

bool isIpv6(std::string_view s) {
  const size_t percent = s.find('%');
  if (percent != kNpos) {
    if (percent + 1 == s.size()) return false;
    s = s.substr(0, percent);
  }
  const size_t n = s.size();
  if (n < 2) return false;
  size_t pos = 0;
  int groups = 0;
  bool compressed = false;
  if (s[0] == ':') {
    if (s[1] != ':') return false;
    compressed = true;
    pos = 2;
    if (pos == n) return true;
  }
  for (;;) {
    const size_t begin = pos;
    while (pos < n && isHexDigit(s[pos]) && pos - begin < 5) ++pos;
    if (pos == begin) return false;
    if (pos < n && s[pos] == '.') {
      // Embedded IPv4 ("::ffff:1.2.3.4") must be last and fills two groups.
      if (!isIpv4(s.substr(begin))) return false;
      groups += 2;
      break;
    }
    if (pos - begin > 4) return false;
    ++groups;
    if (pos == n) break;
    if (s[pos] != ':') return false;
    ++pos;
    if (pos < n && s[pos] == ':') {
      if (compressed) return false;
      compressed = true;
      ++pos;
      if (pos == n) break;
    } else if (pos == n) {
      return false;
    }
  }
  return compressed ? groups < 8 : groups == 8;
}

// "logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root" as pam_unix writes it.
struct PamFields {
  std::string_view logname;
  std::string_view tty;
  std::string_view ruser;
  std::string_view rhost;
  std::string_view user;
};

PamFields parsePamFields(std::string_view s) {
  PamFields fields;
  while (!s.empty()) {
    const size_t space = s.find(' ');
    const std::string_view token = s.substr(0, space);
    s = space == kNpos ? std::string_view() : s.substr(space + 1);
    const size_t eq = token.find('=');
    if (eq == kNpos) continue;
    const std::string_view key = token.substr(0, eq);
    const std::string_view value = token.substr(eq + 1);
    if (key == "logname") {
      fields.logname = value;
    } else if (key == "tty") {
      fields.tty = value;
    } else if (key == "ruser") {
      fields.ruser = value;
    } else if (key == "rhost") {
      fields.rhost = value;
    } else if (key == "user") {
      fields.user = value;
    }
  }
  return fields;
}

// Newer PAM writes "root(uid=0)" where older versions wrote "root".
std::string_view stripUidSuffix(std::string_view name) { return name.substr(0, name.find('(')); }

bool isSuService(std::string_view service) { return service == "su" || service == "su-l"; }

// Body of a PAM message, after "pam_unix(sshd:auth): " or under an "sshd(pam_unix)" tag.
bool classifyPam(std::string_view service, std::string_view body, AuthEvent& out) {
  std::string_view rest = body;
  if (consumePrefix(rest, "authentication failure;")) {
    const PamFields fields = parsePamFields(rest);
    if (service == "sudo") {
      setResult(out, category::kAuthentication, action::kSudoAuthFailure, outcome::kFailure);
      out.user = fields.user.empty() ? fields.ruser : fields.user;
    } else if (isSuService(service)) {
      // For su the PAM user is the account being switched to.
      setResult(out, category::kAuthentication, action::kSuFailure, outcome::kFailure);
      out.user = fields.ruser.empty() ? fields.logname : fields.ruser;
      out.target_user = fields.user;
    } else {
      setResult(out, category::kAuthentication, action::kPamAuthFailure, outcome::kFailure);
      out.user = fields.user;
    }
    out.tty = fields.tty;
    setSource(fields.rhost, out);
    return true;
  }
  if (consumePrefix(rest, "Consecutive login failures for user ")) {
    // pam_faillock: "Consecutive login failures for user root account temporarily locked".
    std::string_view user;
    if (!splitAt(rest, " account temporarily locked", user, rest) || user.empty()) return false;
    setResult(out, category::kAuthentication, action::kAccountLocked, outcome::kFailure);
    out.user = user;
    return true;
  }
  if (consumePrefix(rest, "user ")) {
    // pam_tally and pam_tally2 when they deny: "user root (0) tally 4, deny 3".
    std::string_view user;
    std::string_view tally;
    std::string_view deny;
    if (!splitAt(rest, " (", user, rest) || !splitAt(rest, ") tally ", tally, rest) ||
        !splitAt(rest, ", deny ", tally, deny) || user.empty() || parseNumber(tally) < 0 ||
        parseNumber(deny) < 0) {
      return false;
    }
    setResult(out, category::kAuthentication, action::kAccountLocked, outcome::kFailure);
    out.user = user;
    out.attempts = parseNumber(tally);
    return true;
  }
  if (body == "check pass; user unknown") {
    setResult(out, category::kAuthentication, action::kPamCheckPassUserUnknown, outcome::kFailure);
    return true;
  }
  if (consumePrefix(rest, "session opened for user ")) {
    const size_t name_end = rest.find_first_of(" (");
    const std::string_view user = rest.substr(0, name_end);
    if (user.empty()) return false;
    // "by (uid=0)", "by LOGIN(uid=0)" or "by alice(uid=1000)": the name is optional.
    std::string_view by;
    const size_t by_at = rest.find(" by ", user.size());
    if (by_at != kNpos) by = stripUidSuffix(rest.substr(by_at + 4));
    if (isSuService(service)) {
      setResult(out, category::kAuthentication, action::kSuSuccess, outcome::kSuccess);
      out.target_user = user;
      out.user = by;
    } else {
      setResult(out, category::kSession, action::kSessionOpened, outcome::kSuccess);
      out.user = user;
    }
    return true;
  }
  if (consumePrefix(rest, "session closed for user ")) {
    const std::string_view user = stripUidSuffix(firstToken(rest));
    if (user.empty()) return false;
    setResult(out, category::kSession, action::kSessionClosed, outcome::kSuccess);
    out.user = user;
    return true;
  }
  if (consumePrefix(rest, "password changed for ")) {
    const std::string_view user = firstToken(rest);
    if (user.empty()) return false;
    setResult(out, category::kIam, action::kPasswordChanged, outcome::kSuccess);
    out.target_user = user;
    return true;
  }
  return false;
}

// "pam_unix(sshd:auth): body" -> service "sshd", body.
bool splitPamPrefix(std::string_view message, std::string_view& service, std::string_view& body) {
  if (!message.starts_with("pam_")) return false;
  const size_t open = message.find('(');
  if (open == kNpos) return false;
  const size_t close = message.find("): ", open);
  if (close == kNpos) return false;
  const std::string_view inside = message.substr(open + 1, close - open - 1);
  service = inside.substr(0, inside.find(':'));
  body = message.substr(close + 3);
  return !service.empty();
}

// "[user ]ADDR[ port N]" as sshd writes after "Disconnected from", "Connection closed by" etc.
// The user name may contain spaces, so the address is taken from the end.
bool parseUserAddressPort(std::string_view s, bool has_user, AuthEvent& out) {
  const size_t port_at = s.rfind(" port ");
  if (port_at != kNpos) {
    const int port = parsePort(s.substr(port_at + 6));
    if (port < 0) return false;
    out.source_port = port;
    s = s.substr(0, port_at);
  }
  std::string_view address = s;
  if (has_user) {
    const size_t space = s.rfind(' ');
    if (space == kNpos) return false;
    out.user = s.substr(0, space);
    address = s.substr(space + 1);
  }
  if (address.empty() || address.find(' ') != kNpos) return false;
  setSource(address, out);
  return true;
}

// "ADDR port N[ ssh2][: key info]" after " from " in Failed/Accepted/Invalid lines.
bool parseFromTail(std::string_view s, AuthEvent& out) {
  const size_t space = s.find(' ');
  const std::string_view address = s.substr(0, space);
  if (address.empty()) return false;
  if (space != kNpos) {
    std::string_view rest = s.substr(space);
    if (consumePrefix(rest, " port ")) {
      size_t digits = 0;
      while (digits < rest.size() && isDigit(rest[digits])) ++digits;
      const int port = parsePort(rest.substr(0, digits));
      if (port < 0) return false;
      out.source_port = port;
    }
  }
  setSource(address, out);
  return true;
}

// "[invalid user ]NAME from ADDR port N ..." shared by Failed, Accepted and max-attempts lines.
bool parseUserFrom(std::string_view s, AuthEvent& out) {
  if (!consumePrefix(s, "invalid user ")) consumePrefix(s, "illegal user ");
  // Names can contain spaces but never " from ADDR port", so search from the end. Key
  // fingerprints after "ssh2: " never contain " from ".
  const size_t from = s.rfind(" from ");
  if (from == kNpos) return false;
  out.user = s.substr(0, from);
  return parseFromTail(s.substr(from + 6), out);
}

struct SshMethod {
  std::string_view name;
  std::string_view failed;
  std::string_view accepted;
};

constexpr SshMethod kSshMethods[] = {
    {"password", action::kSshFailedPassword, action::kSshAcceptedPassword},
    {"publickey", action::kSshFailedPublickey, action::kSshAcceptedPublickey},
    {"keyboard-interactive/pam", action::kSshFailedKeyboardInteractive,
     action::kSshAcceptedKeyboardInteractive},
    {"keyboard-interactive", action::kSshFailedKeyboardInteractive,
     action::kSshAcceptedKeyboardInteractive},
    {"none", action::kSshFailedOther, action::kSshAcceptedOther},
    {"hostbased", action::kSshFailedOther, action::kSshAcceptedOther},
    {"gssapi-with-mic", action::kSshFailedOther, action::kSshAcceptedOther},
    {"gssapi-keyex", action::kSshFailedOther, action::kSshAcceptedOther},
};

// "Failed password for ..." / "Accepted publickey for ...".
bool classifySshAuthResult(std::string_view rest, bool accepted, AuthEvent& out) {
  std::string_view method;
  std::string_view tail;
  if (!splitAt(rest, " for ", method, tail)) return false;
  for (const SshMethod& known : kSshMethods) {
    if (method != known.name) continue;
    if (!parseUserFrom(tail, out)) return false;
    out.auth_method = method;
    if (accepted) {
      setResult(out, category::kAuthentication, known.accepted, outcome::kSuccess);
    } else {
      setResult(out, category::kAuthentication, known.failed, outcome::kFailure);
    }
    return true;
  }
  return false;
}

bool classifyBreakIn(std::string_view message, AuthEvent& out) {
  std::string_view rest = message;
  if (!consumeSuffix(rest, " - POSSIBLE BREAK-IN ATTEMPT!")) return false;
  if (consumePrefix(rest, "reverse mapping checking getaddrinfo for ")) {
    // "HOST [IP] failed" or "HOST failed".
    if (!consumeSuffix(rest, " failed")) return false;
    const size_t bracket = rest.find(" [");
    if (bracket != kNpos && rest.ends_with("]")) {
      const std::string_view address = rest.substr(bracket + 2, rest.size() - bracket - 3);
      if (!isIpAddress(address)) return false;
      out.source_ip = address;
      out.source_host = rest.substr(0, bracket);
    } else {
      out.source_host = rest;
    }
  } else if (consumePrefix(rest, "Address ")) {
    // "IP maps to HOST, but this does not map back to the address".
    std::string_view address;
    std::string_view host;
    if (!splitAt(rest, " maps to ", address, host) || !isIpAddress(address)) return false;
    if (!splitAt(host, ", but this does not map back", host, rest)) return false;
    out.source_ip = address;
    out.source_host = host;
  } else {
    return false;
  }
  setResult(out, category::kAuthentication, action::kSshBreakInAttempt, outcome::kUnknown);
  return true;
}

// Probes that end before authentication. `remote` is sshd's remote id ("ADDR port N", or with
// "authenticating user NAME " / "invalid user NAME " before it).
bool setProbe(std::string_view remote, std::string_view probe_action, AuthEvent& out) {
  consumeSuffix(remote, " [preauth]");
  const bool has_user =
      consumePrefix(remote, "authenticating user ") || consumePrefix(remote, "invalid user ");
  if (!remote.empty() && !parseUserAddressPort(remote, has_user, out)) return false;
  setResult(out, category::kNetwork, probe_action, outcome::kFailure);
  out.type = event_type::kConnection;
  return true;
}

bool classifySshd(std::string_view message, AuthEvent& out) {
  std::string_view rest = message;
  if (rest.empty()) return false;
  switch (rest.front()) {
    case 'F':
      return consumePrefix(rest, "Failed ") && classifySshAuthResult(rest, false, out);
    case 'A':
      if (consumePrefix(rest, "Accepted ")) return classifySshAuthResult(rest, true, out);
      return classifyBreakIn(message, out);
    case 'r':
      return classifyBreakIn(message, out);
    case 'I':
      if (consumePrefix(rest, "Invalid user ") || consumePrefix(rest, "Illegal user ")) {
        const size_t from = rest.rfind(" from ");
        if (from == kNpos) return false;
        out.user = rest.substr(0, from);
        if (!parseFromTail(rest.substr(from + 6), out)) return false;
        setResult(out, category::kAuthentication, action::kSshInvalidUser, outcome::kFailure);
        return true;
      }
      return false;
    case 'D':
      if (consumePrefix(rest, "Did not receive identification string from ")) {
        return setProbe(rest, action::kSshNoIdentification, out);
      }
      if (consumePrefix(rest, "Disconnected from ")) {
        consumeSuffix(rest, " [preauth]");
        const bool has_user = consumePrefix(rest, "user ") ||
                              consumePrefix(rest, "invalid user ") ||
                              consumePrefix(rest, "authenticating user ");
        if (!parseUserAddressPort(rest, has_user, out)) return false;
        setResult(out, category::kSession, action::kSshDisconnect, outcome::kUnknown);
        return true;
      }
      if (consumePrefix(rest, "Disconnecting")) {
        consumeSuffix(rest, " [preauth]");
        if (consumePrefix(rest, ": Too many authentication failures")) {
          // Older sshd: "Disconnecting: Too many authentication failures for root".
          if (consumePrefix(rest, " for ")) {
            consumePrefix(rest, "invalid user ");
            out.user = rest;
          }
        } else {
          // "Disconnecting authenticating user root 1.2.3.4 port 22: Too many ...".
          if (!consumeSuffix(rest, ": Too many authentication failures")) return false;
          const bool has_user =
              consumePrefix(rest, " authenticating user ") || consumePrefix(rest, " invalid user ");
          if (!has_user) return false;
          if (!parseUserAddressPort(rest, true, out)) return false;
        }
        setResult(out, category::kAuthentication, action::kSshMaxAuthTries, outcome::kFailure);
        return true;
      }
      return false;
    case 'R':
      if (consumePrefix(rest, "Received disconnect from ")) {
        // "ADDR port N:11: Bye Bye [preauth]" or the older "ADDR: 11: Bye Bye".
        std::string_view address = firstToken(rest);
        rest.remove_prefix(address.size());
        if (consumePrefix(rest, " port ")) {
          size_t digits = 0;
          while (digits < rest.size() && isDigit(rest[digits])) ++digits;
          const int port = parsePort(rest.substr(0, digits));
          if (port < 0 || digits >= rest.size() || rest[digits] != ':') return false;
          out.source_port = port;
        } else if (!consumeSuffix(address, ":")) {
          return false;
        }
        if (address.empty()) return false;
        setSource(address, out);
        setResult(out, category::kSession, action::kSshDisconnect, outcome::kUnknown);
        return true;
      }
      return false;
    case 'C':
      if (consumePrefix(rest, "Connection reset by ")) {
        if (rest.find(" port ") == kNpos) return false;
        return setProbe(rest, action::kSshConnectionReset, out);
      }
      if (consumePrefix(rest, "Connection closed by ")) {
        consumeSuffix(rest, " [preauth]");
        const bool has_user =
            consumePrefix(rest, "authenticating user ") || consumePrefix(rest, "invalid user ");
        if (!parseUserAddressPort(rest, has_user, out)) return false;
        setResult(out, category::kSession, action::kSshConnectionClosed, outcome::kUnknown);
        return true;
      }
      return false;
    case 'k':
    case 'b':
    case 'U':
    case 'f':
      consumePrefix(rest, "fatal: ");
      if (consumePrefix(rest, "kex_exchange_identification: ")) {
        // "Connection closed by remote host", "banner line contains invalid characters", ...:
        // the peer's address follows on a line of its own.
        return setProbe({}, action::kSshNoIdentification, out);
      }
      if (consumePrefix(rest, "banner exchange: Connection from ")) {
        // "ADDR port N: invalid format".
        const size_t reason = rest.find(": ");
        if (reason == kNpos) return false;
        return setProbe(rest.substr(0, reason), action::kSshBannerExchangeFailed, out);
      }
      if (consumePrefix(rest, "Unable to negotiate with ")) {
        // "ADDR port N: no matching key exchange method found. Their offer: ... [preauth]".
        const size_t reason = rest.find(": no matching ");
        if (reason == kNpos) return false;
        return setProbe(rest.substr(0, reason), action::kSshNegotiationFailed, out);
      }
      return false;
    case 'e':
      if (consumePrefix(rest, "error: kex_exchange_identification: ")) {
        return setProbe({}, action::kSshNoIdentification, out);
      }
      if (consumePrefix(rest, "error: maximum authentication attempts exceeded for ")) {
        consumeSuffix(rest, " [preauth]");
        if (!parseUserFrom(rest, out)) return false;
        setResult(out, category::kAuthentication, action::kSshMaxAuthTries, outcome::kFailure);
        return true;
      }
      return false;
    case 'P':
      if (consumePrefix(rest, "PAM ")) {
        // "PAM 2 more authentication failures; logname= uid=0 ... rhost=1.2.3.4  user=root".
        const std::string_view count = firstToken(rest);
        const int attempts = parseNumber(count);
        rest.remove_prefix(count.size());
        if (attempts < 0 || !(consumePrefix(rest, " more authentication failures;") ||
                              consumePrefix(rest, " more authentication failure;"))) {
          return false;
        }
        const PamFields fields = parsePamFields(rest);
        out.attempts = attempts;
        out.user = fields.user;
        out.tty = fields.tty;
        setSource(fields.rhost, out);
        setResult(out, category::kAuthentication, action::kSshPamRepeatedFailures,
                  outcome::kFailure);
        return true;
      }
      return false;
    default:
      return false;
  }
}

bool classifyLogind(std::string_view message, AuthEvent& out) {
  std::string_view rest = message;
  if (consumePrefix(rest, "New session ")) {
    // "New session 12 of user alice."
    std::string_view id;
    std::string_view user;
    if (!splitAt(rest, " of user ", id, user) || !consumeSuffix(user, ".")) return false;
    if (id.empty() || id.find(' ') != kNpos || user.empty() || user.find(' ') != kNpos) {
      return false;
    }
    out.session_id = id;
    out.user = user;
    setResult(out, category::kSession, action::kLogindNewSession, outcome::kSuccess);
    return true;
  }
  if (consumePrefix(rest, "Removed session ")) {
    if (!consumeSuffix(rest, ".") || rest.empty() || rest.find(' ') != kNpos) return false;
    out.session_id = rest;
    setResult(out, category::kSession, action::kLogindSessionRemoved, outcome::kSuccess);
    return true;
  }
  return false;
}

}  // namespace

bool isIpAddress(std::string_view text) {
  if (text.empty()) return false;
  return text.find(':') != kNpos ? isIpv6(text) : isIpv4(text);
}

bool classifyAuth(std::string_view program, std::string_view message, AuthEvent& out) {
  out = AuthEvent{};
  const std::string_view body = trim(message);

  // "/usr/sbin/sshd" and "sshd(pam_unix)" both name sshd.
  std::string_view base = program.substr(program.rfind('/') == kNpos ? 0 : program.rfind('/') + 1);
  std::string_view module;
  const size_t paren = base.find('(');
  if (paren != kNpos && base.back() == ')') {
    module = base.substr(paren + 1, base.size() - paren - 2);
    base = base.substr(0, paren);
  }

  bool classified = false;
  std::string_view service;
  std::string_view pam_body;
  if (module.starts_with("pam_")) {
    classified = classifyPam(base, body, out);
  } else if (splitPamPrefix(body, service, pam_body)) {
    classified = classifyPam(service, pam_body, out);
  } else if (base == "sshd" || base == "sshd-session" || base == "sshd-auth") {
    classified = classifySshd(body, out);
  } else if (base == "sudo") {
    classified = classifySudo(body, out);
  } else if (base == "su") {
    classified = classifySu(body, out);
  } else if (base == "passwd") {
    classified = classifyPasswd(body, out);
  } else if (base == "useradd") {
    classified = classifyUseradd(body, out);
  } else if (base == "usermod") {
    classified = classifyUsermod(body, out);
  } else if (base == "userdel") {
    classified = classifyUserdel(body, out);
  } else if (base == "groupadd") {
    classified = classifyNewGroup(body, out);
  } else if (base == "groupdel") {
    classified = classifyGroupdel(body, out);
  } else if (base == "gpasswd") {
    classified = classifyGpasswd(body, out);
  } else if (base == "systemd-logind") {
    classified = classifyLogind(body, out);
  } else if (base == "kernel") {
    classified = classifyKernel(body, out);
  } else if (base == "login") {
    classified = classifyLogin(body, out);
  } else if (base == "pkexec") {
    classified = classifyPkexec(body, out);
  } else if (base == "polkitd") {
    classified = classifyPolkit(body, out);
  } else if (base.starts_with("fail2ban")) {
    classified = classifyFail2ban(body, out);
  } else {
    return false;  // no rule for this program: out is still the empty event
  }
  // A rule may have filled fields before rejecting the line; unclassified means empty.
  if (!classified) out = AuthEvent{};
  return classified;
}

}  // namespace logship::auth
