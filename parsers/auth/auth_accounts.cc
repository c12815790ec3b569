// Account and group tools of shadow-utils: useradd, usermod, userdel, groupadd, groupdel, gpasswd
// and passwd.
#include "parsers/auth/auth_families.h"
#include "parsers/auth/auth_text.h"

namespace logship::auth {
namespace {

// Reads a non-empty "'value'" at the start of s.
bool consumeQuoted(std::string_view& s, std::string_view& value) {
  return takeQuoted(s, value) && !value.empty();
}

// "name=bob, UID=1001, ..." -> "bob".
std::string_view nameField(std::string_view s) {
  if (!consumePrefix(s, "name=")) return {};
  return s.substr(0, s.find(','));
}

// "add 'bob' to group 'sudo'" / "delete 'bob' from group 'sudo'". The matching "shadow group"
// line is skipped so that one change is one event.
bool classifyGroupMembership(std::string_view message, AuthEvent& out) {
  std::string_view rest = message;
  std::string_view user;
  std::string_view group;
  const bool add = consumePrefix(rest, "add ");
  if (!add && !consumePrefix(rest, "delete ")) return false;
  if (!consumeQuoted(rest, user)) return false;
  if (!consumePrefix(rest, add ? " to group " : " from group ")) return false;
  if (!consumeQuoted(rest, group) || !rest.empty()) return false;
  out.target_user = user;
  out.group = group;
  setResult(out, category::kIam, add ? action::kUserAddedToGroup : action::kUserRemovedFromGroup,
            outcome::kSuccess);
  return true;
}

}  // namespace

// gpasswd (shadow-utils): "user %s added by %s to group %s%s", "user %s removed by %s from group
// %s%s", "members of group %s set by %s to %s%s"; the suffix is empty or " in /etc/gshadow".
bool classifyGpasswd(std::string_view message, AuthEvent& out) {
  std::string_view rest = message;
  auto word = [&](std::string_view& w) {
    const size_t space = rest.find(' ');
    w = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    return !w.empty();
  };
  auto groupName = [&](std::string_view& g) {
    // The group name is one word; " in <database>" may follow.
    if (!word(g)) return false;
    return rest.empty() || rest.starts_with("in /");
  };
  std::string_view user, by, group;
  if (consumePrefix(rest, "user ")) {
    if (!word(user)) return false;
    const bool add = consumePrefix(rest, "added by ");
    if (!add && !consumePrefix(rest, "removed by ")) return false;
    if (!word(by) || !consumePrefix(rest, add ? "to group " : "from group ") || !groupName(group)) {
      return false;
    }
    out.target_user = user;
    out.user = by;
    out.group = group;
    setResult(out, category::kIam, add ? action::kUserAddedToGroup : action::kUserRemovedFromGroup,
              outcome::kSuccess);
    return true;
  }
  if (consumePrefix(rest, "members of group ")) {
    if (!word(group) || !consumePrefix(rest, "set by ") || !word(by) ||
        !consumePrefix(rest, "to ")) {
      return false;
    }
    out.user = by;
    out.group = group;
    setResult(out, category::kIam, action::kGroupMembersSet, outcome::kSuccess);
    return true;
  }
  return false;
}

bool classifyNewGroup(std::string_view message, AuthEvent& out) {
  std::string_view rest = message;
  if (!consumePrefix(rest, "new group: ")) return false;
  const std::string_view group = nameField(rest);
  if (group.empty()) return false;
  out.group = group;
  setResult(out, category::kIam, action::kGroupCreated, outcome::kSuccess);
  return true;
}

bool classifyUseradd(std::string_view message, AuthEvent& out) {
  std::string_view rest = message;
  if (consumePrefix(rest, "new user: ")) {
    const std::string_view user = nameField(rest);
    if (user.empty()) return false;
    out.target_user = user;
    setResult(out, category::kIam, action::kUserCreated, outcome::kSuccess);
    return true;
  }
  return classifyNewGroup(message, out) || classifyGroupMembership(message, out);
}

bool classifyUsermod(std::string_view message, AuthEvent& out) {
  std::string_view rest = message;
  // "change user 'bob' shell from ...", "change user name 'bob' to 'rob'", "lock user 'bob'
  // password", "unlock user 'bob' password".
  if (consumePrefix(rest, "change user name ") || consumePrefix(rest, "change user ") ||
      consumePrefix(rest, "lock user ") || consumePrefix(rest, "unlock user ")) {
    std::string_view user;
    if (!consumeQuoted(rest, user)) return false;
    out.target_user = user;
    setResult(out, category::kIam, action::kUserModified, outcome::kSuccess);
    return true;
  }
  return classifyGroupMembership(message, out);
}

bool classifyUserdel(std::string_view message, AuthEvent& out) {
  std::string_view rest = message;
  std::string_view name;
  if (consumePrefix(rest, "delete user ")) {
    if (!consumeQuoted(rest, name) || !rest.empty()) return false;
    out.target_user = name;
    setResult(out, category::kIam, action::kUserDeleted, outcome::kSuccess);
    return true;
  }
  if (consumePrefix(rest, "removed group ")) {
    if (!consumeQuoted(rest, name) || !rest.starts_with(" owned by ")) return false;
    out.group = name;
    setResult(out, category::kIam, action::kGroupDeleted, outcome::kSuccess);
    return true;
  }
  return false;
}

bool classifyGroupdel(std::string_view message, AuthEvent& out) {
  // groupdel logs one line per database and then "group 'devs' removed"; only the last counts.
  std::string_view rest = message;
  std::string_view group;
  if (!consumePrefix(rest, "group ") || !consumeQuoted(rest, group) || rest != " removed") {
    return false;
  }
  out.group = group;
  setResult(out, category::kIam, action::kGroupDeleted, outcome::kSuccess);
  return true;
}

bool classifyPasswd(std::string_view message, AuthEvent& out) {
  // shadow-utils: "password for 'alice' changed by 'root'".
  std::string_view rest = message;
  std::string_view target;
  std::string_view by;
  if (!consumePrefix(rest, "password for ") || !consumeQuoted(rest, target) ||
      !consumePrefix(rest, " changed by ") || !consumeQuoted(rest, by) || !rest.empty()) {
    return false;
  }
  out.target_user = target;
  out.user = by;
  setResult(out, category::kIam, action::kPasswordChanged, outcome::kSuccess);
  return true;
}

}  // namespace logship::auth
