#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace logship {

// AWS Signature Version 4 for header authorisation, in its S3 flavour: the path is encoded once
// and not normalised (keys may hold "//" and ".."). Signs with HMAC-SHA256 from OpenSSL.
struct SigV4Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials; sent as x-amz-security-token
};

struct SigV4Request {
  std::string method;
  std::string path;  // decoded ("/bucket/logs/a b.log"); encoded here
  std::vector<std::pair<std::string, std::string>> query;    // decoded names and values
  std::vector<std::pair<std::string, std::string>> headers;  // every header to sign, host too
  std::string payload_sha256;  // lowercase hex, or "UNSIGNED-PAYLOAD"
};

struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  std::string authorization;  // the Authorization header value
};

// `amz_date` is the request's x-amz-date (YYYYMMDD'T'HHMMSS'Z'), which must be among `headers`.
SigV4Signature signV4(const SigV4Request& request, const SigV4Credentials& credentials,
                      std::string_view region, std::string_view service, std::string_view amz_date);

// RFC 3986 unreserved characters stay, every other byte becomes %XY (upper-case hex); '/' stays
// when `keep_slash` (object keys in paths).
std::string uriEncode(std::string_view text, bool keep_slash);

// "20130524T000000Z" for a time in nanoseconds since the epoch.
std::string amzDate(int64_t ns);

}  // namespace logship
