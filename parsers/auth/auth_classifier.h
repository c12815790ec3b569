#pragma once

// Allocation-free classifier for authentication, session and account-management syslog lines
// (OpenSSH, PAM, sudo, su, shadow-utils, systemd-logind, login, pkexec, polkit), the kernel's
// firewall log lines (UFW, iptables and nftables LOG), and the lines of fail2ban.log and dpkg.log.
//
// Matching is hand-written: the program name selects a handful of anchored literal checks, so a
// line costs a few comparisons rather than a pass of dozens of regular expressions. A line is
// classified only when its whole shape is recognised; anything else is left unclassified rather
// than guessed, because a wrong "failure" or "success" is worse for alerting than none.

#include <cstdint>
#include <string_view>

namespace logship::auth {

namespace category {
inline constexpr std::string_view kAuthentication = "authentication";
inline constexpr std::string_view kIam = "iam";
inline constexpr std::string_view kSession = "session";
inline constexpr std::string_view kNetwork = "network";
inline constexpr std::string_view kIntrusionDetection = "intrusion_detection";
inline constexpr std::string_view kPackage = "package";
}  // namespace category

// ECS event.type, for the families that set it.
namespace event_type {
inline constexpr std::string_view kDenied = "denied";
inline constexpr std::string_view kAllowed = "allowed";
inline constexpr std::string_view kInfo = "info";
inline constexpr std::string_view kConnection = "connection";
inline constexpr std::string_view kInstallation = "installation";
inline constexpr std::string_view kDeletion = "deletion";
inline constexpr std::string_view kChange = "change";
inline constexpr std::string_view kStart = "start";
}  // namespace event_type

namespace outcome {
inline constexpr std::string_view kSuccess = "success";
inline constexpr std::string_view kFailure = "failure";
inline constexpr std::string_view kUnknown = "unknown";
}  // namespace outcome

namespace action {
// OpenSSH (program sshd, sshd-session, sshd-auth).
inline constexpr std::string_view kSshFailedPassword = "ssh_failed_password";
inline constexpr std::string_view kSshFailedPublickey = "ssh_failed_publickey";
inline constexpr std::string_view kSshFailedKeyboardInteractive = "ssh_failed_keyboard_interactive";
inline constexpr std::string_view kSshFailedOther = "ssh_failed_other";  // none, hostbased, ...
inline constexpr std::string_view kSshInvalidUser = "ssh_invalid_user";
inline constexpr std::string_view kSshAcceptedPassword = "ssh_accepted_password";
inline constexpr std::string_view kSshAcceptedPublickey = "ssh_accepted_publickey";
inline constexpr std::string_view kSshAcceptedKeyboardInteractive =
    "ssh_accepted_keyboard_interactive";
inline constexpr std::string_view kSshAcceptedOther = "ssh_accepted_other";
inline constexpr std::string_view kSshDisconnect = "ssh_disconnect";
inline constexpr std::string_view kSshConnectionClosed = "ssh_connection_closed";
inline constexpr std::string_view kSshBreakInAttempt = "ssh_break_in_attempt";
inline constexpr std::string_view kSshMaxAuthTries = "ssh_max_auth_tries";
inline constexpr std::string_view kSshPamRepeatedFailures = "ssh_pam_repeated_failures";
// Pre-authentication probes: scanners that never get as far as a user name.
inline constexpr std::string_view kSshNoIdentification = "ssh_no_identification";
inline constexpr std::string_view kSshNegotiationFailed = "ssh_negotiation_failed";
inline constexpr std::string_view kSshBannerExchangeFailed = "ssh_banner_exchange_failed";
inline constexpr std::string_view kSshConnectionReset = "ssh_connection_reset";
// PAM, from any program ("pam_unix(sshd:auth): ..." or the old "sshd(pam_unix)" tag).
inline constexpr std::string_view kPamAuthFailure = "pam_auth_failure";
inline constexpr std::string_view kPamCheckPassUserUnknown = "pam_check_pass_user_unknown";
inline constexpr std::string_view kAccountLocked = "account_locked";  // pam_faillock, pam_tally
inline constexpr std::string_view kSessionOpened = "session_opened";
inline constexpr std::string_view kSessionClosed = "session_closed";
// sudo.
inline constexpr std::string_view kSudoCommand = "sudo_command";
inline constexpr std::string_view kSudoAuthFailure = "sudo_auth_failure";
inline constexpr std::string_view kSudoCommandDenied = "sudo_command_denied";
// su.
inline constexpr std::string_view kSuSuccess = "su_success";
inline constexpr std::string_view kSuFailure = "su_failure";
// Account management (shadow-utils, passwd, PAM chauthtok).
inline constexpr std::string_view kUserCreated = "user_created";
inline constexpr std::string_view kUserDeleted = "user_deleted";
inline constexpr std::string_view kUserModified = "user_modified";
inline constexpr std::string_view kUserAddedToGroup = "user_added_to_group";
inline constexpr std::string_view kUserRemovedFromGroup = "user_removed_from_group";
inline constexpr std::string_view kGroupMembersSet = "group_members_set";
inline constexpr std::string_view kGroupCreated = "group_created";
inline constexpr std::string_view kGroupDeleted = "group_deleted";
inline constexpr std::string_view kPasswordChanged = "password_changed";
// systemd-logind.
inline constexpr std::string_view kLogindNewSession = "logind_new_session";
inline constexpr std::string_view kLogindSessionRemoved = "logind_session_removed";
// login (shadow-utils, util-linux).
inline constexpr std::string_view kLoginFailed = "login_failed";
// pkexec and polkitd.
inline constexpr std::string_view kPkexecCommand = "pkexec_command";
inline constexpr std::string_view kPkexecDenied = "pkexec_denied";
inline constexpr std::string_view kPolkitAuthFailure = "polkit_auth_failure";
inline constexpr std::string_view kPolkitAuthSuccess = "polkit_auth_success";
// Kernel netfilter logging (UFW, iptables/nftables LOG with a prefix naming the verdict).
inline constexpr std::string_view kFirewallBlock = "firewall_block";
inline constexpr std::string_view kFirewallAllow = "firewall_allow";
// fail2ban.log.
inline constexpr std::string_view kIpBanned = "ip_banned";
inline constexpr std::string_view kIpUnbanned = "ip_unbanned";
inline constexpr std::string_view kIpFound = "ip_found";
// dpkg.log.
inline constexpr std::string_view kPackageInstalled = "package_installed";
inline constexpr std::string_view kPackageRemoved = "package_removed";
inline constexpr std::string_view kPackageUpgraded = "package_upgraded";
}  // namespace action

// Field meanings: `user` is the account that acts or authenticates (the sudo/su caller, the SSH
// login name, PAM's user=), `target_user` the account acted upon (sudo USER=, su target, the
// account created or changed). Every string is a view into the message passed to
// classifyAuth(), or one of the constants above.
struct AuthEvent {
  std::string_view category;  // "authentication", "iam", "session", or empty
  std::string_view action;    // e.g. "ssh_failed_password"; empty = unclassified
  std::string_view outcome;   // "success", "failure", "unknown"
  std::string_view user;
  std::string_view source_ip;  // only ever an IPv4/IPv6 literal
  std::string_view target_user;
  std::string_view command;
  std::string_view auth_method;  // "password", "publickey", ... as sshd names it
  std::string_view tty;
  int source_port = -1;
  std::string_view source_host;  // remote peer given as a host name rather than an address
  std::string_view group;        // group created, deleted or joined
  std::string_view session_id;   // systemd-logind session
  int attempts = -1;             // "3 incorrect password attempts", "PAM 2 more ..."
  std::string_view type;         // ECS event.type, where the family sets one
  // Firewall lines.
  std::string_view destination_ip;
  int destination_port = -1;
  std::string_view transport;      // "tcp", "udp", "icmp", "ipv6-icmp" or the number logged
  std::string_view interface_in;   // IN=
  std::string_view interface_out;  // OUT=
  std::string_view jail;           // fail2ban
  std::string_view package;        // dpkg: name, version and architecture
  std::string_view package_version;
  std::string_view package_architecture;
};

// Classifies one syslog message. `program` is the syslog app name (an optional directory and a
// "(pam_unix)" style suffix are understood). Returns true and fills out when the line is a
// recognised event; otherwise returns false with out reset (empty action).
bool classifyAuth(std::string_view program, std::string_view message, AuthEvent& out);

// A line of a log file that is not syslog: fail2ban.log ("2024-03-01 10:20:31,456
// fail2ban.actions [1234]: NOTICE [sshd] Ban 203.0.113.9") or dpkg.log ("2024-03-01 10:20:31
// install nginx:amd64 <none> 1.22.1-9"). The time is local, `offset_seconds` east of UTC.
struct FileLine {
  int64_t timestamp_ns = 0;
  std::string_view logger;  // "fail2ban.actions"; empty for dpkg
  int pid = -1;
};
bool classifyFileLine(std::string_view line, int32_t offset_seconds, AuthEvent& out,
                      FileLine& header);

// The cheap test that lets a syslog line skip classifyFileLine(): "YYYY-MM-DD HH:MM:SS...".
inline bool mayBeFileLine(std::string_view line) {
  return line.size() >= 20 && line[0] >= '0' && line[0] <= '9' && line[4] == '-' && line[10] == ' ';
}

// True for a dotted-quad IPv4 or an RFC 4291 IPv6 text address (optionally with a %zone).
bool isIpAddress(std::string_view text);

}  // namespace logship::auth
