#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "agent/core/http_receiver.h"
#include "agent/sources/http/http_config.h"
#include "agent/sources/http/loki_push_decoder.h"
#include "agent/sources/http/plain_body_decoder.h"

namespace logship {

// Receives logs over HTTP(S) (agent/core/http_receiver): plain bodies (NDJSON, JSON, text lines)
// on `path`, Loki pushes (protobuf + snappy, or JSON) on /loki/api/v1/push. Every event carries
// the client's address as `source.ip`. A client hears 2xx only once every output holds what it
// sent (delivered, or synced to a disk buffer), so a client that resends what was not answered
// 2xx loses nothing; there is no position to save.
class HttpSource final : public Source {
 public:
  HttpSource(HttpSourceConfig config, BuildContext& ctx);
  ~HttpSource() override;

  void start(SourceContext& context) override;
  void stop() override;
  std::string statusJson() const override;

 private:
  HttpDecoded decodePlain(ReceivedHttpRequest& request);
  HttpDecoded decodeLoki(ReceivedHttpRequest& request);
  // The batch that takes `body` over, its events from the client at `peer_ip`.
  static Batch batchOf(HttpBody body, std::string_view peer_ip);
  static HttpDecoded refusal(int status, std::string message);

  HttpSourceConfig config_;
  std::string id_;
  HttpReceiverSettings settings_;
  std::string token_file_;
  PlainBodyDecoder plain_;
  LokiPushDecoder loki_;
  SourceContext* context_ = nullptr;
  std::unique_ptr<HttpReceiver> receiver_;
  std::atomic<uint16_t> port_{0};  // read by statusJson() from the admin thread
};

}  // namespace logship
