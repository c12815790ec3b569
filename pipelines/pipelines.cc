#include "pipelines/pipelines.h"

#include "pipelines/classify_tier/classify_tier_config.h"
#include "pipelines/correlate/correlate_config.h"
#include "pipelines/detect/detect_config.h"
#include "pipelines/filter/filter_config.h"
#include "pipelines/geoip/geoip_config.h"
#include "pipelines/log_to_metric/log_to_metric_config.h"
#include "pipelines/remap/remap_config.h"
#include "pipelines/route/route_config.h"
#include "pipelines/sample/sample_config.h"
#include "pipelines/scrub_pii/scrub_pii_config.h"
#include "pipelines/tag_severity/tag_severity_config.h"
#include "pipelines/threat_intel/threat_intel_config.h"
#include "pipelines/throttle/throttle_config.h"

namespace logship {

void registerPipelines(Registry& registry) {
  registerScrubPii(registry);
  registerTagSeverity(registry);
  registerCorrelate(registry);
  registerClassifyTier(registry);
  registerRoute(registry);
  registerFilter(registry);
  registerSample(registry);
  registerThrottle(registry);
  registerLogToMetric(registry);
  registerDetect(registry);
  registerGeoip(registry);
  registerThreatIntel(registry);
  registerRemap(registry);
}

}  // namespace logship
