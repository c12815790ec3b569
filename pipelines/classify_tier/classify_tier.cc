#include "pipelines/classify_tier/classify_tier.h"

namespace logship {

namespace {

std::string knownTiers(const GlobalConfig& global) {
  std::string list;
  for (const TierSpec& t : global.tiers) list += (list.empty() ? "" : ", ") + t.name;
  return list;
}

// The index of tier `name`, or nullopt after an error at `where`.
std::optional<uint8_t> tierOf(const std::string& name, const ConfigNode& where,
                              const GlobalConfig& global, Diagnostics& diag) {
  int index = global.tierIndex(name);
  if (index < 0) {
    diag.error(where.location(), "unknown tier '" + name + "' (configured tiers: " +
                                     (global.tiers.empty() ? std::string("none; add a top-level "
                                                                         "tiers section")
                                                           : knownTiers(global)) +
                                     ")");
    return std::nullopt;
  }
  if (index >= kNoTier) {
    diag.error(where.location(), "at most 255 tiers are supported");
    return std::nullopt;
  }
  return static_cast<uint8_t>(index);
}

}  // namespace

ClassifyTier::ClassifyTier(ClassifyTierConfig config, BuildContext& ctx)
    : overwrite_(config.overwrite) {
  const GlobalConfig& global = ctx.global;
  TierNames tiers = tierNames(global);
  if (!config.default_tier.empty()) {
    if (auto t = tierOf(config.default_tier, ctx.node["default"], global, ctx.diag)) default_ = *t;
  }
  if (!config.rules.defined()) {
    if (config.default_tier.empty()) {
      ctx.diag.error(ctx.node.location(), "classify_tier needs rules, a default, or both");
    }
    return;
  }
  if (!config.rules.isSequence()) {
    ctx.diag.error(config.rules.location(), "rules must be a list of {tier, when}");
    return;
  }
  for (const ConfigNode& item : config.rules.items()) {
    if (!item.isMap()) {
      ctx.diag.error(item.location(), "a rule is a map {tier, when}");
      continue;
    }
    std::optional<uint8_t> tier;
    std::optional<Condition> when;
    bool ok = true;
    for (auto& [key, value] : item.entries()) {
      std::string name = key.yaml().Scalar();
      if (name == "tier") {
        std::string text;
        if (!readValue(value, text, ctx.diag)) {
          ok = false;
          continue;
        }
        tier = tierOf(text, value, global, ctx.diag);
        ok = ok && tier.has_value();
      } else if (name == "when") {
        when = Condition::compile(value, tiers, ctx.diag, &ctx.global.lists);
        ok = ok && when.has_value();
      } else {
        ctx.diag.error(key.location(), "unknown rule key '" + name + "' (known: tier, when)");
        ok = false;
      }
    }
    if (!ok) continue;
    if (!tier || !when) {
      ctx.diag.error(item.location(), "a rule needs both tier and when");
      continue;
    }
    rules_.push_back(Rule{*tier, std::move(*when)});
  }
}

void ClassifyTier::process(Batch& batch, Emitter& out) {
  for (Event& e : batch.events()) {
    if (!overwrite_ && e.tier != kNoTier) continue;
    bool matched = false;
    for (const Rule& rule : rules_) {
      if (rule.when.matches(batch, e)) {
        e.tier = rule.tier;
        matched = true;
        break;
      }
    }
    if (!matched && e.tier == kNoTier) e.tier = default_;
  }
  out.emit(std::move(batch));
}

}  // namespace logship
