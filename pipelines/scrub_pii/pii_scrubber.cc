#include "pipelines/scrub_pii/pii_scrubber.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "pipelines/scrub_pii/builtin_matchers.h"
#include "pipelines/scrub_pii/scrubber_impl.h"

namespace logship::scrub_pii {
namespace {

bool isValidRuleName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string builtinList() {
  std::string list;
  for (std::string_view name : kBuiltinNames) {
    if (!list.empty()) list += ", ";
    list += name;
  }
  return list;
}

}  // namespace

std::string_view actionName(Action action) {
  switch (action) {
    case Action::kRedact:
      return "redact";
    case Action::kMask:
      return "mask";
    case Action::kHash:
      return "hash";
    case Action::kKeep:
      return "keep";
  }
  return "unknown";
}

std::optional<Action> parseAction(std::string_view name) {
  for (Action action : {Action::kRedact, Action::kMask, Action::kHash, Action::kKeep}) {
    if (name == actionName(action)) return action;
  }
  return std::nullopt;
}

PiiScrubber::Impl::Impl(ScrubberOptions& options) : secret_keys(options.secret_keys) {
  // This copy of the key must not outlive configuration, whether or not it is valid.
  struct WipeKey {
    std::string& key;
    ~WipeKey() { secureWipe(key); }
  } wipe_key{options.hmac_key};

  if (options.rules.empty()) {
    throw std::invalid_argument("scrub_pii: no rules configured; list built-in rules (" +
                                builtinList() + ") or custom rules with a pattern");
  }
  if (options.rules.size() > kMaxRules) {
    throw std::invalid_argument("scrub_pii: " + std::to_string(options.rules.size()) +
                                " rules configured, at most " + std::to_string(kMaxRules) +
                                " are supported");
  }
  builtin_rule.fill(-1);
  std::string first_hash_rule;  // named in the error when the key is missing
  for (size_t i = 0; i < options.rules.size(); ++i) {
    RuleSpec& spec = options.rules[i];
    if (spec.name.empty()) {
      throw std::invalid_argument("scrub_pii: rule #" + std::to_string(i + 1) + " has no name");
    }
    if (!isValidRuleName(spec.name)) {
      throw std::invalid_argument("scrub_pii: rule name '" + spec.name +
                                  "' may only contain letters, digits, '_' and '-'");
    }
    for (const Rule& earlier : rules) {
      if (earlier.name == spec.name) {
        throw std::invalid_argument("scrub_pii: rule '" + spec.name + "' is listed twice");
      }
    }
    const auto builtin = std::find(kBuiltinNames.begin(), kBuiltinNames.end(), spec.name);
    Rule rule;
    if (spec.pattern.empty()) {
      if (builtin == kBuiltinNames.end()) {
        throw std::invalid_argument("scrub_pii: unknown built-in rule '" + spec.name +
                                    "' (built-ins: " + builtinList() +
                                    "); give a pattern to define a custom rule");
      }
      rule.kind = static_cast<Kind>(builtin - kBuiltinNames.begin());
      builtin_rule[index(rule.kind)] = static_cast<int16_t>(i);
    } else {
      if (builtin != kBuiltinNames.end()) {
        throw std::invalid_argument("scrub_pii: custom rule '" + spec.name +
                                    "' has the name of a built-in rule; choose another name");
      }
      re2::RE2::Options re_options;
      re_options.set_log_errors(false);
      auto regex = std::make_unique<const re2::RE2>(spec.pattern, re_options);
      if (!regex->ok()) {
        throw std::invalid_argument("scrub_pii: rule '" + spec.name + "': invalid RE2 pattern '" +
                                    spec.pattern + "': " + regex->error());
      }
      if (re2::RE2::FullMatch("", *regex)) {
        throw std::invalid_argument("scrub_pii: rule '" + spec.name + "': pattern '" +
                                    spec.pattern +
                                    "' matches the empty string, so it would match everywhere");
      }
      rule.replace_group = regex->NumberOfCapturingGroups() >= 1;
      rule.regex = std::move(regex);
      custom_rules.push_back(static_cast<uint16_t>(i));
    }
    rule.name = spec.name;
    rule.action = spec.action;
    rule.redacted = "[REDACTED:" + spec.name + "]";
    rule.hash_prefix = "[" + spec.name + ":";
    if (spec.action == Action::kHash && first_hash_rule.empty()) first_hash_rule = spec.name;
    rules.push_back(std::move(rule));
  }
  if (options.hash_hex_chars < 8 || options.hash_hex_chars > 2 * kSha256Bytes) {
    throw std::invalid_argument("scrub_pii: hash_hex_chars must be between 8 and 64, got " +
                                std::to_string(options.hash_hex_chars));
  }
  hash_hex_chars = options.hash_hex_chars;
  if (!first_hash_rule.empty()) {
    if (options.hmac_key.empty()) {
      throw std::invalid_argument("scrub_pii: rule '" + first_hash_rule +
                                  "' uses the hash action, which needs an hmac_key");
    }
    hmac = std::make_unique<const HmacSha256>(options.hmac_key);
  }

  auto enabled = [this](Kind kind) { return builtin_rule[index(kind)] >= 0; };
  size_t anywhere = 0;
  size_t word_start = 0;
  auto addAnywhere = [&](char c, Trigger trigger) {
    triggers[static_cast<unsigned char>(c)] = trigger;
    trigger_set.anywhere[anywhere++] = static_cast<uint8_t>(c);
  };
  auto addWordStart = [&](char c, Trigger trigger) {
    triggers[static_cast<unsigned char>(c)] = trigger;
    trigger_set.word_start[word_start++] = static_cast<uint8_t>(c);
  };
  if (enabled(Kind::kIpv4) || enabled(Kind::kCard) || enabled(Kind::kSsn) ||
      enabled(Kind::kPhone) || enabled(Kind::kSecret)) {
    for (char c = '0'; c <= '9'; ++c) triggers[static_cast<unsigned char>(c)] = kTriggerDigit;
    trigger_set.digits = true;
    // What the IPv4, SSN and hex seed shape checks in onTrigger need a digit run to be followed
    // by, as bytes at offsets from the run's start (bit k: k bytes on); keep the two in step.
    // Phone numbers and cards take shapes common in logs (a year before '-' or ' ', a digit
    // twelve on): with either rule on, the filter costs more than it saves, and every run passes.
    if (!enabled(Kind::kPhone) && !enabled(Kind::kCard)) {
      constexpr uint8_t k1 = 1 << 1, k2 = 1 << 2, k3 = 1 << 3;
      if (enabled(Kind::kIpv4)) trigger_set.allowDigitsBefore('.', k1 | k2 | k3);
      if (enabled(Kind::kSsn)) trigger_set.allowDigitsBefore('-', k3);
      if (enabled(Kind::kSecret)) trigger_set.allowDigitsBefore('x', k1);
    }
  }
  if (enabled(Kind::kEmail)) addAnywhere('@', kTriggerAt);
  if (enabled(Kind::kIpv6) || enabled(Kind::kSecret)) addAnywhere(':', kTriggerColon);
  if (enabled(Kind::kPhone)) addAnywhere('+', kTriggerPlus);
  if (enabled(Kind::kSecret)) {
    addAnywhere('=', kTriggerEquals);
    addWordStart('A', kTriggerA);
    addWordStart('B', kTriggerB);
    triggers[static_cast<unsigned char>('/')] = kTriggerSlash;
    trigger_set.slash_pairs = true;
    mnemonics = true;
  }
  if (enabled(Kind::kJwt)) addWordStart('e', kTriggerE);
}

PiiScrubber::PiiScrubber(ScrubberOptions options) : impl_(std::make_unique<const Impl>(options)) {}

PiiScrubber::~PiiScrubber() = default;
PiiScrubber::PiiScrubber(PiiScrubber&&) noexcept = default;
PiiScrubber& PiiScrubber::operator=(PiiScrubber&&) noexcept = default;

bool PiiScrubber::replaceWithin(std::string_view whole, std::span<const Match> matches,
                                std::string_view part, std::string& out) const {
  const size_t from = static_cast<size_t>(part.data() - whole.data());
  const size_t to = from + part.size();
  auto first = std::partition_point(matches.begin(), matches.end(),
                                    [from](const Match& m) { return m.end <= from; });
  if (first == matches.end() || first->begin >= to) return false;
  std::optional<HmacSha256::Context> hmac_context;
  size_t copied = from;
  for (auto m = first; m != matches.end() && m->begin < to; ++m) {
    // A match reaching past the part (rare: a value glued to its neighbour) is cut to it.
    const size_t begin = std::max<size_t>(m->begin, from);
    const size_t end = std::min<size_t>(m->end, to);
    const Impl::Rule& rule = impl_->rules[m->rule];
    out.append(whole.substr(copied, begin - copied));
    impl_->render(rule, m->shape, whole.substr(begin, end - begin), hmac_context, out);
    copied = end;
  }
  out.append(whole.substr(copied, to - copied));
  return true;
}

bool PiiScrubber::replaceWhole(size_t rule, std::string_view value, std::string& out,
                               MatchCounts* counts) const {
  const Impl::Rule& r = impl_->rules.at(rule);
  if (counts != nullptr) ++counts->by_rule[rule];
  if (r.action == Action::kKeep) return false;
  std::optional<HmacSha256::Context> hmac_context;
  impl_->render(r, matchers::kSecretValue, value, hmac_context, out);
  return true;
}

std::optional<size_t> PiiScrubber::ruleIndex(std::string_view name) const {
  for (size_t i = 0; i < impl_->rules.size(); ++i) {
    if (impl_->rules[i].name == name) return i;
  }
  return std::nullopt;
}

const SecretKeyNames& PiiScrubber::secretKeyNames() const { return impl_->secret_keys; }

size_t PiiScrubber::ruleCount() const { return impl_->rules.size(); }

std::string_view PiiScrubber::ruleName(size_t index) const { return impl_->rules.at(index).name; }

Action PiiScrubber::ruleAction(size_t index) const { return impl_->rules.at(index).action; }

std::span<const std::string_view> PiiScrubber::builtinRuleNames() { return kBuiltinNames; }

std::vector<RuleSpec> PiiScrubber::builtinRules(Action action) {
  std::vector<RuleSpec> rules;
  for (std::string_view name : kBuiltinNames) rules.push_back({std::string(name), "", action});
  return rules;
}

}  // namespace logship::scrub_pii
