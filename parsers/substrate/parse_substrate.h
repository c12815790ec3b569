#pragma once

#include <string_view>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "parsers/common/parser_support.h"
#include "parsers/substrate/substrate_config.h"
#include "parsers/substrate/substrate_line.h"

namespace logship {

// The parse_substrate transform: substrate::parseSubstrateLine() on every message (or the string
// field `field` names, for node output a journal, Docker or syslog wrapped). Fields:
// @timestamp, log.level (ERROR high, WARN medium, INFO info, DEBUG/TRACE debug; without a printed
// level the level the node logs that kind of message at; equivocation and node_panic critical),
// substrate.chain, process.thread.name, log.logger, substrate.message (the body; message keeps
// the raw line), event.action and what that kind of line carries (substrate.block.number,
// substrate.block.hash, substrate.parent_hash, substrate.block.best, substrate.peers,
// substrate.best, substrate.finalized, error.message, ...). A panic report keeps the time it was
// read: it prints none.
class ParseSubstrate final : public Transform {
 public:
  ParseSubstrate(ParseSubstrateConfig config, BuildContext& ctx);

  void start(ComponentContext& context) override { errors_.start(context); }
  void process(Batch& batch, Emitter& out) override;

  // Parses one event in place; returns the parse error reason, empty on success.
  std::string_view parseEvent(Batch& batch, Event& event) const;

 private:
  ParseSubstrateConfig config_;
  int32_t offset_seconds_ = 0;
  parsers::ParseErrorCounter errors_;
};

}  // namespace logship
