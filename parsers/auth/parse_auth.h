#pragma once

#include <string_view>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "parsers/auth/auth_classifier.h"
#include "parsers/auth/auth_config.h"
#include "parsers/common/parser_support.h"

namespace logship {

// Writes a classified auth event's fields: event.category, event.action, event.outcome,
// user.name, user.target.name, source.ip, source.port, source.domain (a host name given as
// rhost), process.command_line (sudo), group.name, system.auth.ssh.method, system.auth.tty,
// system.auth.session.id, system.auth.attempts, event.type, destination.ip/port,
// network.transport, observer.ingress/egress.interface.name, fail2ban.jail and
// package.name/version/architecture. Values view the classified message.
void addAuthFields(Batch& batch, Event& event, const auth::AuthEvent& auth);

// The parse_auth transform; see ParseAuthConfig::input for where it reads from.
class ParseAuth final : public Transform {
 public:
  ParseAuth(ParseAuthConfig config, BuildContext& ctx);

  void start(ComponentContext& context) override { errors_.start(context); }
  void process(Batch& batch, Emitter& out) override;

  // Classifies one event in place. Returns the parse error reason (a raw line whose syslog header
  // cannot be read), empty otherwise, auth event or not.
  std::string_view parseEvent(Batch& batch, Event& event) const;

 private:
  enum class Input : uint8_t { kAuto, kSyslog, kFields };

  ParseAuthConfig config_;
  Input input_ = Input::kAuto;
  int32_t offset_seconds_ = 0;
  parsers::ParseErrorCounter errors_;
};

}  // namespace logship
