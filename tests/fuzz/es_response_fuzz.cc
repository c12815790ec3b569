// Elasticsearch _bulk responses with any status, Retry-After, body and number of events sent.
// HttpSink indexes the request's events with what comes back and counts the rest as delivered,
// so a partial verdict must name each event at most once and only events that were sent; and
// per item, <300 and 409 on create are delivered, 429, >=500 and a missing status sent again,
// anything else refused (with a non-empty reason and at most 500 bytes of Elasticsearch's).
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "outputs/elasticsearch/elasticsearch_service.h"
#include "tests/fuzz/http_response_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using logship::Verdict;
  logship::fuzz::FuzzResponse in = logship::fuzz::readResponse(data, size);
  const logship::HttpResponse& response = in.response;
  Verdict v = logship::classifyBulkResponse(response, in.events, in.create);
  int status = response.status;
  if (status == 413) {
    if (v.kind != Verdict::Kind::kSplit) std::abort();
  } else if (status < 200 || status >= 300) {
    logship::fuzz::checkStatusVerdict(v, status);
  } else if (v.kind == Verdict::Kind::kRetry) {
    // An answer it cannot read: nothing is known to be stored, but the receiver is up.
    if (v.unhealthy || v.reason.empty()) std::abort();
  } else if (v.kind == Verdict::Kind::kPartial) {
    if (v.retry.empty() && v.rejected.empty()) std::abort();
    std::vector<char> named(in.events, 0);
    for (uint32_t i : v.retry) {
      if (i >= in.events || named[i]++) std::abort();
    }
    for (const logship::EventRejection& r : v.rejected) {
      if (r.index >= in.events || named[r.index]++) std::abort();
      int s = r.status;
      if ((s >= 200 && s < 300) || (s == 409 && in.create) || s == 429 || s >= 500 || s == 0) {
        std::abort();
      }
      if (r.reason.empty() || r.detail.size() > 500) std::abort();
    }
  } else if (v.kind != Verdict::Kind::kSuccess) {
    std::abort();
  }
  if (v.kind != Verdict::Kind::kPartial && (!v.retry.empty() || !v.rejected.empty())) std::abort();
  logship::fuzz::checkRetryAfter(response);
  return 0;
}
