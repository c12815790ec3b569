#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"

namespace logship {

// A string with `{field}` placeholders (`logs-{tier}`, `{host.name}`), compiled once at config
// time and rendered per event without allocating (the caller owns the output string). Fields are
// looked up on the event, then on its batch; the built-ins `message`, `log.level`, `tier` and
// `correlation_id` read the event's own slots. A missing field renders as nothing. `{{` and `}}`
// stand for literal braces. With dates enabled, `%Y %m %d %H` expand from the event's timestamp in
// UTC (`%%` is a literal percent sign).
class OutputTemplate {
 public:
  OutputTemplate() = default;

  // Returns false and sets `error` for an unbalanced brace or an empty placeholder.
  bool compile(std::string_view text, bool with_dates, std::string* error);
  // Tier names in the order of the configured tiers, for `{tier}`.
  void setTierNames(std::vector<std::string> names) { tier_names_ = std::move(names); }

  void render(const Batch& batch, const Event& event, std::string& out) const;

  // True when the template has no placeholder: every event renders the same text.
  bool isConstant() const { return constant_; }
  const std::string& text() const { return text_; }
  // The field names the template reads, in order.
  std::vector<std::string> fieldNames() const;

 private:
  enum class PartKind : uint8_t {
    kLiteral,
    kField,
    kMessage,
    kLevel,
    kTier,
    kCorrelationId,
    kYear,
    kMonth,
    kDay,
    kHour
  };
  struct Part {
    PartKind kind;
    std::string text;  // literal text or field name
  };

  std::vector<Part> parts_;
  std::vector<std::string> tier_names_;
  std::string text_;
  bool constant_ = true;
};

// Appends a field value as text: strings as they are, numbers in their shortest form.
void appendFieldText(const FieldValue& value, std::string& out);

}  // namespace logship
