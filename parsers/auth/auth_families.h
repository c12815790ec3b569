#pragma once

// The per-family classifiers classifyAuth() dispatches to by program name, kept in their own
// files. Each returns true with `out` filled for a recognised line; on false the caller resets
// `out`.

#include <string_view>

#include "parsers/auth/auth_classifier.h"

namespace logship::auth {

// auth_firewall.cc: kernel netfilter log lines ("[UFW BLOCK] IN=eth0 OUT= ... SRC= DST= ...").
bool classifyKernel(std::string_view message, AuthEvent& out);

// auth_privilege.cc: sudo, su, login, pkexec and polkitd.
bool classifySudo(std::string_view message, AuthEvent& out);
bool classifySu(std::string_view message, AuthEvent& out);
bool classifyLogin(std::string_view message, AuthEvent& out);
bool classifyPkexec(std::string_view message, AuthEvent& out);
bool classifyPolkit(std::string_view message, AuthEvent& out);

// auth_accounts.cc: shadow-utils' account and group tools.
bool classifyPasswd(std::string_view message, AuthEvent& out);
bool classifyUseradd(std::string_view message, AuthEvent& out);
bool classifyUsermod(std::string_view message, AuthEvent& out);
bool classifyUserdel(std::string_view message, AuthEvent& out);
bool classifyNewGroup(std::string_view message, AuthEvent& out);
bool classifyGroupdel(std::string_view message, AuthEvent& out);
bool classifyGpasswd(std::string_view message, AuthEvent& out);

// auth_files.cc: what fail2ban writes after its "[pid]: LEVEL" prefix ("[sshd] Ban 1.2.3.4"),
// also when it logs through syslog or journald.
bool classifyFail2ban(std::string_view message, AuthEvent& out);

}  // namespace logship::auth
