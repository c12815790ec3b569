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

// True for an IPv4 address (held as ::ffff:a.b.c.d); its 32 bits are the low ones.
inline bool isV4(const IpAddress& a) { return a.high == 0 && (a.low >> 32) == 0xffff; }

// A set of addresses and CIDR prefixes ("10.0.0.0/8", "2001:db8::/32", "203.0.113.7"), merged
// into sorted disjoint ranges: a lookup is one binary search, whatever the number of prefixes
// (a million CIDRs of a threat feed cost 32 bytes each). IPv4 lookups, most of them, search the
// ranges' 32-bit copies instead, narrowed first by the address's top 16 bits to the few ranges
// starting in its /16, so a million prefixes still answer in tens of nanoseconds.
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
  bool containsV4(uint32_t address) const;

  std::vector<Range> ranges_;
  // The part of each range inside ::ffff:0:0/96, as IPv4 numbers, in the same order.
  std::vector<uint32_t> v4_first_;
  std::vector<uint32_t> v4_last_;
  // v4_by_16_[h]: the index of the first IPv4 range starting at or after h << 16 (65537 entries).
  std::vector<uint32_t> v4_by_16_;
  bool finished_ = true;
};

}  // namespace logship
