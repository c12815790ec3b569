// What a match becomes: the redaction, mask or keyed hash of each rule, and the canonical form a
// hash is taken of.
#include <charconv>

#include "pipelines/scrub_pii/builtin_matchers.h"
#include "pipelines/scrub_pii/scrubber_impl.h"

namespace logship::scrub_pii {
namespace {

// Lowercase hex without leading zeros, as IPv6 text is written; returns the length (1-4).
size_t writeHexGroup(uint16_t group, char* dst) {
  return static_cast<size_t>(std::to_chars(dst, dst + 4, group, 16).ptr - dst);
}

void appendHexGroup(uint16_t group, std::string& out) {
  char buf[4];
  out.append(buf, writeHexGroup(group, buf));
}

// UTF-8 aware ends, so that masking custom values never splits a multi-byte character.
size_t firstCharLength(std::string_view v) {
  size_t n = 1;
  while (n < v.size() && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) ++n;
  return n;
}

size_t lastCharStart(std::string_view v) {
  size_t k = v.size() - 1;
  while (k > 0 && (static_cast<unsigned char>(v[k]) & 0xC0) == 0x80) --k;
  return k;
}

void appendDigitsMasked(std::string_view v, size_t keep_last, std::string& out) {
  size_t digits = 0;
  for (char c : v) digits += isDigit(static_cast<unsigned char>(c)) ? 1 : 0;
  const size_t masked = digits > keep_last ? digits - keep_last : 0;
  size_t seen = 0;
  for (char c : v) {
    if (isDigit(static_cast<unsigned char>(c))) {
      out.push_back(seen++ < masked ? '*' : c);
    } else {
      out.push_back(c);
    }
  }
}

void appendMasked(Kind kind, uint8_t shape, std::string_view v, std::string& out) {
  switch (kind) {
    case Kind::kEmail: {
      const size_t at = v.find('@');
      out.push_back(v.front());
      out += "***";
      out += v.substr(at == std::string_view::npos ? v.size() : at);
      return;
    }
    case Kind::kIpv4:
      out += v.substr(0, v.rfind('.') + 1);
      out += "xxx";
      return;
    case Kind::kIpv6: {
      uint16_t groups[8];
      if (!matchers::parseIpv6(v, groups)) break;
      for (int i = 0; i < 3; ++i) {
        appendHexGroup(groups[i], out);
        out.push_back(':');
      }
      out += "xxxx:xxxx:xxxx:xxxx:xxxx";
      return;
    }
    case Kind::kCard:
    case Kind::kSsn:
    case Kind::kPhone:
      appendDigitsMasked(v, 4, out);
      return;
    case Kind::kJwt:
      out += v.substr(0, v.find('.'));
      out += ".***";
      return;
    case Kind::kSecret:
      if (shape == matchers::kSecretAwsKeyId && v.size() == 20) {
        out += v.substr(0, 4);
        out.append(12, '*');
        out += v.substr(16);
        return;
      }
      if (shape == matchers::kSecretPemBlock) {
        const size_t header_dashes = v.find("-----", 5);
        if (header_dashes == std::string_view::npos) break;
        const size_t header_end = header_dashes + 5;
        out += v.substr(0, header_end);
        out += "***";
        const size_t footer = v.rfind("-----END ");
        if (footer != std::string_view::npos && footer >= header_end) out += v.substr(footer);
        return;
      }
      break;
    case Kind::kCustom:
      if (v.size() >= 6) {
        out += v.substr(0, firstCharLength(v));
        out += "***";
        out += v.substr(lastCharStart(v));
        return;
      }
      break;
  }
  out += "***";
}

// The HMAC input: the same value spelt differently must hash the same (see Action::kHash).
std::string_view canonicalForm(Kind kind, std::string_view v, char (&buf)[kCanonicalMax]) {
  size_t n = 0;
  switch (kind) {
    case Kind::kEmail:
      if (v.size() > kCanonicalMax) return v;
      for (char c : v) buf[n++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
      return {buf, n};
    case Kind::kIpv4: {
      // Drop leading zeros: "059.045.1.2" and "59.45.1.2" are the same address.
      bool in_octet_zeros = true;
      for (size_t i = 0; i < v.size() && n < kCanonicalMax; ++i) {
        const char c = v[i];
        if (c == '.') {
          if (in_octet_zeros) buf[n++] = '0';
          buf[n++] = '.';
          in_octet_zeros = true;
        } else if (c == '0' && in_octet_zeros) {
          continue;
        } else {
          buf[n++] = c;
          in_octet_zeros = false;
        }
      }
      if (in_octet_zeros && n < kCanonicalMax) buf[n++] = '0';
      return {buf, n};
    }
    case Kind::kIpv6: {
      uint16_t g[8];
      if (!matchers::parseIpv6(v, g)) return v;
      // RFC 5952: lowercase, no leading zeros, the first longest run of two or more zero
      // groups shortened to "::".
      int best_start = -1;
      int best_len = 1;
      for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0) ++j;
        if (j - i > best_len) {
          best_start = i;
          best_len = j - i;
        }
        i = j == i ? i + 1 : j;
      }
      for (int i = 0; i < 8;) {
        if (i == best_start) {
          buf[n++] = ':';
          buf[n++] = ':';
          i += best_len;
          continue;
        }
        if (i > 0 && i != best_start + best_len) buf[n++] = ':';
        n += writeHexGroup(g[i], buf + n);
        ++i;
      }
      return {buf, n};
    }
    case Kind::kPhone:
      if (!v.empty() && v.front() == '+') buf[n++] = '+';
      [[fallthrough]];
    case Kind::kCard:
    case Kind::kSsn:
      for (char c : v) {
        if (isDigit(static_cast<unsigned char>(c)) && n < kCanonicalMax) buf[n++] = c;
      }
      return {buf, n};
    default:
      return v;
  }
}

}  // namespace

void PiiScrubber::Impl::render(const Rule& rule, uint8_t shape, std::string_view value,
                               std::optional<HmacSha256::Context>& hmac_context,
                               std::string& out) const {
  switch (rule.action) {
    case Action::kRedact:
      out += rule.redacted;
      return;
    case Action::kMask:
      appendMasked(rule.kind, shape, value, out);
      return;
    case Action::kHash: {
      char buf[kCanonicalMax];
      const std::string_view input = canonicalForm(rule.kind, value, buf);
      if (!hmac_context) hmac_context.emplace(*hmac);
      Sha256Digest digest;
      if (!hmac_context->digest(input, digest)) {
        out += rule.redacted;  // OpenSSL failed: never fall back to the clear value
        return;
      }
      out += rule.hash_prefix;
      appendHex(digest, hash_hex_chars, out);
      out.push_back(']');
      return;
    }
    case Action::kKeep:
      return;
  }
}

}  // namespace logship::scrub_pii
