#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/config.h"
#include "pipelines/common/event_fields.h"

namespace re2 {
class RE2;
}

namespace logship {

// A compiled `when`: `field` with one of `equals`, `in`, `matches` (RE2), `exists`, or `gte` and/or
// `lte`; or `all` / `any` (lists of conditions) or `not` (one condition). Compiled once at start
// with every mistake reported at its file:line:column; matching is allocation-free and reads field
// values as views into the batch. Copies share the compiled regular expressions.
class Condition {
 public:
  static constexpr int kMaxDepth = 32;

  // nullopt after reporting errors to `diag`.
  static std::optional<Condition> compile(const ConfigNode& node, const TierNames& tiers,
                                          Diagnostics& diag);

  bool matches(const Batch& batch, const Event& event) const { return eval(0, batch, event); }

 private:
  enum class Op : uint8_t { kAll, kAny, kNot, kEquals, kIn, kMatches, kExists, kRange };
  // A configured value, read every way a field value may compare with it.
  struct Literal {
    std::string text;
    std::optional<int64_t> integer;
    std::optional<double> number;
    std::optional<bool> boolean;
  };
  struct Node {
    Op op = Op::kAll;
    FieldRef field;
    std::vector<Literal> literals;
    std::shared_ptr<const re2::RE2> regex;
    std::string literal;  // `matches` patterns without metacharacters: a substring search
    bool exists = true;
    std::optional<double> gte;
    std::optional<double> lte;
    std::vector<uint32_t> children;
  };

  class Compiler;
  bool eval(uint32_t index, const Batch& batch, const Event& event) const;
  static bool equal(const Literal& literal, const FieldValue& value);

  std::vector<Node> nodes_;  // nodes_[0] is the root
};

}  // namespace logship
