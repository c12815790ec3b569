#pragma once

#include <chrono>
#include <string>

#include "agent/api/registry.h"
#include "outputs/common/http_config.h"

namespace logship {

struct WebhookConfig : HttpOutputOptions {
  // One request at a time keeps a resolution from overtaking the alert it resolves.
  WebhookConfig() { concurrency = 1; }

  std::string format = "alertmanager";
  std::string template_text;
  Duration resend_interval = std::chrono::minutes(1);
  Duration min_interval = std::chrono::seconds(10);
  std::string min_severity = "debug";
  std::string generator_url;

  static const OptionTable<WebhookConfig>& options();
};

void registerWebhookOutput(Registry& registry);

}  // namespace logship
