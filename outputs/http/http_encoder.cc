#include "outputs/http/http_encoder.h"

namespace logship {

void encodeHttpBody(NdjsonEncoder& ndjson, HttpEncoding encoding, std::span<const EventRef> events,
                    std::string& out) {
  if (encoding == HttpEncoding::kNdjson) {
    for (const EventRef& ref : events) ndjson.encodeEvent(ref.batch(), ref.event(), out);
    return;
  }
  out.push_back('[');
  for (const EventRef& ref : events) {
    if (out.back() != '[') out.push_back(',');
    ndjson.encodeEvent(ref.batch(), ref.event(), out);
    if (out.back() == '\n') out.pop_back();
  }
  out.push_back(']');
}

std::string_view httpContentType(HttpEncoding encoding) {
  return encoding == HttpEncoding::kNdjson ? "application/x-ndjson" : "application/json";
}

}  // namespace logship
