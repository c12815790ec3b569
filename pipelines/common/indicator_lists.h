#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pipelines/common/ip_prefix_set.h"

namespace logship::indicators {

// One configured feed file.
struct ListSpec {
  std::string name;
  std::string path;
  bool csv = false;
  std::string column_name;  // csv: the header of the column, or
  size_t column_index = 0;  // csv: the column counted from 0, when column_name is empty
};

// A line of a feed that holds no indicator, with where it is (`path:line`).
struct BadLine {
  size_t list = 0;
  std::string where;
  std::string why;
};

enum class IndicatorKind : uint8_t { kNone, kIpv4, kIpv6, kDomain, kHash };

// The indicators of every list, read-only once loaded and shared by every worker; a reload builds
// a new one. Addresses and CIDRs go to one IpPrefixSet per list; domains and file hashes to maps
// from the entry to the set of lists (a bit each) holding it.
class Indicators {
 public:
  static constexpr size_t kMaxLists = 64;

  // Reads every list. nullptr with `error` (and the list's index in `failed`) when a file cannot
  // be read or a csv column is not there; lines holding no indicator are skipped and appended to
  // `bad`.
  static std::shared_ptr<const Indicators> load(const std::vector<ListSpec>& lists,
                                                std::vector<BadLine>& bad, std::string& error,
                                                size_t& failed);

  // The lists (bit i: list i) holding `value`: an address inside one of their prefixes, a domain
  // or one of its parents (evil.example matches www.evil.example), or a file hash (any case).
  uint64_t match(std::string_view value, IndicatorKind& kind) const;
  uint64_t matchAddress(const IpAddress& address) const;

  size_t entries(size_t list) const { return entries_[list]; }

 private:
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  using TextMap = std::unordered_map<std::string, uint64_t, TextHash, std::equal_to<>>;

  // Adds one entry of list `list`; false with `why` for text that is no indicator.
  bool add(size_t list, std::string_view entry, std::string& why);

  std::vector<IpPrefixSet> addresses_;
  uint64_t lists_with_addresses_ = 0;
  TextMap domains_;
  TextMap hashes_;
  std::vector<size_t> entries_;
};

// The ECS name of a hash of `length` hex digits: md5, sha1, sha256 or sha512 ("" for others).
std::string_view hashName(size_t length);

}  // namespace logship::indicators
