#include "pipelines/common/ip_prefix_set.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace logship {
namespace {

IpAddress fromBytes(const unsigned char (&bytes)[16]) {
  IpAddress a;
  for (int i = 0; i < 8; ++i) a.high = a.high << 8 | bytes[i];
  for (int i = 8; i < 16; ++i) a.low = a.low << 8 | bytes[i];
  return a;
}

// The addresses of `a` with the low `128 - prefix` bits cleared (first) or set (last).
IpAddress masked(const IpAddress& a, int prefix, bool ones) {
  auto part = [&](uint64_t v, int bits) {  // keep the top `bits` bits of v
    if (bits >= 64) return v;
    if (bits <= 0) return ones ? ~uint64_t{0} : uint64_t{0};
    const uint64_t keep = ~uint64_t{0} << (64 - bits);
    return ones ? (v | ~keep) : (v & keep);
  };
  return IpAddress{part(a.high, prefix), part(a.low, prefix - 64)};
}

IpAddress next(IpAddress a) {
  if (++a.low == 0) ++a.high;
  return a;
}

}  // namespace

std::optional<IpAddress> parseIpAddress(std::string_view text) {
  const size_t zone = text.find('%');
  if (zone != std::string_view::npos) text = text.substr(0, zone);
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  unsigned char bytes[16] = {};
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, bytes + 12) != 1) return std::nullopt;
    bytes[10] = bytes[11] = 0xff;
  } else if (inet_pton(AF_INET6, buf, bytes) != 1) {
    return std::nullopt;
  }
  return fromBytes(bytes);
}

bool IpPrefixSet::add(std::string_view text, std::string* error) {
  const size_t slash = text.find('/');
  const std::optional<IpAddress> address = parseIpAddress(text.substr(0, slash));
  if (!address) {
    if (error)
      *error = "'" + std::string(text) + "' is not an IP prefix (like 10.0.0.0/8 or 2001:db8::/32)";
    return false;
  }
  const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  int prefix = 128;
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    int n = -1;
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    if (ec != std::errc() || end != bits.data() + bits.size() || n < 0 || n > (v4 ? 32 : 128)) {
      if (error) {
        *error = "'" + std::string(text) + "': prefix length must be 0-" + (v4 ? "32" : "128");
      }
      return false;
    }
    prefix = v4 ? 96 + n : n;
  }
  ranges_.push_back(Range{masked(*address, prefix, false), masked(*address, prefix, true)});
  finished_ = false;
  return true;
}

void IpPrefixSet::finish() {
  if (finished_) return;
  std::sort(ranges_.begin(), ranges_.end(),
            [](const Range& a, const Range& b) { return a.first < b.first; });
  std::vector<Range> merged;
  for (const Range& r : ranges_) {
    if (!merged.empty() && (r.first <= merged.back().last ||
                            (merged.back().last != IpAddress{~uint64_t{0}, ~uint64_t{0}} &&
                             r.first == next(merged.back().last)))) {
      merged.back().last = std::max(merged.back().last, r.last);
    } else {
      merged.push_back(r);
    }
  }
  ranges_ = std::move(merged);
  ranges_.shrink_to_fit();

  const IpAddress v4_min{0, 0xffff00000000ULL};
  const IpAddress v4_max{0, 0xffffffffffffULL};
  v4_first_.clear();
  v4_last_.clear();
  for (const Range& r : ranges_) {
    if (r.last < v4_min || v4_max < r.first) continue;
    v4_first_.push_back(static_cast<uint32_t>(std::max(r.first, v4_min).low));
    v4_last_.push_back(static_cast<uint32_t>(std::min(r.last, v4_max).low));
  }
  v4_first_.shrink_to_fit();
  v4_last_.shrink_to_fit();
  v4_by_16_.assign(65537, 0);
  size_t i = 0;
  for (uint32_t h = 0; h <= 65536; ++h) {
    while (i < v4_first_.size() && (v4_first_[i] >> 16) < h) ++i;
    v4_by_16_[h] = static_cast<uint32_t>(i);
  }
  finished_ = true;
}

bool IpPrefixSet::containsV4(uint32_t address) const {
  // Ranges starting before this /16 sort before v4_by_16_[h] and those starting after it from
  // v4_by_16_[h + 1] on, so searching between the two finds what a search of all would.
  const uint32_t h = address >> 16;
  const uint32_t* base = v4_first_.data();
  const uint32_t* it = std::upper_bound(base + v4_by_16_[h], base + v4_by_16_[h + 1], address);
  if (it == base) return false;
  return address <= v4_last_[it - base - 1];
}

bool IpPrefixSet::contains(const IpAddress& address) const {
  if (isV4(address)) return !v4_by_16_.empty() && containsV4(static_cast<uint32_t>(address.low));
  // The last range starting at or before the address.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), address,
                             [](const IpAddress& a, const Range& r) { return a < r.first; });
  if (it == ranges_.begin()) return false;
  --it;
  return address <= it->last;
}

bool IpPrefixSet::contains(std::string_view text) const {
  const std::optional<IpAddress> address = parseIpAddress(text);
  return address && contains(*address);
}

}  // namespace logship
