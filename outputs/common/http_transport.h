#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace logship {

// One HTTP request as an output builds it; the transport adds Host, Content-Length and the
// configured auth and custom headers.
struct HttpRequest {
  std::string method = "POST";
  std::string target;  // path and query, appended to the endpoint's base path
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// What came back. status 0 means no response: `error` says why (refused, reset, timeout, TLS).
struct HttpResponse {
  int status = 0;
  std::string error;
  std::string body;
  std::string retry_after;  // the Retry-After header, if any
  std::string content_type;
  std::string etag;  // S3 names stored objects and parts by it
};

// Sends requests; every callback runs on the output's io_context. Hidden behind this interface so
// outputs are tested with a scripted transport.
class HttpTransport {
 public:
  using Callback = std::function<void(HttpResponse&&)>;
  virtual ~HttpTransport() = default;
  virtual void send(std::shared_ptr<const HttpRequest> request, Callback done) = 0;
  // Closes every connection; callbacks of requests still open run with an error.
  virtual void shutdown() {}
};

}  // namespace logship
