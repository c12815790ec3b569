#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agent/api/batch.h"
#include "agent/api/component.h"

namespace logship {

// A request body. Zero bytes follow its end up to kHttpBodyPadding (simdjson reads that far), so
// a decoder may parse it in place and move `data` into the Batch it builds.
inline constexpr size_t kHttpBodyPadding = 64;
struct HttpBody {
  std::unique_ptr<char[]> data;
  size_t size = 0;

  std::string_view view() const { return {data.get(), size}; }
  // A padded copy of `bytes`.
  static HttpBody copyOf(std::string_view bytes);
};

// How a body is compressed: the Content-Encoding of HTTP, and the raw snappy block format of
// Loki's protobuf push (which names no encoding).
enum class BodyEncoding { kIdentity, kGzip, kDeflate, kZstd, kSnappy };
// The encoding a Content-Encoding header names ("" and identity: none); false when unknown.
bool parseBodyEncoding(std::string_view content_encoding, BodyEncoding* out);

enum class DecompressStatus { kOk, kTooLarge, kCorrupt };
// Decodes `in` into `out`, never holding more than `max_bytes` of output: a small body that
// expands past the limit is refused while it expands.
DecompressStatus decompressBody(BodyEncoding encoding, std::string_view in, size_t max_bytes,
                                HttpBody& out);

// One POST request, as a decoder sees it.
struct ReceivedHttpRequest {
  std::string_view path;        // the target up to '?'
  std::string_view query;       // after '?', "" when none
  std::string_view media_type;  // Content-Type lower-cased, without parameters
  std::string_view peer_ip;     // the client's address, for `source.ip`
  HttpBody body;                // Content-Encoding already removed
};

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// What a decoder made of a request. A reply of status 300 or more is sent at once and the batch
// is dropped (a 400 names what was wrong). Otherwise the batch is emitted and `reply` is sent
// once its acknowledgement resolves; a batch without events is answered at once.
struct HttpDecoded {
  Batch batch;
  HttpReply reply;
};
// Runs on the source's worker, before the source is stopped; counts what it drops itself.
using HttpDecoder = std::function<HttpDecoded(ReceivedHttpRequest& request)>;

struct HttpReceiverSettings {
  std::string name;     // for log lines: "http source 'x'"
  std::string address;  // IP:port, [v6]:port; port 0 picks a free one (see port())
  // HTTPS when cert_file is set; with verify_client, clients must present a certificate signed
  // by a CA of ca_file.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
  bool tls_verify_client = false;
  std::string token;  // requests need `Authorization: Bearer <token>` (401 without); "": none
  size_t max_body_bytes = 10u << 20;  // before and after decompression (413 beyond)
  size_t max_connections = 256;       // further clients wait in the listen backlog
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(60);
  bool keep_alive = true;
};

// Receives batches over HTTP/1.1 (or HTTPS) on the source's worker io_context: one decoder per
// path turns each POST body into a Batch, and the client hears back only when that batch's fate
// is known, so a 2xx means every output holds it (delivered, or synced to a disk buffer):
//   Delivered -> the decoder's reply (2xx);
//   Rejected  -> the decoder's reply as well: an output refused the batch for good and
//                dead-lettered it, so sending it again would only repeat that;
//   Errored   -> 503 with Retry-After: the client sends it again (at-least-once).
// Refused before the body enters the pipeline: 401 (token), 404 (no decoder for the path), 405
// (not POST), 413 (body or its decompression too large), 415 (unknown Content-Encoding), 400 (a
// body its encoding cannot undo), 429 with Retry-After while an output downstream is full (the
// body is not read; `Expect: 100-continue` clients do not even send it). Each refusal is counted
// as an error of the source by reason. stop() closes the listener and idle connections; a
// request being received is answered 503, one waiting for its acknowledgement is answered when it
// resolves, and each connection is closed after its last answer. Every member is called on the
// source's worker (where Source::start and stop run); the receiver may be destroyed elsewhere.
class HttpReceiver {
 public:
  HttpReceiver(HttpReceiverSettings settings, SourceContext& context);
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  // Serves `path` with `decoder`; the path "*" serves every path no other route names. Before
  // start().
  void route(std::string path, HttpDecoder decoder);
  // Loads TLS files and binds; false with `error` (naming the address or file) when it cannot.
  bool start(std::string* error);
  void stop();
  uint16_t port() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace logship
