#include "outputs/webhook/webhook_config.h"

#include "outputs/webhook/webhook_service.h"

namespace logship {

const OptionTable<WebhookConfig>& WebhookConfig::options() {
  static const OptionTable<WebhookConfig> table = [] {
    OptionTable<WebhookConfig> t;
    addHttpOptions(t);
    t.oneOf("format", &WebhookConfig::format, {"alertmanager", "json"},
            "alertmanager: Alertmanager API v2 alert arrays; json: one generic object per alert, "
            "or `template`.")
        .optional("template", &WebhookConfig::template_text,
                  "With format json: the body per alert, {field} placeholders filled with "
                  "JSON-escaped values, e.g. {\"text\": \"{rule.name}: {message}\"}.")
        .optional("resend_interval", &WebhookConfig::resend_interval,
                  "Active alerts are sent again this often (Alertmanager expires silent ones).")
        .optional("min_interval", &WebhookConfig::min_interval,
                  "An unchanged alert is not sent again sooner than this.")
        .oneOf("min_severity", &WebhookConfig::min_severity,
               {"debug", "info", "low", "medium", "high", "critical"},
               "Alerts below this log.level are not sent.")
        .optional("generator_url", &WebhookConfig::generator_url,
                  "generatorURL of every alert (a link back to where it came from).");
    return t;
  }();
  return table;
}

void registerWebhookOutput(Registry& registry) {
  registry.addOutput<WebhookConfig, WebhookOutput>(
      "webhook", "Sends alerts from detection rules to Alertmanager or a JSON webhook.");
}

}  // namespace logship
