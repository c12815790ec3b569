#pragma once

#include <span>
#include <string>

#include "agent/api/config.h"
#include "outputs/common/http_sink.h"
#include "outputs/common/ndjson_encoder.h"
#include "outputs/common/template.h"

namespace logship {

// A stable 128-bit identity of an event's source position and text (log.file.path or the
// source name, the offset, the message), as 32 hex digits: a retried or re-read event gets the
// same `_id`, so Elasticsearch stores it once.
void elasticsearchDocumentId(const Batch& batch, const Event& event, char out[32]);

// Lower-cases an index name and replaces characters Elasticsearch forbids in one.
void cleanIndexName(std::string& name, size_t from);

// Events as a _bulk body: per event an action line (`create` for data streams, `index` for
// indices) naming the rendered index and the deterministic `_id`, then the event as the NDJSON
// object of CONFIG.md (ECS names, dotted names nested).
class ElasticsearchEncoder {
 public:
  ElasticsearchEncoder(const GlobalConfig& global, OutputTemplate index, bool create);

  void encode(std::span<const EventRef> events, std::string& out);
  void encodeEvent(const Batch& batch, const Event& event, std::string& out);
  bool create() const { return create_; }

 private:
  NdjsonEncoder ndjson_;
  OutputTemplate index_;
  bool create_;
};

}  // namespace logship
