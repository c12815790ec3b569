#include "pipelines/scrub_pii/scrub_pii.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "agent/support/ascii.h"
#include "agent/support/files.h"

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
  options.secret_keys = config.secret_keys;
  bool hashes = false;
  for (auto& r : options.rules) hashes = hashes || r.action == Action::kHash;
  if (!config.key_file.empty()) {
    std::string error;
    if (!readSecretFile(config.key_file, SecretForm::kBytes, options.hmac_key, error)) {
      diag.error(node["key_file"].location(), error);
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

ScrubPii::ScrubPii(ScrubPiiConfig config, BuildContext& ctx)
    : fields_(std::move(config.fields)), exclude_fields_(std::move(config.exclude_fields)) {
  ScrubberOptions options = scrubberOptions(config, ctx.node, ctx.diag);
  if (!ctx.diag.ok()) return;
  for (auto& r : options.rules) rule_names_.push_back(r.name);
  scrubber_ = std::make_unique<PiiScrubber>(std::move(options));
  if (!scrubber_->secretKeyNames().empty()) secret_rule_ = scrubber_->ruleIndex("secret");
}

namespace {

// `key` is `name` or a field under it.
bool covers(std::string_view name, std::string_view key) {
  return key.starts_with(name) && (key.size() == name.size() || key[name.size()] == '.');
}

// What a scrub_pii wrote already: a second one in the same chain leaves it, rather than hash a
// hash.
bool alreadyScrubbed(std::string_view v) {
  if (v.starts_with("[REDACTED:")) return v.ends_with("]");
  if (!v.empty() && v.find_first_not_of('*') == std::string_view::npos) return true;
  const size_t colon = v.find(':');
  if (!v.starts_with('[') || !v.ends_with(']') || colon == std::string_view::npos ||
      colon + 2 >= v.size()) {
    return false;
  }
  return v.find_first_not_of("0123456789abcdef", colon + 1) == v.size() - 1;
}

// A version written as a dotted quad under a key that says so ("version": "1.2.3.4"): in text
// the scrubber sees the word before the number and leaves it, a field's value alone has no word.
bool versionValue(std::string_view key, std::string_view value) {
  if (value.empty() || value.find_first_not_of("0123456789.") != std::string_view::npos) {
    return false;
  }
  const size_t dot = key.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? key : key.substr(dot + 1);
  std::string word;
  for (char c : last) {
    if (c != '_' && c != '-') word.push_back(asciiLower(c));
  }
  static constexpr std::string_view kWords[] = {"ver",      "v",  "release", "build",
                                                "firmware", "fw", "rev",     "revision"};
  return word.ends_with("version") ||
         std::find(std::begin(kWords), std::end(kWords), word) != std::end(kWords);
}

}  // namespace

void ScrubPii::start(ComponentContext& context) {
  context_ = &context;
  auto& family =
      prometheus::BuildCounter()
          .Name("logship_scrub_pii_matches_total")
          .Help("Values a scrub_pii rule matched (and redacted, masked, hashed or kept).")
          .Register(context.metricsRegistry());
  for (auto& name : rule_names_) {
    matches_.push_back(&family.Add({{"component_id", std::string(context.id())}, {"rule", name}}));
  }
}

ScrubPii::KeyPolicy ScrubPii::policyFor(std::string_view key) const {
  KeyPolicy policy{key, true, {}};
  for (const std::string& name : exclude_fields_) {
    if (covers(name, key)) policy.scanned = false;
  }
  if (policy.scanned && !fields_.empty() && key != "message" && key != "event.original") {
    policy.scanned = false;
    for (const std::string& name : fields_) policy.scanned = policy.scanned || covers(name, key);
  }
  if (policy.scanned && secret_rule_) {
    policy.secret_name = scrubber_->secretKeyNames().match(key);
  }
  return policy;
}

std::optional<std::string_view> ScrubPii::scrubText(Batch& batch, std::string_view text,
                                                    const Scanned& raw,
                                                    scrub_pii::MatchCounts& counts) const {
  thread_local std::string scratch;
  scratch.clear();
  const auto at = reinterpret_cast<uintptr_t>(text.data());
  const auto raw_at = reinterpret_cast<uintptr_t>(raw.text.data());
  const bool part_of_raw = raw.matches != nullptr && !text.empty() && at >= raw_at &&
                           at + text.size() <= raw_at + raw.text.size();
  if (part_of_raw ? !scrubber_->replaceWithin(raw.text, *raw.matches, text, scratch)
                  : !scrubber_->scrub(text, scratch, &counts)) {
    return std::nullopt;
  }
  return batch.arena().copy(scratch);
}

void ScrubPii::scrubValue(Batch& batch, const KeyPolicy& policy, FieldValue& value,
                          const Scanned& raw, scrub_pii::MatchCounts& counts) const {
  if (!policy.scanned) return;
  const bool working_directory =
      policy.secret_name == "pwd" && value.kind == FieldValue::Kind::kString &&
      (value.string_value.starts_with('/') || value.string_value.starts_with('~'));
  if (!policy.secret_name.empty() && !working_directory) {
    thread_local std::string scratch;
    scratch.clear();
    char number[32];
    std::string_view text;
    switch (value.kind) {
      case FieldValue::Kind::kString:
        text = value.string_value;
        break;
      case FieldValue::Kind::kInt:
        text = {number,
                static_cast<size_t>(
                    std::to_chars(number, number + sizeof number, value.int_value).ptr - number)};
        break;
      case FieldValue::Kind::kDouble:
        text = {number, static_cast<size_t>(
                            std::to_chars(number, number + sizeof number, value.double_value).ptr -
                            number)};
        break;
      case FieldValue::Kind::kBool:
        return;  // a flag holds no secret
    }
    if (text.empty() || alreadyScrubbed(text)) return;
    if (scrubber_->replaceWhole(*secret_rule_, text, scratch, &counts)) {
      value = FieldValue::string(batch.arena().copy(scratch));
    }
    return;
  }
  if (value.kind != FieldValue::Kind::kString || versionValue(policy.key, value.string_value)) {
    return;
  }
  if (auto clean = scrubText(batch, value.string_value, raw, counts)) value.string_value = *clean;
}

void ScrubPii::process(Batch& batch, Emitter& out) {
  // Keys repeat from event to event (a parser writes the same ones in the same order): the
  // previous event's policies are tried first, by position.
  thread_local std::vector<KeyPolicy> policies;
  thread_local std::vector<scrub_pii::Match> matches;
  thread_local std::string scratch;
  policies.clear();
  scrub_pii::MatchCounts counts;
  const Scanned none;
  for (Field& field : batch.sharedFields()) {
    scrubValue(batch, policyFor(field.key), field.value, none, counts);
  }
  const KeyPolicy message_policy = policyFor("message");
  const bool original_scanned = policyFor("event.original").scanned;
  for (Event& e : batch.events()) {
    // The raw text first: event.original when a parser kept it, else the message.
    Field* original = nullptr;
    for (uint16_t i = 0; i < e.field_count; ++i) {
      if (e.fields[i].key == "event.original" &&
          e.fields[i].value.kind == FieldValue::Kind::kString) {
        original = &e.fields[i];
      }
    }
    Scanned raw;
    matches.clear();
    if (original != nullptr ? original_scanned : message_policy.scanned) {
      std::string_view& text = original != nullptr ? original->value.string_value : e.message;
      raw = Scanned{text, &matches};
      scratch.clear();
      if (scrubber_->scrub(text, scratch, &counts, &matches)) text = batch.arena().copy(scratch);
    }
    if (original != nullptr && message_policy.scanned) {
      if (auto clean = scrubText(batch, e.message, raw, counts)) e.message = *clean;
    }
    for (uint16_t i = 0; i < e.field_count; ++i) {
      Field& field = e.fields[i];
      if (&field == original) continue;
      if (i >= policies.size()) policies.resize(i + 1);
      if (policies[i].key != field.key) policies[i] = policyFor(field.key);
      scrubValue(batch, policies[i], field.value, raw, counts);
    }
  }
  for (size_t r = 0; r < matches_.size(); ++r) {
    if (counts.by_rule[r]) matches_[r]->Increment(static_cast<double>(counts.by_rule[r]));
  }
  out.emit(std::move(batch));
}

}  // namespace logship
