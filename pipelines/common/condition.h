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
class IpPrefixSet;
class SharedList;
class TimeZone;
}  // namespace logship

namespace logship {

// A compiled `when`: `field` with one of
//   equals, in, matches (RE2), exists, gte and/or lte   the field's value
//   cidr: [10.0.0.0/8, "2001:db8::/32"]                 an IP address inside one of the prefixes
//   in_list: NAME (or [NAME, ...])                      on a list of the top-level `lists`: an
//                                                       address in its CIDRs, a domain or its
//                                                       parent, a file hash
//   equals_field: OTHER                                 the same value as another field
//   time_between: ["22:00", "06:00"] and/or weekdays: [sat, sun], with timezone (default UTC)
//                                                       the local time of a timestamp field
//                                                       (@timestamp, or RFC 3339 / epoch text)
// or `all` / `any` (lists of conditions) or `not` (one condition). Compiled once at start with
// every mistake reported at its file:line:column; matching is allocation-free and reads field
// values as views into the batch. Copies share the compiled regular expressions, prefix sets and
// time zones.
class Condition {
 public:
  static constexpr int kMaxDepth = 32;

  // nullopt after reporting errors to `diag`. `lists`: the top-level lists in_list may name.
  static std::optional<Condition> compile(const ConfigNode& node, const TierNames& tiers,
                                          Diagnostics& diag,
                                          const std::vector<SharedListSpec>* lists = nullptr);

  bool matches(const Batch& batch, const Event& event) const { return eval(0, batch, event); }

 private:
  enum class Op : uint8_t {
    kAll, kAny, kNot, kEquals, kIn, kMatches, kExists, kRange, kCidr, kInList, kEqualsField,
    kLocalTime
  };
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
    std::shared_ptr<const IpPrefixSet> prefixes;  // cidr
    std::vector<std::shared_ptr<const SharedList>> lists;  // in_list
    FieldRef other;                                // equals_field
    // time_between (minutes of the day, `from` > `to` spans midnight) and weekdays (bit 0 =
    // Monday); a test not given matches everything.
    int from_minute = 0;
    int to_minute = 24 * 60;
    uint8_t weekdays = 0x7f;
    std::shared_ptr<const TimeZone> zone;
    std::vector<uint32_t> children;
  };

  class Compiler;
  bool eval(uint32_t index, const Batch& batch, const Event& event) const;
  static bool equal(const Literal& literal, const FieldValue& value);

  std::vector<Node> nodes_;  // nodes_[0] is the root
};

}  // namespace logship
