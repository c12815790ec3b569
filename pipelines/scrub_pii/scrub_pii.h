#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "pipelines/scrub_pii/pii_scrubber.h"
#include "pipelines/scrub_pii/scrub_pii_config.h"

namespace prometheus {
class Counter;
}

namespace logship {

// Replaces personal data in every string value of every event, at any depth (the message, the
// raw line in event.original, parsed fields, arrays kept as JSON text, and the batch's shared
// fields): built-in rules for e-mail and IP addresses, card and social security numbers, phone
// numbers, JWTs and secrets (Substrate key material included), plus RE2 rules of the user's; a
// value under a key that names a secret is replaced whole. Each rule redacts, masks, hashes
// (HMAC-SHA256) or only counts. `fields` narrows the scan, `exclude_fields` exempts.
//
// Each event's raw text (event.original, else the message) is scanned once; the values parsers
// took from it are views into it, and get that scan's decisions for their bytes without a scan
// of their own. Only values that are not such views (unescaped copies, fields other stages
// added) are scanned apart. Scrubbed text lives in the batch arena; events with nothing to scrub
// cost no allocation.
class ScrubPii final : public Transform {
 public:
  ScrubPii(ScrubPiiConfig config, BuildContext& ctx);
  void start(ComponentContext& context) override;
  void process(Batch& batch, Emitter& out) override;
  bool removesPersonalData() const override { return true; }

  // Reads the rule list, actions and key of `config`, reporting problems at `node`.
  static scrub_pii::ScrubberOptions scrubberOptions(const ScrubPiiConfig& config,
                                                    const ConfigNode& node, Diagnostics& diag);

 private:
  // What happens to the values of one key, worked out once per key and batch.
  struct KeyPolicy {
    std::string_view key;
    bool scanned = false;
    std::string_view secret_name;  // the secret name the key matches, if any
  };
  KeyPolicy policyFor(std::string_view key) const;
  // The text of an event already scanned, and what that scan replaced in it.
  struct Scanned {
    std::string_view text;
    const std::vector<scrub_pii::Match>* matches = nullptr;
  };
  // Scrubs one value in place (its new text in `batch`'s arena).
  void scrubValue(Batch& batch, const KeyPolicy& policy, FieldValue& value, const Scanned& raw,
                  scrub_pii::MatchCounts& counts) const;
  // Scrubs `text` as a part of raw.text when it is one, else on its own; nullopt when unchanged.
  std::optional<std::string_view> scrubText(Batch& batch, std::string_view text, const Scanned& raw,
                                            scrub_pii::MatchCounts& counts) const;

  std::vector<std::string> fields_;  // empty: every field
  std::vector<std::string> exclude_fields_;
  std::unique_ptr<scrub_pii::PiiScrubber> scrubber_;
  std::optional<size_t> secret_rule_;  // the rule secret-named values count under, if on
  std::vector<std::string> rule_names_;
  std::vector<prometheus::Counter*> matches_;  // per rule
  ComponentContext* context_ = nullptr;
};

}  // namespace logship
