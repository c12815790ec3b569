#pragma once

#include <string_view>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "parsers/common/parser_support.h"
#include "parsers/logfmt/logfmt_config.h"

namespace logship {

// Parses logfmt: whitespace-separated `key=value` pairs, values bare (up to the next space) or
// double-quoted with backslash escapes (\" \\ \n \r \t; any other escaped character is kept as
// written), `key=` for an empty value, and bare keys (value true). Unquoted values stay views into
// the batch; quoted values with escapes are unescaped into its arena.
class ParseLogfmt final : public Transform {
 public:
  ParseLogfmt(ParseLogfmtConfig config, BuildContext& ctx);

  void start(ComponentContext& context) override { errors_.start(context); }
  void process(Batch& batch, Emitter& out) override;

  // Parses one event in place; returns the parse error reason, empty on success.
  std::string_view parseEvent(Batch& batch, Event& event) const;

 private:
  ParseLogfmtConfig config_;
  int32_t offset_seconds_ = 0;
  parsers::ParseErrorCounter errors_;
};

}  // namespace logship
