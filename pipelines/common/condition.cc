#include "pipelines/common/condition.h"

#include <re2/re2.h>

#include <charconv>

namespace logship {

namespace {

constexpr std::string_view kKnownKeys =
    "field, equals, in, matches, exists, gte, lte, all, any, not";

bool isOperator(std::string_view key) {
  return key == "equals" || key == "in" || key == "matches" || key == "exists" || key == "gte" ||
         key == "lte";
}

}  // namespace

class Condition::Compiler {
 public:
  Compiler(Condition& out, const TierNames& tiers, Diagnostics& diag)
      : out_(out), tiers_(tiers), diag_(diag) {}

  // Appends the node for `node` and returns its index, or nullopt after reporting an error.
  std::optional<uint32_t> compile(const ConfigNode& node, int depth) {
    if (depth > kMaxDepth) {
      diag_.error(node.location(), "conditions nest deeper than " + std::to_string(kMaxDepth));
      return std::nullopt;
    }
    if (!node.isMap() || node.entries().empty()) {
      diag_.error(node.location(),
                  "a condition is a map with field and one of equals, in, matches, exists, "
                  "gte, lte; or all, any, not");
      return std::nullopt;
    }
    auto entries = node.entries();
    std::optional<std::pair<ConfigNode, ConfigNode>> combinator;
    std::optional<ConfigNode> field;
    std::vector<std::pair<ConfigNode, ConfigNode>> operators;
    bool ok = true;
    for (auto& [key, value] : entries) {
      std::string name = key.yaml().Scalar();
      if (name == "all" || name == "any" || name == "not") {
        if (combinator) {
          diag_.error(key.location(), "'" + name + "' cannot be combined with '" +
                                          combinator->first.yaml().Scalar() +
                                          "' in one condition; nest them");
          ok = false;
          continue;
        }
        combinator.emplace(key, value);
      } else if (name == "field") {
        field = value;
      } else if (isOperator(name)) {
        operators.emplace_back(key, value);
      } else {
        diag_.error(key.location(), "unknown condition key '" + name +
                                        "' (known: " + std::string(kKnownKeys) + ")");
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    if (combinator) {
      if (field || !operators.empty()) {
        const ConfigNode& extra = field ? *field : operators.front().first;
        diag_.error(extra.location(), "'" + combinator->first.yaml().Scalar() +
                                          "' takes its conditions as its value; field and "
                                          "operators go inside them");
        return std::nullopt;
      }
      return compileCombinator(combinator->first.yaml().Scalar(), combinator->second, depth);
    }
    if (!field) {
      diag_.error(node.location(), "condition has no 'field' (or all, any, not)");
      return std::nullopt;
    }
    return compileTest(node, *field, operators);
  }

 private:
  std::optional<uint32_t> compileCombinator(const std::string& name, const ConfigNode& value,
                                            int depth) {
    uint32_t index = static_cast<uint32_t>(out_.nodes_.size());
    out_.nodes_.emplace_back();
    out_.nodes_[index].op = name == "all" ? Op::kAll : name == "any" ? Op::kAny : Op::kNot;
    std::vector<ConfigNode> items;
    if (name == "not") {
      items.push_back(value);
    } else if (!value.isSequence() || value.items().empty()) {
      diag_.error(value.location(), "'" + name + "' takes a non-empty list of conditions");
      return std::nullopt;
    } else {
      items = value.items();
    }
    std::vector<uint32_t> children;
    bool ok = true;
    for (const ConfigNode& item : items) {
      auto child = compile(item, depth + 1);
      if (child) {
        children.push_back(*child);
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    out_.nodes_[index].children = std::move(children);
    return index;
  }

  std::optional<uint32_t> compileTest(const ConfigNode& node, const ConfigNode& field_node,
                                      const std::vector<std::pair<ConfigNode, ConfigNode>>& ops) {
    std::string field_name;
    if (!readValue(field_node, field_name, diag_)) return std::nullopt;
    if (!checkFieldName(field_name, field_node, diag_)) return std::nullopt;
    if (ops.empty()) {
      diag_.error(node.location(), "condition on '" + field_name +
                                       "' needs one of equals, in, matches, exists, gte, lte");
      return std::nullopt;
    }
    Node n;
    n.field = FieldRef(field_name, tiers_);
    bool range = false;
    std::optional<std::string> single;
    for (auto& [key, value] : ops) {
      std::string op = key.yaml().Scalar();
      bool is_range = op == "gte" || op == "lte";
      if ((is_range && single) || (!is_range && (single || range))) {
        diag_.error(key.location(), "'" + op + "' cannot be combined with '" +
                                        (single ? *single : std::string("gte/lte")) +
                                        "'; use all or any to combine tests");
        return std::nullopt;
      }
      if (is_range) {
        range = true;
        double bound = 0;
        if (!readNumber(value, bound)) return std::nullopt;
        (op == "gte" ? n.gte : n.lte) = bound;
        n.op = Op::kRange;
        continue;
      }
      single = op;
      if (op == "equals") {
        n.op = Op::kEquals;
        if (!value.isScalar()) {
          diag_.error(value.location(), "equals takes one value (use 'in' for a list)");
          return std::nullopt;
        }
        auto literal = readLiteral(value);
        if (!literal) return std::nullopt;
        n.literals.push_back(std::move(*literal));
      } else if (op == "in") {
        n.op = Op::kIn;
        if (!value.isSequence() || value.items().empty()) {
          diag_.error(value.location(), "in takes a non-empty list of values");
          return std::nullopt;
        }
        for (const ConfigNode& item : value.items()) {
          auto literal = readLiteral(item);
          if (!literal) return std::nullopt;
          n.literals.push_back(std::move(*literal));
        }
      } else if (op == "matches") {
        n.op = Op::kMatches;
        std::string pattern;
        if (!readValue(value, pattern, diag_)) return std::nullopt;
        RE2::Options options;
        options.set_log_errors(false);
        auto re = std::make_shared<const RE2>(pattern, options);
        if (!re->ok()) {
          diag_.error(value.location(),
                      "invalid regular expression '" + pattern + "': " + re->error());
          return std::nullopt;
        }
        // A plain word or phrase needs no regex engine: a substring search is several times
        // cheaper per message.
        if (!pattern.empty() && pattern.find_first_of("\\.^$|?*+()[]{}") == std::string::npos) {
          n.literal = pattern;
        } else {
          n.regex = std::move(re);
        }
      } else {  // exists
        n.op = Op::kExists;
        if (!readValue(value, n.exists, diag_)) return std::nullopt;
      }
    }
    uint32_t index = static_cast<uint32_t>(out_.nodes_.size());
    out_.nodes_.push_back(std::move(n));
    return index;
  }

  bool readNumber(const ConfigNode& value, double& out) {
    std::string text;
    if (!readValue(value, text, diag_)) return false;
    auto number = valueNumber(FieldValue::string(text));
    if (!number) {
      diag_.error(value.location(), "expected a number, got '" + text + "'");
      return false;
    }
    out = *number;
    return true;
  }

  std::optional<Literal> readLiteral(const ConfigNode& value) {
    Literal literal;
    if (!readValue(value, literal.text, diag_)) return std::nullopt;
    FieldValue as_text = FieldValue::string(literal.text);
    literal.integer = valueInteger(as_text);
    literal.number = valueNumber(as_text);
    if (literal.text == "true") literal.boolean = true;
    if (literal.text == "false") literal.boolean = false;
    return literal;
  }

  Condition& out_;
  const TierNames& tiers_;
  Diagnostics& diag_;
};

std::optional<Condition> Condition::compile(const ConfigNode& node, const TierNames& tiers,
                                            Diagnostics& diag) {
  Condition condition;
  Compiler compiler(condition, tiers, diag);
  auto root = compiler.compile(node, 0);
  if (!root) return std::nullopt;
  // Combinators take their slot before compiling their children, so the root is node 0.
  return condition;
}

bool Condition::equal(const Literal& literal, const FieldValue& value) {
  switch (value.kind) {
    case FieldValue::Kind::kString:
      return value.string_value == literal.text;
    case FieldValue::Kind::kInt:
      if (literal.integer) return *literal.integer == value.int_value;
      return literal.number && *literal.number == static_cast<double>(value.int_value);
    case FieldValue::Kind::kDouble:
      return literal.number && *literal.number == value.double_value;
    case FieldValue::Kind::kBool:
      return literal.boolean && *literal.boolean == value.bool_value;
  }
  return false;
}

bool Condition::eval(uint32_t index, const Batch& batch, const Event& event) const {
  const Node& n = nodes_[index];
  switch (n.op) {
    case Op::kAll:
      for (uint32_t c : n.children) {
        if (!eval(c, batch, event)) return false;
      }
      return true;
    case Op::kAny:
      for (uint32_t c : n.children) {
        if (eval(c, batch, event)) return true;
      }
      return false;
    case Op::kNot:
      return !eval(n.children.front(), batch, event);
    default:
      break;
  }
  std::optional<FieldValue> value = n.field.read(batch, event);
  switch (n.op) {
    case Op::kExists:
      return value.has_value() == n.exists;
    case Op::kEquals:
    case Op::kIn:
      if (!value) return false;
      for (const Literal& literal : n.literals) {
        if (equal(literal, *value)) return true;
      }
      return false;
    case Op::kMatches: {
      if (!value) return false;
      char buffer[32];
      std::string_view text = valueText(*value, buffer);
      if (!n.regex) return text.find(n.literal) != std::string_view::npos;
      return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *n.regex);
    }
    case Op::kRange: {
      if (!value) return false;
      auto number = valueNumber(*value);
      if (!number) return false;
      if (n.gte && !(*number >= *n.gte)) return false;
      if (n.lte && !(*number <= *n.lte)) return false;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace logship
