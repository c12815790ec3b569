#pragma once

#include <span>
#include <string>
#include <string_view>

#include "outputs/common/http_sink.h"
#include "outputs/common/ndjson_encoder.h"

namespace logship {

enum class HttpEncoding { kNdjson, kJson };

// A request body of the http output: the events as the NDJSON objects of CONFIG.md, one a line
// (each line ending in \n), or as one JSON array of the same objects.
void encodeHttpBody(NdjsonEncoder& ndjson, HttpEncoding encoding, std::span<const EventRef> events,
                    std::string& out);

std::string_view httpContentType(HttpEncoding encoding);

}  // namespace logship
