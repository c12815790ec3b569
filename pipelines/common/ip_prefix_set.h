#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logship {

// An IPv4 or IPv6 address as 128 bits: IPv4 is mapped into ::ffff:0:0/96, so that one set holds
// both families and a v4-mapped v6 address matches its v4 prefix.
struct IpAddress {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const IpAddress&) const = default;
  auto operator<=>(const IpAddress&) const = default;
};

// Parses "203.0.113.7", "2001:db8::1", "::ffff:10.0.0.1" (and an optional "%zone" suffix).
std::optional<IpAddress> parseIpAddress(std::string_view text);

// A set of addresses and CIDR prefixes ("10.0.0.0/8", "2001:db8::/32", "203.0.113.7"), merged
// into sorted disjoint ranges: a lookup is one binary search, whatever the number of prefixes
// (a million CIDRs of a threat feed cost 32 bytes each).
class IpPrefixSet {
 public:
  // False (with `error`) for text that is neither an address nor a prefix.
  bool add(std::string_view text, std::string* error = nullptr);
  // Merges what was added; lookups need it after the last add().
  void finish();

  bool contains(const IpAddress& address) const;
  bool contains(std::string_view text) const;
  size_t ranges() const { return ranges_.size(); }
  bool empty() const { return ranges_.empty(); }

 private:
  struct Range {
    IpAddress first;
    IpAddress last;
  };
  std::vector<Range> ranges_;
  bool finished_ = true;
};

}  // namespace logship
