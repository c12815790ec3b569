#include "pipelines/common/condition.h"

#include <re2/re2.h>

#include <charconv>

#include "agent/support/ascii.h"
#include "agent/support/time_zone.h"
#include "agent/support/timestamp.h"
#include "pipelines/common/ip_prefix_set.h"
#include "pipelines/common/shared_list.h"

namespace logship {

namespace {

constexpr std::string_view kKnownKeys =
    "field, equals, in, matches, exists, gte, lte, cidr, in_list, equals_field, time_between, "
    "weekdays, timezone, all, any, not";

bool isOperator(std::string_view key) {
  return key == "equals" || key == "in" || key == "matches" || key == "exists" || key == "gte" ||
         key == "lte" || key == "cidr" || key == "in_list" || key == "equals_field" ||
         key == "time_between" || key == "weekdays" || key == "timezone";
}

// "22:00" -> 1320; -1 when malformed.
int minuteOfDay(std::string_view text) {
  int hours = 0, minutes = 0;
  if (text.size() != 5 || text[2] != ':') return -1;
  auto [h_end, h_ec] = std::from_chars(text.data(), text.data() + 2, hours);
  auto [m_end, m_ec] = std::from_chars(text.data() + 3, text.data() + 5, minutes);
  if (h_ec != std::errc() || m_ec != std::errc() || h_end != text.data() + 2 ||
      m_end != text.data() + 5 || hours > 24 || minutes > 59 || (hours == 24 && minutes != 0)) {
    return -1;
  }
  return hours * 60 + minutes;
}

// "mon" .. "sun" (or the full names) -> 0 .. 6; -1 otherwise.
int weekdayIndex(std::string_view name) {
  static constexpr std::string_view kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  if (name.size() < 3) return -1;
  for (int i = 0; i < 7; ++i) {
    if (equalsLowercase(name.substr(0, 3), kDays[i])) return i;
  }
  return -1;
}

}  // namespace

class Condition::Compiler {
 public:
  Compiler(Condition& out, const TierNames& tiers, Diagnostics& diag,
           const std::vector<SharedListSpec>* lists)
      : out_(out), tiers_(tiers), diag_(diag), lists_(lists) {}

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
                                       "' needs one of equals, in, matches, exists, gte, lte, "
                                       "cidr, in_list, equals_field, time_between, weekdays");
      return std::nullopt;
    }
    Node n;
    n.field = FieldRef(field_name, tiers_);
    bool range = false;
    bool local_time = false;
    std::optional<std::string> single;
    std::optional<ConfigNode> timezone;
    for (auto& [key, value] : ops) {
      std::string op = key.yaml().Scalar();
      if (op == "timezone") {
        timezone = value;
        continue;
      }
      bool is_range = op == "gte" || op == "lte";
      bool is_time = op == "time_between" || op == "weekdays";
      if ((is_range && (single || local_time)) || (is_time && (single || range)) ||
          (!is_range && !is_time && (single || range || local_time))) {
        diag_.error(key.location(), "'" + op + "' cannot be combined with '" +
                                        (single     ? *single
                                         : range    ? std::string("gte/lte")
                                                    : std::string("time_between/weekdays")) +
                                        "'; use all or any to combine tests");
        return std::nullopt;
      }
      if (is_time) {
        local_time = true;
        n.op = Op::kLocalTime;
        if (!readLocalTime(op, value, n)) return std::nullopt;
        continue;
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
      } else if (op == "cidr") {
        n.op = Op::kCidr;
        std::vector<ConfigNode> items = value.isSequence() ? value.items() : std::vector{value};
        auto prefixes = std::make_shared<IpPrefixSet>();
        for (const ConfigNode& item : items) {
          std::string text, error;
          if (!readValue(item, text, diag_)) return std::nullopt;
          if (!prefixes->add(text, &error)) {
            diag_.error(item.location(), error);
            return std::nullopt;
          }
        }
        prefixes->finish();
        if (prefixes->empty()) {
          diag_.error(value.location(), "cidr takes a non-empty list of prefixes");
          return std::nullopt;
        }
        n.prefixes = std::move(prefixes);
      } else if (op == "in_list") {
        n.op = Op::kInList;
        std::vector<std::string> names;
        if (!readValue(value, names, diag_)) return std::nullopt;
        if (names.empty()) {
          diag_.error(value.location(), "in_list takes a list name (of the top-level lists)");
          return std::nullopt;
        }
        for (const std::string& name : names) {
          const SharedListSpec* spec = nullptr;
          if (lists_ != nullptr) {
            for (const SharedListSpec& l : *lists_) {
              if (l.name == name) spec = &l;
            }
          }
          if (spec == nullptr) {
            std::string known;
            if (lists_ != nullptr) {
              for (const SharedListSpec& l : *lists_) known += (known.empty() ? "" : ", ") + l.name;
            }
            diag_.error(value.location(), "no list '" + name + "' in the top-level lists" +
                                              (known.empty() ? "" : " (known: " + known + ")"));
            return std::nullopt;
          }
          auto list = SharedList::open(*spec, diag_);
          if (!list) return std::nullopt;
          n.lists.push_back(std::move(list));
        }
      } else if (op == "equals_field") {
        n.op = Op::kEqualsField;
        std::string other;
        if (!readValue(value, other, diag_) || !checkFieldName(other, value, diag_)) {
          return std::nullopt;
        }
        n.other = FieldRef(other, tiers_);
      } else {  // exists
        n.op = Op::kExists;
        if (!readValue(value, n.exists, diag_)) return std::nullopt;
      }
    }
    if (timezone && !local_time) {
      diag_.error(timezone->location(), "timezone goes with time_between or weekdays");
      return std::nullopt;
    }
    if (local_time) {
      std::string name = "UTC", error;
      if (timezone && !readValue(*timezone, name, diag_)) return std::nullopt;
      n.zone = TimeZone::load(name, &error);
      if (!n.zone) {
        diag_.error(timezone->location(), error);
        return std::nullopt;
      }
    }
    uint32_t index = static_cast<uint32_t>(out_.nodes_.size());
    out_.nodes_.push_back(std::move(n));
    return index;
  }

  // time_between: ["22:00", "06:00"] or weekdays: [mon, ...] into `n`.
  bool readLocalTime(const std::string& op, const ConfigNode& value, Node& n) {
    std::vector<std::string> items;
    if (!readValue(value, items, diag_)) return false;
    if (op == "time_between") {
      const int from = items.size() == 2 ? minuteOfDay(items[0]) : -1;
      const int to = items.size() == 2 ? minuteOfDay(items[1]) : -1;
      if (from < 0 || to < 0) {
        diag_.error(value.location(), "time_between takes two times of day, like [\"22:00\", \"06:00\"]");
        return false;
      }
      n.from_minute = from;
      n.to_minute = to;
      return true;
    }
    n.weekdays = 0;
    for (const std::string& day : items) {
      const int i = weekdayIndex(day);
      if (i < 0) {
        diag_.error(value.location(), "'" + day + "' is not a weekday (mon, tue, ... sun)");
        return false;
      }
      n.weekdays |= static_cast<uint8_t>(1 << i);
    }
    if (n.weekdays == 0) {
      diag_.error(value.location(), "weekdays takes a non-empty list");
      return false;
    }
    return true;
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
  const std::vector<SharedListSpec>* lists_;
};

std::optional<Condition> Condition::compile(const ConfigNode& node, const TierNames& tiers,
                                            Diagnostics& diag,
                                            const std::vector<SharedListSpec>* lists) {
  Condition condition;
  Compiler compiler(condition, tiers, diag, lists);
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
    case Op::kCidr: {
      if (!value || value->kind != FieldValue::Kind::kString) return false;
      return n.prefixes->contains(value->string_value);
    }
    case Op::kInList: {
      if (!value || value->kind != FieldValue::Kind::kString) return false;
      for (const auto& list : n.lists) {
        if (list->contains(value->string_value)) return true;
      }
      return false;
    }
    case Op::kEqualsField: {
      std::optional<FieldValue> other = n.other.read(batch, event);
      if (!value || !other) return false;
      char a[32], b[32];
      return valueText(*value, a) == valueText(*other, b);
    }
    case Op::kLocalTime: {
      if (!value) return false;
      std::optional<int64_t> ns = valueTimestamp(*value);
      if (!ns) return false;
      const LocalClock local = localClock(*ns, *n.zone);
      if (!(n.weekdays >> local.weekday & 1)) return false;
      // [from, to) of the day; from > to spans midnight (22:00-06:00).
      const int m = local.minute_of_day;
      return n.from_minute <= n.to_minute ? m >= n.from_minute && m < n.to_minute
                                          : m >= n.from_minute || m < n.to_minute;
    }
    default:
      return false;
  }
}

}  // namespace logship
