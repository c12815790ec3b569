// What a client may POST to the http source: the first byte picks the reader (Loki protobuf,
// Loki JSON, NDJSON, JSON, text lines, or a Content-Encoding to undo), the rest is the body. A
// refused body leaves no events behind; an undone encoding never holds more than its limit and
// keeps its padding.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/core/http_receiver.h"
#include "agent/sources/http/loki_push_decoder.h"
#include "agent/sources/http/plain_body_decoder.h"

namespace {

constexpr size_t kMaxBody = 1 << 16;

logship::Batch batchOf(std::string_view body) {
  logship::HttpBody padded = logship::HttpBody::copyOf(body);
  return logship::Batch(std::move(padded.data), body.size(), {});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace logship;
  if (size == 0) return 0;
  static const GlobalConfig global;
  static PlainBodyDecoder plain(global);
  static LokiPushDecoder loki(global, {{{"level", "log.level"}, {"job", "service.name"}}, true});
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const int mode = data[0] % 6;
  std::string error;
  Batch batch = batchOf(body);
  if (mode == 0) {
    error = loki.decodeProtobuf(batch);
  } else if (mode == 1) {
    error = loki.decodeJson(batch);
  } else if (mode <= 4) {
    size_t malformed = 0;
    const BodyFormat format =
        mode == 2 ? BodyFormat::kNdjson : mode == 3 ? BodyFormat::kJson : BodyFormat::kText;
    error = plain.decode(format, batch, 1, &malformed);
    if (malformed > batch.events().size()) std::abort();
  } else {
    const BodyEncoding encoding = static_cast<BodyEncoding>(data[0] / 6 % 5);
    HttpBody out;
    if (decompressBody(encoding, body, kMaxBody, out) == DecompressStatus::kOk) {
      if (out.size > kMaxBody) std::abort();
      for (size_t i = 0; i < kHttpBodyPadding; ++i) {
        if (out.data[out.size + i] != 0) std::abort();
      }
    }
    return 0;
  }
  if (!error.empty() && !batch.events().empty()) std::abort();
  return 0;
}
