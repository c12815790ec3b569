// OTLP ExportLogsServiceRequests as the opentelemetry source receives them: the first byte picks
// the encoding (odd: JSON, even: protobuf), the rest is the body. A body is either refused with a
// reason and no event, or read whole: one event per record, each with a time.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/sources/opentelemetry/otlp_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const logship::GlobalConfig global;
  static logship::OtlpDecoder decoder(global);
  const auto encoding =
      data[0] % 2 ? logship::OtlpEncoding::kJson : logship::OtlpEncoding::kProtobuf;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  logship::Batch batch;
  size_t records = 0;
  std::string error;
  constexpr int64_t kNow = 1'800'000'000'000'000'000;
  if (!decoder.decode(body, encoding, kNow, batch, &records, &error)) {
    if (error.empty() || !batch.events().empty()) std::abort();
    return 0;
  }
  if (records != batch.events().size()) std::abort();
  for (const logship::Event& e : batch.events()) {
    if (e.timestamp_ns <= 0) std::abort();
  }
  return 0;
}
