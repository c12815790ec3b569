// libFuzzer target for the scrub_pii engine: every built-in rule plus custom RE2 rules (with and
// without a capture group), scrubbed with each action.
//
// Beyond the sanitizers, it checks invariants that hold for any input: which spans are replaced
// does not depend on the action, so the per-rule counts of all four scrubbers agree; "keep"
// never writes; a scrubber that reports no change leaves `out` alone; a change is reported
// exactly when something was counted.
//
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     tests/fuzz/scrub_pii_fuzz.cc pipelines/scrub_pii/*_matchers.cc \
//     pipelines/scrub_pii/hmac_sha256.cc pipelines/scrub_pii/pii_scrubber.cc \
//     $(pkg-config --cflags --libs re2) -lcrypto -o scrub_pii_fuzz

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pipelines/scrub_pii/pii_scrubber.h"

namespace {

namespace sp = logship::scrub_pii;

sp::PiiScrubber makeScrubber(sp::Action action) {
  sp::ScrubberOptions options;
  options.rules = sp::PiiScrubber::builtinRules(action);
  options.rules.push_back({"ticket", R"(TICKET-\d{3,8})", action});
  options.rules.push_back({"session", R"((?i)sid=([0-9a-f]{8,}))", action});
  options.hmac_key = "fuzz-key";
  return sp::PiiScrubber(std::move(options));
}

uint64_t total(const sp::MatchCounts& counts, size_t rules) {
  uint64_t sum = 0;
  for (size_t i = 0; i < rules; ++i) sum += counts.by_rule[i];
  return sum;
}

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const sp::PiiScrubber kRedact = makeScrubber(sp::Action::kRedact);
  static const sp::PiiScrubber kHash = makeScrubber(sp::Action::kHash);
  static const sp::PiiScrubber kMask = makeScrubber(sp::Action::kMask);
  static const sp::PiiScrubber kKeep = makeScrubber(sp::Action::kKeep);
  const size_t rules = kRedact.ruleCount();

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  sp::MatchCounts redact_counts;
  std::string redacted;
  const bool changed = kRedact.scrub(text, redacted, &redact_counts);
  check(changed == (total(redact_counts, rules) > 0));
  check(changed ? redacted.find("[REDACTED:") != std::string::npos : redacted.empty());

  for (const sp::PiiScrubber* scrubber : {&kHash, &kMask}) {
    sp::MatchCounts counts;
    std::string out = "prefix";
    check(scrubber->scrub(text, out, &counts) == changed);
    check(changed ? out.size() > 6 && out.starts_with("prefix") : out == "prefix");
    check(counts.by_rule == redact_counts.by_rule);
  }

  sp::MatchCounts keep_counts;
  std::string kept;
  check(!kKeep.scrub(text, kept, &keep_counts));
  check(kept.empty());
  check(keep_counts.by_rule == redact_counts.by_rule);
  return 0;
}
