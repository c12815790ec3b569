#include "parsers/substrate/substrate_config.h"

#include "parsers/common/parser_support.h"
#include "parsers/substrate/parse_substrate.h"

namespace logship {

const OptionTable<ParseSubstrateConfig>& ParseSubstrateConfig::options() {
  static const OptionTable<ParseSubstrateConfig> table = [] {
    OptionTable<ParseSubstrateConfig> t;
    t.optional("field", &ParseSubstrateConfig::field,
               "Field whose string value is parsed instead of the message (node output wrapped "
               "by journald, Docker's json-file or syslog: e.g. log after parse_json, "
               "syslog.message after parse_syslog); an event without it gets "
               "event.parse_error.")
        .optional("timezone_offset", &ParseSubstrateConfig::timezone_offset,
                  "UTC offset of the node's clock (nodes log local time without a zone), e.g. "
                  "+02:00.")
        .check([](const ParseSubstrateConfig& c, const ConfigNode& node, Diagnostics& diag) {
          parsers::checkUtcOffsetOption(c.timezone_offset, node, diag);
        });
    return t;
  }();
  return table;
}

void registerParseSubstrate(Registry& registry) {
  registry.addTransform<ParseSubstrateConfig, ParseSubstrate>(
      "parse_substrate",
      "Parses Substrate/Polkadot/Cere node output: @timestamp, substrate.chain ([Relaychain]), "
      "process.thread.name, log.level, log.logger, the message body in substrate.message, and "
      "event.action for the node's progress lines (block_imported, idle, syncing, "
      "prepared_block, new_epoch, ...) with their block numbers, hashes and peer counts. The "
      "raw line stays in message.");
}

}  // namespace logship
