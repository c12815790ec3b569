#include "pipelines/scrub_pii/scrub_pii.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace logship {

using scrub_pii::Action;
using scrub_pii::PiiScrubber;
using scrub_pii::RuleSpec;
using scrub_pii::ScrubberOptions;

ScrubberOptions ScrubPii::scrubberOptions(const ScrubPiiConfig& config, const ConfigNode& node,
                                          Diagnostics& diag) {
  ScrubberOptions options;
  Action fallback = *scrub_pii::parseAction(config.action);
  if (!config.rules.defined()) {
    for (std::string_view name : PiiScrubber::builtinRuleNames()) {
      options.rules.push_back(RuleSpec{std::string(name), "", fallback});
    }
  } else if (!config.rules.isSequence()) {
    diag.error(config.rules.location(), "rules must be a list");
    return options;
  } else {
    for (const ConfigNode& item : config.rules.items()) {
      RuleSpec rule;
      rule.action = fallback;
      if (item.isScalar()) {
        if (!readValue(item, rule.name, diag)) continue;
      } else if (item.isMap()) {
        for (auto& [k, v] : item.entries()) {
          std::string key = k.yaml().Scalar();
          std::string text;
          if (!readValue(v, text, diag)) continue;
          if (key == "name") {
            rule.name = text;
          } else if (key == "pattern") {
            rule.pattern = text;
          } else if (key == "action") {
            auto a = scrub_pii::parseAction(text);
            if (!a) {
              diag.error(v.location(), "'" + text + "' is not one of: redact, mask, hash, keep");
            } else {
              rule.action = *a;
            }
          } else {
            diag.error(k.location(), "unknown option '" + key + "' (known: name, pattern, action)");
          }
        }
      } else {
        diag.error(item.location(), "a rule is a built-in name or a {name, pattern, action} map");
        continue;
      }
      options.rules.push_back(std::move(rule));
    }
  }
  options.hash_hex_chars = static_cast<size_t>(config.hash_length);
  bool hashes = false;
  for (auto& r : options.rules) hashes = hashes || r.action == Action::kHash;
  if (!config.key_file.empty()) {
    std::ifstream in(config.key_file, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    options.hmac_key = s.str();
    while (!options.hmac_key.empty() &&
           (options.hmac_key.back() == '\n' || options.hmac_key.back() == '\r')) {
      options.hmac_key.pop_back();
    }
    if (!in || options.hmac_key.empty()) {
      diag.error(node["key_file"].location(),
                 "key_file " + config.key_file + " cannot be read or is empty");
    }
  } else if (hashes) {
    diag.error(node.location(),
               "the hash action needs key_file (a secret shared by every host that must "
               "produce the same hashes)");
  }
  if (diag.ok()) {
    try {
      PiiScrubber check(options);
    } catch (const std::invalid_argument& e) {
      diag.error(node.location(), e.what());
    }
  }
  return options;
}

ScrubPii::ScrubPii(ScrubPiiConfig config, BuildContext& ctx) : fields_(config.fields) {
  // Parsers keep the raw line in event.original: it holds whatever the message held.
  if (std::find(fields_.begin(), fields_.end(), "event.original") == fields_.end()) {
    fields_.push_back("event.original");
  }
  ScrubberOptions options = scrubberOptions(config, ctx.node, ctx.diag);
  if (!ctx.diag.ok()) return;
  for (auto& r : options.rules) rule_names_.push_back(r.name);
  scrubber_ = std::make_unique<PiiScrubber>(std::move(options));
}

void ScrubPii::start(ComponentContext& context) {
  context_ = &context;
  auto& family = prometheus::BuildCounter()
                     .Name("logship_scrub_pii_matches_total")
                     .Help("Values a scrub_pii rule matched (and redacted, masked, hashed or kept).")
                     .Register(context.metricsRegistry());
  for (auto& name : rule_names_) {
    matches_.push_back(&family.Add({{"component_id", std::string(context.id())}, {"rule", name}}));
  }
}

void ScrubPii::process(Batch& batch, Emitter& out) {
  thread_local std::string scratch;
  scrub_pii::MatchCounts counts;
  auto scrubInto = [&](std::string_view text) -> std::optional<std::string_view> {
    scratch.clear();
    if (!scrubber_->scrub(text, scratch, &counts)) return std::nullopt;
    return batch.arena().copy(scratch);
  };
  for (Event& e : batch.events()) {
    if (auto clean = scrubInto(e.message)) e.message = *clean;
    for (const std::string& key : fields_) {
      for (uint16_t i = 0; i < e.field_count; ++i) {
        Field& f = e.fields[i];
        if (f.key != key || f.value.kind != FieldValue::Kind::kString) continue;
        if (auto clean = scrubInto(f.value.string_value)) f.value.string_value = *clean;
      }
    }
  }
  for (size_t r = 0; r < matches_.size(); ++r) {
    if (counts.by_rule[r]) matches_[r]->Increment(static_cast<double>(counts.by_rule[r]));
  }
  out.emit(std::move(batch));
}

}  // namespace logship
