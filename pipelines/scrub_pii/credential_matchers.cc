// The jwt and secret rules' validators (the secret rule's Substrate key material is in
// substrate_key_matchers.cc).
#include <algorithm>
#include <span>

#include "pipelines/scrub_pii/builtin_matchers.h"
#include "pipelines/scrub_pii/matcher_text.h"

namespace logship::scrub_pii::matchers {

using namespace text;

// ---------------------------------------------------------------------------------------------
// jwt

bool jwt(std::string_view t, size_t e, Span& span) {
  // "eyJ" is how base64 of '{"' starts: every JWT header and most payloads begin with it.
  if (peek(t, e + 1) != 'y' || peek(t, e + 2) != 'J') return false;
  const size_t begin = e;
  if (is(before(t, begin), kBase64Url)) return false;
  // JWS has three segments (the signature may be empty for alg "none"); JWE has five, and its
  // encrypted-key segment is empty for direct encryption ("eyJ...").
  size_t segment_end[5];
  size_t segment_len[5];
  size_t segments = 0;
  size_t p = begin;
  for (;;) {
    const size_t segment_begin = p;
    while (p < t.size() && is(t[p], kBase64Url)) ++p;
    segment_len[segments] = p - segment_begin;
    segment_end[segments] = p;
    ++segments;
    if (segments == 5 || peek(t, p) != '.') break;
    const bool next_nonempty = is(peek(t, p + 1), kBase64Url);
    if (!next_nonempty && segments != 2 && peek(t, p + 1) != '.') break;
    ++p;
  }
  if (segments < 3 || segment_len[0] < 10) return false;
  if (segments < 5 && segment_len[1] < 2) return false;
  // Four segments is neither form; the first three are still a signed token.
  const size_t end = segment_end[segments == 4 ? 2 : segments - 1];
  span = {begin, end, 0};
  return true;
}

// ---------------------------------------------------------------------------------------------
// secret

namespace {

// Authorization schemes whose credentials are a single token68, and those with parameter
// lists that run to the end of the header.
constexpr std::string_view kTokenSchemes[] = {"bearer",    "basic", "token", "apikey",
                                              "negotiate", "ntlm",  "dpop"};
constexpr std::string_view kParameterSchemes[] = {"digest", "aws4-hmac-sha256"};

// The secret name the key ending at `key_end` matches (see SecretKeyNames), or empty. The key is
// the run of [A-Za-z0-9_.-] before it, at most 64 bytes.
std::string_view secretKeywordBefore(std::string_view t, size_t key_end,
                                     const SecretKeyNames& names) {
  size_t begin = key_end;
  while (begin > 0 && key_end - begin < 64 &&
         (is(t[begin - 1], kWord) || t[begin - 1] == '-' || t[begin - 1] == '.')) {
    --begin;
  }
  return begin == key_end ? std::string_view() : names.match(t.substr(begin, key_end - begin));
}

bool inList(std::string_view word, std::span<const std::string_view> list) {
  for (std::string_view candidate : list) {
    if (equalsLowercase(word, candidate)) return true;
  }
  return false;
}

// Values this scrubber already wrote: scrubbing twice must not nest replacements.
bool alreadyScrubbed(std::string_view t, size_t vb, size_t ve) {
  const std::string_view value = t.substr(vb, ve - vb);
  if (value.find_first_not_of('*') == std::string_view::npos) return true;
  if (value.front() != '[' || peek(t, ve) != ']') return false;
  if (value.starts_with("[REDACTED:")) return true;
  // "[rule:0123abcd": the hash rendering.
  const size_t colon = value.find(':');
  if (colon == std::string_view::npos || colon + 1 == value.size()) return false;
  for (size_t i = colon + 1; i < value.size(); ++i) {
    if (!is(value[i], kHex) || (value[i] >= 'A' && value[i] <= 'F')) return false;
  }
  return true;
}

}  // namespace

bool secretKeyValue(std::string_view t, size_t separator, const SecretKeyNames& names, Span& span) {
  // The key, allowing `"key": `, `key = ` and JSON escaped inside a string (`\"key\":`). It is
  // matched as field keys are: "db_password", "client_secret", "accessToken" and "X-Api-Key"
  // all name secrets.
  size_t e = separator;
  for (int i = 0; i < 4 && e > 0 && (t[e - 1] == ' ' || t[e - 1] == '\t'); ++i) --e;
  if (e > 0 && (t[e - 1] == '"' || t[e - 1] == '\'')) {
    --e;
    if (e > 0 && t[e - 1] == '\\') --e;
  }
  const std::string_view keyword = secretKeywordBefore(t, e, names);
  if (keyword.empty()) return false;

  const char sep = t[separator];
  size_t v = separator + 1;
  if (sep == '=') {
    if (peek(t, v) == '=') return false;  // "==" is a comparison
    if (peek(t, v) == '>') ++v;           // "password => 'x'"
    const char p = before(t, separator);
    if (p == '=' || p == '!' || p == '<' || p == '>') return false;
  } else {
    if (peek(t, v) == '/' && peek(t, v + 1) == '/') return false;        // a URL, see below
    if (peek(t, v) == ':' || before(t, separator) == ':') return false;  // "Token::Kind"
  }

  for (int i = 0; i < 8 && v < t.size() && (t[v] == ' ' || t[v] == '\t'); ++i) ++v;
  size_t vb = v;
  size_t ve = v;
  const char q = peek(t, v);
  bool quoted = false;
  if (q == '"' || q == '\'') {
    quoted = true;
    vb = ve = v + 1;
    while (ve < t.size() && t[ve] != q && t[ve] != '\n') ve += t[ve] == '\\' ? 2 : 1;
    ve = std::min(ve, t.size());
  } else if (q == '\\' && peek(t, v + 1) == '"') {
    quoted = true;  // JSON inside a JSON string: \"password\":\"hunter2\"
    vb = ve = v + 2;
    while (ve < t.size() && t[ve] != '\\' && t[ve] != '"' && t[ve] != '\n') ++ve;
  } else {
    while (ve < t.size() && !is(t[ve], kValueEnd)) ++ve;
  }

  if (keyword.ends_with("authorization")) {
    // Keep the scheme ("Bearer ", "Basic "), which helps debugging; replace the credentials.
    size_t w = vb;
    while (w < t.size() && (is(t[w], kAlnum) || t[w] == '-')) ++w;
    const std::string_view scheme = t.substr(vb, w - vb);
    const bool token_scheme = inList(scheme, kTokenSchemes);
    const bool parameter_scheme = !token_scheme && inList(scheme, kParameterSchemes);
    if (peek(t, w) == ' ' && (token_scheme || parameter_scheme)) {
      while (peek(t, w) == ' ') ++w;
      vb = w;
      if (!quoted) {
        ve = w;
        if (token_scheme) {
          while (ve < t.size() && !is(t[ve], kValueEnd)) ++ve;
        } else {
          while (ve < t.size() && t[ve] != '\n' && t[ve] != '\r') ++ve;
        }
      }
    }
  }
  if (ve <= vb) return false;
  // sudo logs "PWD=/home/alice": with a path value "pwd" is the working directory.
  if (keyword == "pwd" && (t[vb] == '/' || t[vb] == '~')) return false;
  if (alreadyScrubbed(t, vb, ve)) return false;
  span = {vb, ve, kSecretValue};
  return true;
}

bool secretUrlPassword(std::string_view t, size_t colon, Span& span) {
  if (peek(t, colon + 1) != '/' || peek(t, colon + 2) != '/' || !is(before(t, colon), kAlnum)) {
    return false;
  }
  const size_t userinfo = colon + 3;
  const size_t limit = std::min(t.size(), userinfo + 512);
  size_t last_at = std::string_view::npos;
  size_t first_colon = std::string_view::npos;
  // The authority ends at '/', '?', '#', whitespace or quotes; the userinfo at its last '@'
  // (an unencoded '@' in a password is common enough to tolerate).
  for (size_t k = userinfo; k < limit; ++k) {
    const char c = t[k];
    if (c == '@') {
      last_at = k;
    } else if (c == ':') {
      if (first_colon == std::string_view::npos) first_colon = k;
    } else if (!is(c, kUserinfo) || c == '\'') {
      break;
    }
  }
  if (last_at == std::string_view::npos || first_colon == std::string_view::npos ||
      first_colon + 1 >= last_at) {
    return false;
  }
  span = {first_colon + 1, last_at, kSecretValue};
  return true;
}

bool secretAwsKeyId(std::string_view t, size_t a, Span& span) {
  constexpr size_t kLength = 20;
  if (a + kLength > t.size()) return false;
  const char* s = t.data() + a;
  if ((s[1] != 'K' && s[1] != 'S') || s[2] != 'I' || s[3] != 'A') return false;
  if (is(before(t, a), kWord) || is(peek(t, a + kLength), kWord)) return false;
  for (size_t i = 4; i < kLength; ++i) {
    if (!is(s[i], kUpperAlnum)) return false;
  }
  span = {a, a + kLength, kSecretAwsKeyId};
  return true;
}

bool secretBearer(std::string_view t, size_t b, Span& span) {
  if (t.substr(b, 7) != "Bearer " || is(before(t, b), kWord)) return false;
  size_t p = b + 7;
  while (peek(t, p) == ' ') ++p;
  size_t e = p;
  while (e < t.size() && is(t[e], kToken68)) ++e;
  // "Bearer token expired", "Bearer realm=..." are prose and challenges, not credentials.
  if (e - p < 8) return false;
  span = {p, e, kSecretValue};
  return true;
}

bool secretPemBlock(std::string_view t, size_t b, Span& span) {
  if (b < 5 || t.substr(b - 5, 11) != "-----BEGIN ") return false;
  const size_t begin = b - 5;
  const size_t label = b + 6;
  const size_t label_limit = std::min(t.size(), label + 64);
  size_t q = label;
  while (q < label_limit && (is(t[q], kUpperAlnum) || t[q] == ' ')) ++q;
  if (!t.substr(label, q - label).ends_with("PRIVATE KEY") || t.substr(q, 5) != "-----") {
    return false;  // certificates and public keys are not secrets
  }
  // Without an END line (a truncated or line-split event) everything after BEGIN is key
  // material, so the span runs to the end of the text.
  size_t end = t.size();
  const size_t footer = t.find("-----END ", q + 5);
  if (footer != std::string_view::npos) {
    size_t f = footer + 9;
    const size_t footer_limit = std::min(t.size(), f + 64);
    while (f < footer_limit && (is(t[f], kUpperAlnum) || t[f] == ' ')) ++f;
    end = t.substr(f, 5) == "-----" ? f + 5 : f;
  }
  span = {begin, end, kSecretPemBlock};
  return true;
}

}  // namespace logship::scrub_pii::matchers
