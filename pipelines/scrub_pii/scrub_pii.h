#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "pipelines/scrub_pii/pii_scrubber.h"
#include "pipelines/scrub_pii/scrub_pii_config.h"

namespace prometheus {
class Counter;
}

namespace logship {

// Replaces personal data in the message (and chosen fields) of every event: built-in rules for
// e-mail and IP addresses, card and social security numbers, phone numbers, JWTs and secrets, plus
// RE2 rules of the user's; each rule redacts, masks, hashes (HMAC-SHA256) or only counts.
// Scrubbed text lives in the batch arena; events with nothing to scrub cost no allocation.
class ScrubPii final : public Transform {
 public:
  ScrubPii(ScrubPiiConfig config, BuildContext& ctx);
  void start(ComponentContext& context) override;
  void process(Batch& batch, Emitter& out) override;

  // Reads the rule list, actions and key of `config`, reporting problems at `node`.
  static scrub_pii::ScrubberOptions scrubberOptions(const ScrubPiiConfig& config,
                                                     const ConfigNode& node, Diagnostics& diag);

 private:
  std::vector<std::string> fields_;
  std::unique_ptr<scrub_pii::PiiScrubber> scrubber_;
  std::vector<std::string> rule_names_;
  std::vector<prometheus::Counter*> matches_;  // per rule
  ComponentContext* context_ = nullptr;
};

}  // namespace logship
