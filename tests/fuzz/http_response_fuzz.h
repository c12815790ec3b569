#pragma once

// Shared by the HTTP response fuzzers. An input reads as a response, so seeds stay readable:
//   line 1: "<status> [<events in the request>] [create]"
//   line 2: the Retry-After header
//   rest:   the body
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "outputs/common/backoff.h"
#include "outputs/common/http_sink.h"

namespace logship::fuzz {

struct FuzzResponse {
  HttpResponse response;
  size_t events = 1;
  bool create = false;
};

inline std::string_view takeLine(std::string_view& in) {
  size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

inline std::string_view takeWord(std::string_view& line) {
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  size_t sp = line.find(' ');
  std::string_view word = line.substr(0, sp);
  line.remove_prefix(sp == std::string_view::npos ? line.size() : sp);
  return word;
}

inline int64_t number(std::string_view word, int64_t fallback, int64_t max) {
  int64_t n = fallback;
  std::from_chars(word.data(), word.data() + word.size(), n);
  return n < 0 ? fallback : std::min(n, max);
}

inline FuzzResponse readResponse(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view head = takeLine(in);
  FuzzResponse r;
  r.response.status = static_cast<int>(number(takeWord(head), 0, 999));
  r.events = static_cast<size_t>(number(takeWord(head), 1, 10000));
  r.create = takeWord(head) == "create";
  r.response.retry_after = std::string(takeLine(in));
  r.response.body = std::string(in);
  if (r.response.status == 0) r.response.error = "connection refused";
  return r;
}

// Retry-After is honoured by every HTTP output: at most a day as parsed, at most an hour as
// actually waited, and never less than the backoff's own choice.
inline void checkRetryAfter(const HttpResponse& response) {
  using std::chrono::hours;
  using std::chrono::seconds;
  constexpr int64_t kNow = 1'700'000'000;  // a fixed clock keeps runs reproducible
  auto parsed = parseRetryAfter(response.retry_after, kNow);
  if (parsed && (*parsed < seconds(0) || *parsed > hours(24))) std::abort();
  Backoff backoff(seconds(1), seconds(60), [] { return 0.5; });
  for (uint32_t attempt : {0u, 3u, 40u}) {
    auto jittered = backoff.delay(attempt);
    auto delay = backoff.delay(attempt, parsed);
    if (delay < jittered || delay > std::max<Backoff::Duration>(jittered, hours(1))) std::abort();
  }
}

// What classifyStatus documents for a whole-request status.
inline void checkStatusVerdict(const Verdict& v, int status) {
  using Kind = Verdict::Kind;
  if (v.kind != Kind::kSuccess && v.status != status) std::abort();
  if (status >= 200 && status < 300) {
    if (v.kind != Kind::kSuccess) std::abort();
  } else if (status == 0 || status == 408 || status == 429 || status >= 500) {
    if (v.kind != Kind::kRetry || v.unhealthy != (status != 429)) std::abort();
  } else if (status == 401 || status == 403) {
    if (v.kind != Kind::kRetry || !v.unhealthy) std::abort();
  } else if (status >= 400 && v.kind != Kind::kReject) {
    std::abort();
  }
  if (v.kind != Kind::kSuccess && v.reason.empty()) std::abort();
}

}  // namespace logship::fuzz
