#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/config.h"
#include "pipelines/common/event_fields.h"

namespace logship {

// Text built from fields, written `{correlation_id}` or `{host.name}/{process.pid}` as in the
// outputs' templates; a value without braces names one field, or is literal text (Bare). Rendering appends to a reused
// string, so the per-event path does not allocate once that string has grown.
class FieldTemplate {
 public:
  // What text without braces means: a field's name (keys: `key: source.ip`), or itself
  // (labels and annotations: `team: security`).
  enum class Bare : uint8_t { kFieldName, kLiteral };
  // Reports problems (unclosed brace, empty or bad field name) at `where`.
  static std::optional<FieldTemplate> parse(std::string_view text, const ConfigNode& where,
                                            const TierNames& tiers, Diagnostics& diag,
                                            Bare bare = Bare::kFieldName);

  bool empty() const { return parts_.empty(); }
  const std::string& text() const { return text_; }
  // Appends the rendered text to `out`; false (with `out` partly written) when a referenced field
  // is missing from the event.
  bool render(const Batch& batch, const Event& event, std::string& out) const;

 private:
  struct Part {
    std::string literal;
    std::optional<FieldRef> field;
  };
  std::string text_;
  std::vector<Part> parts_;
};

}  // namespace logship
