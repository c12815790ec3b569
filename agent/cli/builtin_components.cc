#include "agent/cli/builtin_components.h"

#include "agent/sources/file/file_config.h"
#include "agent/sources/file_integrity/file_integrity_source.h"
#include "agent/sources/http/http_config.h"
#include "agent/sources/journald/journald_source.h"
#include "agent/sources/kafka/kafka_config.h"
#include "agent/sources/opentelemetry/opentelemetry_config.h"
#include "agent/sources/stdin/stdin_source.h"
#include "outputs/archive/archive_anchor_source.h"
#include "outputs/outputs.h"
#include "parsers/parsers.h"
#include "pipelines/pipelines.h"

namespace logship {

void registerBuiltinComponents(Registry& registry) {
  registerFileSource(registry);
  registerJournaldSource(registry);
  registerFileIntegritySource(registry);
  registerStdinSource(registry);
  registerKafkaSource(registry);
  registerHttpSource(registry);
  registerOpenTelemetrySource(registry);
  registerArchiveAnchorSource(registry);
  registerParsers(registry);
  registerPipelines(registry);
  registerOutputs(registry);
}

}  // namespace logship
