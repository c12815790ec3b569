#include "pipelines/common/field_template.h"

namespace logship {

std::optional<FieldTemplate> FieldTemplate::parse(std::string_view text, const ConfigNode& where,
                                                  const TierNames& tiers, Diagnostics& diag,
                                                  Bare bare) {
  FieldTemplate t;
  t.text_ = std::string(text);
  if (text.empty()) return t;
  if (bare == Bare::kFieldName && text.find('{') == std::string_view::npos &&
      text.find('}') == std::string_view::npos) {
    if (!checkFieldName(text, where, diag)) return std::nullopt;
    t.parts_.push_back(Part{{}, FieldRef(std::string(text), tiers)});
    return t;
  }
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    size_t stray = text.find('}', i);
    if (stray < open) {
      diag.error(where.location(), "unmatched '}' in template '" + std::string(text) + "'");
      return std::nullopt;
    }
    if (open == std::string_view::npos) {
      t.parts_.push_back(Part{std::string(text.substr(i)), std::nullopt});
      break;
    }
    if (open > i) t.parts_.push_back(Part{std::string(text.substr(i, open - i)), std::nullopt});
    size_t close = text.find('}', open);
    if (close == std::string_view::npos) {
      diag.error(where.location(), "unclosed '{' in template '" + std::string(text) + "'");
      return std::nullopt;
    }
    std::string_view name = text.substr(open + 1, close - open - 1);
    if (!checkFieldName(name, where, diag)) return std::nullopt;
    t.parts_.push_back(Part{{}, FieldRef(std::string(name), tiers)});
    i = close + 1;
  }
  return t;
}

bool FieldTemplate::render(const Batch& batch, const Event& event, std::string& out) const {
  char buffer[32];
  for (const Part& part : parts_) {
    if (!part.field) {
      out += part.literal;
      continue;
    }
    std::optional<FieldValue> value = part.field->read(batch, event);
    if (!value) return false;
    out += valueText(*value, buffer);
  }
  return true;
}

}  // namespace logship
