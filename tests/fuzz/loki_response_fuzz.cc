// Loki push responses with any status, Retry-After and body: 400 is refused for good with a
// reason from a short fixed list (a metric label) and at most 1000 bytes of what Loki said,
// 413 splits the request, anything else reads as a whole-request status.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "outputs/loki/loki_service.h"
#include "tests/fuzz/http_response_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using logship::Verdict;
  logship::fuzz::FuzzResponse in = logship::fuzz::readResponse(data, size);
  const logship::HttpResponse& response = in.response;
  Verdict v = logship::classifyLokiResponse(response);
  if (response.status == 400) {
    static constexpr std::string_view kReasons[] = {"too_old",         "too_new",
                                                    "line_too_long",   "too_many_labels",
                                                    "invalid_labels",  "out_of_order",
                                                    "http_400"};
    if (v.kind != Verdict::Kind::kReject || v.status != 400) std::abort();
    if (std::find(std::begin(kReasons), std::end(kReasons), v.reason) == std::end(kReasons)) {
      std::abort();
    }
    if (v.detail != std::string_view(response.body).substr(0, 1000)) std::abort();
  } else if (response.status == 413) {
    if (v.kind != Verdict::Kind::kSplit) std::abort();
  } else {
    logship::fuzz::checkStatusVerdict(v, response.status);
  }
  if (v.kind != Verdict::Kind::kPartial && (!v.retry.empty() || !v.rejected.empty())) std::abort();
  logship::fuzz::checkRetryAfter(response);
  return 0;
}
