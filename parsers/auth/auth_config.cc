#include "parsers/auth/auth_config.h"

#include "parsers/auth/parse_auth.h"
#include "parsers/common/parser_support.h"

namespace logship {

const OptionTable<ParseAuthConfig>& ParseAuthConfig::options() {
  static const OptionTable<ParseAuthConfig> table = [] {
    OptionTable<ParseAuthConfig> t;
    t.oneOf("input", &ParseAuthConfig::input, {"auto", "syslog", "fields"},
            "Where the program name and message text come from. syslog: the raw line, header "
            "parsed here (as in /var/log/auth.log); fields: an event parse_syslog already read "
            "(process.name and syslog.message) or a journald one (process.name or "
            "SYSLOG_IDENTIFIER, and message); auto: fields when they are there, else syslog.")
        .optional("timezone_offset", &ParseAuthConfig::timezone_offset,
                  "UTC offset of syslog timestamps written without a zone, e.g. +02:00.")
        .optional("header_on_every_line", &ParseAuthConfig::header_on_every_line,
                  "When the syslog header is parsed here, write its fields (as parse_syslog "
                  "does) on lines that are not auth events too; by default those keep only "
                  "their time (@timestamp).")
        .check([](const ParseAuthConfig& c, const ConfigNode& node, Diagnostics& diag) {
          parsers::checkUtcOffsetOption(c.timezone_offset, node, diag);
        });
    return t;
  }();
  return table;
}

void registerParseAuth(Registry& registry) {
  registry.addTransform<ParseAuthConfig, ParseAuth>(
      "parse_auth",
      "Turns sshd, sudo, su, PAM, shadow-utils, systemd-logind, login, pkexec and polkit lines, "
      "the kernel's firewall lines (UFW, iptables/nftables LOG), and fail2ban.log and dpkg.log "
      "lines into security events: event.category/type/action/outcome, user.name, "
      "user.target.name, source.ip/port/domain, destination.ip/port, network.transport, "
      "process.command_line, fail2ban.jail, package.name/version. Other lines pass through "
      "untouched.");
}

}  // namespace logship
