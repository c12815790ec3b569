#include "parsers/parsers.h"

#include "parsers/auditd/auditd_config.h"
#include "parsers/auth/auth_config.h"
#include "parsers/json/json_config.h"
#include "parsers/logfmt/logfmt_config.h"
#include "parsers/regex/regex_config.h"
#include "parsers/substrate/substrate_config.h"
#include "parsers/syslog/syslog_config.h"

namespace logship {

void registerParsers(Registry& registry) {
  registerParseJson(registry);
  registerParseLogfmt(registry);
  registerParseRegex(registry);
  registerParseSyslog(registry);
  registerParseAuth(registry);
  registerParseAuditd(registry);
  registerParseSubstrate(registry);
}

}  // namespace logship
