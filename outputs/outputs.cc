#include "outputs/outputs.h"

#include "outputs/archive/archive_config.h"
#include "outputs/blackhole/blackhole_output.h"
#include "outputs/console/console_output.h"
#include "outputs/elasticsearch/elasticsearch_config.h"
#include "outputs/file/file_output.h"
#include "outputs/http/http_output_config.h"
#include "outputs/kafka/kafka_config.h"
#include "outputs/loki/loki_config.h"
#include "outputs/opentelemetry/opentelemetry_config.h"
#include "outputs/s3/s3_config.h"
#include "outputs/webhook/webhook_config.h"

namespace logship {

void registerOutputs(Registry& registry) {
  registerFileOutput(registry);
  registerConsoleOutput(registry);
  registerBlackholeOutput(registry);
  registerKafkaOutput(registry);
  registerArchiveOutput(registry);
  registerLokiOutput(registry);
  registerElasticsearchOutput(registry);
  registerWebhookOutput(registry);
  registerS3Output(registry);
  registerOpenTelemetryOutput(registry);
  registerHttpOutput(registry);
}

}  // namespace logship
