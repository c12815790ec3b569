#include "agent/cli/builtin_components.h"

#include "agent/sources/file/file_config.h"
#include "agent/sources/file_integrity/file_integrity_source.h"
#include "agent/sources/http/http_config.h"
#include "agent/sources/journald/journald_source.h"
#include "agent/sources/kafka/kafka_config.h"
#include "agent/sources/opentelemetry/opentelemetry_config.h"
#include "agent/sources/stdin/stdin_source.h"
#include "agent/sources/syslog/syslog_source.h"
#include "outputs/archive/archive_anchor_source.h"
#include "outputs/outputs.h"
#include "parsers/common/parser_support.h"
#include "parsers/parsers.h"
#include "parsers/syslog/parse_syslog.h"
#include "pipelines/pipelines.h"

namespace logship {
namespace {

// A syslog source parses what it receives as parse_syslog would, with the source's own options.
std::unique_ptr<Transform> syslogParser(const SyslogSourceConfig& config, BuildContext& ctx) {
  parsers::checkUtcOffsetOption(config.timezone_offset, ctx.node, ctx.diag);
  return std::make_unique<ParseSyslog>(
      ParseSyslogConfig{config.timezone_offset, config.structured_data}, ctx);
}

}  // namespace

void registerBuiltinComponents(Registry& registry) {
  registerFileSource(registry);
  registerJournaldSource(registry);
  registerFileIntegritySource(registry);
  registerStdinSource(registry);
  registerSyslogSource(registry, syslogParser);
  registerKafkaSource(registry);
  registerHttpSource(registry);
  registerOpenTelemetrySource(registry);
  registerArchiveAnchorSource(registry);
  registerParsers(registry);
  registerPipelines(registry);
  registerOutputs(registry);
}

}  // namespace logship
