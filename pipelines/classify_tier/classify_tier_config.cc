#include "pipelines/classify_tier/classify_tier_config.h"

#include "pipelines/classify_tier/classify_tier.h"

namespace logship {

const OptionTable<ClassifyTierConfig>& ClassifyTierConfig::options() {
  static const OptionTable<ClassifyTierConfig> table = [] {
    OptionTable<ClassifyTierConfig> t;
    t.optional("rules", &ClassifyTierConfig::rules,
               "Ordered [{tier, when}]: the first rule whose condition matches gives the tier.")
        .optional("default", &ClassifyTierConfig::default_tier,
                  "Tier of events no rule matched (a name from the top-level tiers); without "
                  "it they keep the tier they had.")
        .optional("overwrite", &ClassifyTierConfig::overwrite,
                  "Let rules replace a tier an earlier classify_tier gave; the default applies "
                  "only to events without one.");
    return t;
  }();
  return table;
}

void registerClassifyTier(Registry& registry) {
  registry.addTransform<ClassifyTierConfig, ClassifyTier>(
      "classify_tier", "Assigns each event a retention tier from the top-level tiers by rules.");
}

}  // namespace logship
