#include <cstddef>

#include "agent/support/timestamp.h"
#include "parsers/auth/auth_families.h"
#include "parsers/auth/auth_text.h"

namespace logship::auth {
namespace {

std::string_view skipSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

// "nginx:amd64" -> name and architecture; dpkg leaves the architecture out for old packages.
void setPackage(std::string_view package, AuthEvent& out) {
  const size_t colon = package.find(':');
  out.package = package.substr(0, colon);
  if (colon != kNpos) out.package_architecture = package.substr(colon + 1);
}

// dpkg.log after the time: "install PKG OLD NEW", "upgrade PKG OLD NEW", "remove PKG OLD NEW",
// "purge PKG OLD NEW" (the missing version is "<none>"). The "status" and "configure" lines that
// follow each step are left unclassified so that one change is one event.
bool classifyDpkg(std::string_view rest, AuthEvent& out) {
  std::string_view verb;
  std::string_view package;
  std::string_view old_version;
  std::string_view new_version;
  if (!splitAt(rest, " ", verb, rest) || !splitAt(rest, " ", package, rest) ||
      !splitAt(rest, " ", old_version, new_version)) {
    return false;
  }
  if (package.empty() || old_version.empty() || new_version.empty() ||
      new_version.find(' ') != kNpos) {
    return false;
  }
  if (verb == "install") {
    setResult(out, category::kPackage, action::kPackageInstalled, outcome::kSuccess);
    out.type = event_type::kInstallation;
    out.package_version = new_version;
  } else if (verb == "upgrade") {
    setResult(out, category::kPackage, action::kPackageUpgraded, outcome::kSuccess);
    out.type = event_type::kChange;
    out.package_version = new_version;
  } else if (verb == "remove" || verb == "purge") {
    setResult(out, category::kPackage, action::kPackageRemoved, outcome::kSuccess);
    out.type = event_type::kDeletion;
    out.package_version = old_version;
  } else {
    return false;
  }
  if (out.package_version == "<none>") out.package_version = {};
  setPackage(package, out);
  return true;
}

}  // namespace

bool classifyFail2ban(std::string_view message, AuthEvent& out) {
  std::string_view rest = trim(message);
  // The level, padded to seven columns, when the line still carries it.
  for (std::string_view level : {"NOTICE", "INFO", "WARNING", "ERROR", "DEBUG", "CRITICAL"}) {
    if (rest.starts_with(level) && rest.size() > level.size() && rest[level.size()] == ' ') {
      rest = skipSpaces(rest.substr(level.size()));
      break;
    }
  }
  if (!consumePrefix(rest, "[")) return false;
  std::string_view jail;
  if (!splitAt(rest, "] ", jail, rest) || jail.empty() || jail.find(' ') != kNpos) return false;
  std::string_view verb;
  if (consumePrefix(rest, "Ban ") || consumePrefix(rest, "Restore Ban ")) {
    verb = action::kIpBanned;
    out.type = event_type::kDenied;
  } else if (consumePrefix(rest, "Unban ")) {
    verb = action::kIpUnbanned;
    out.type = event_type::kAllowed;
  } else if (consumePrefix(rest, "Found ")) {
    // "Found 203.0.113.9 - 2024-03-01 10:20:29": the time of the matched line follows.
    verb = action::kIpFound;
    out.type = event_type::kInfo;
    rest = firstToken(rest);
  } else {
    return false;
  }
  if (!isIpAddress(rest)) {
    out = AuthEvent{};
    return false;
  }
  out.source_ip = rest;
  out.jail = jail;
  setResult(out, category::kIntrusionDetection, verb, {});
  return true;
}

bool classifyFileLine(std::string_view line, int32_t offset_seconds, AuthEvent& out,
                      FileLine& header) {
  out = AuthEvent{};
  header = FileLine{};
  // Both files start with a local "YYYY-MM-DD HH:MM:SS" (fail2ban adds ",mmm").
  if (!mayBeFileLine(line)) return false;
  int64_t ns = 0;
  const size_t used = timestamp::scanRfc3339(line, offset_seconds, ns);
  if (used == 0 || used >= line.size() || line[used] != ' ') return false;
  std::string_view rest = line.substr(used + 1);
  bool classified = false;
  if (rest.starts_with("fail2ban.")) {
    // "fail2ban.actions        [1234]: NOTICE  [sshd] Ban 203.0.113.9"
    const std::string_view logger = firstToken(rest);
    rest = skipSpaces(rest.substr(logger.size()));
    std::string_view pid;
    if (!consumePrefix(rest, "[") || !splitAt(rest, "]: ", pid, rest)) return false;
    classified = classifyFail2ban(rest, out);
    header.logger = logger;
    header.pid = parseNumber(pid);
  } else {
    classified = classifyDpkg(rest, out);
  }
  if (!classified) {
    out = AuthEvent{};
    header = FileLine{};
    return false;
  }
  header.timestamp_ns = ns;
  return true;
}

}  // namespace logship::auth
