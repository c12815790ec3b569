// libFuzzer entry point for the auth classifier. The input is "program\nmessage"; without a
// newline the whole input is tried both as an sshd message and as a full syslog line.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parsers/auth/auth_classifier.h"
#include "parsers/common/syslog_parser.h"

namespace {

using logship::auth::AuthEvent;

bool isViewInto(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void classifyAndCheck(std::string_view program, std::string_view message) {
  AuthEvent e;
  if (!logship::auth::classifyAuth(program, message, e)) {
    check(e.action.empty() && e.user.empty() && e.source_ip.empty() && e.source_port == -1);
    return;
  }
  check(!e.action.empty() && !e.category.empty() && !e.outcome.empty());
  for (std::string_view field : {e.user, e.source_ip, e.target_user, e.command, e.auth_method,
                                 e.tty, e.source_host, e.group, e.session_id}) {
    check(isViewInto(field, message));
  }
  check(e.source_ip.empty() || logship::auth::isIpAddress(e.source_ip));
  check(e.source_port >= -1 && e.source_port <= 65535);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  if (newline != std::string_view::npos) {
    classifyAndCheck(input.substr(0, newline), input.substr(newline + 1));
    return 0;
  }
  classifyAndCheck("sshd", input);
  classifyAndCheck("sudo", input);
  logship::syslog::SyslogMessage m;
  if (logship::syslog::parseSyslog(input, {}, m)) classifyAndCheck(m.app_name, m.message);
  static_cast<void>(logship::auth::isIpAddress(input));
  return 0;
}
