#include "pipelines/common/batch_copy.h"

#include <cstring>
#include <memory>

namespace logship {

Batch copyEvents(Batch& from, std::span<const uint32_t> indices) {
  const std::vector<Event>& events = from.events();
  size_t raw_bytes = 0;
  for (uint32_t i : indices) raw_bytes += events[i].message.size() + 1;
  auto raw = std::make_unique_for_overwrite<char[]>(raw_bytes ? raw_bytes : 1);
  char* at = raw.get();
  for (uint32_t i : indices) {
    std::string_view m = events[i].message;
    if (!m.empty()) std::memcpy(at, m.data(), m.size());
    at += m.size();
    *at++ = '\n';
  }
  Batch copy(std::move(raw), raw_bytes, from.ack().fork());
  copy.setSourceName(from.sourceName());
  for (const Field& f : from.sharedFields()) {
    FieldValue v = f.value;
    if (v.kind == FieldValue::Kind::kString) v.string_value = copy.arena().copy(v.string_value);
    copy.addSharedField(f.key, v);
  }
  std::vector<Event>& out = copy.events();
  out.reserve(indices.size());
  size_t offset = 0;
  const char* base = copy.raw().data();
  for (uint32_t i : indices) {
    Event e = events[i];
    e.message = std::string_view(base + offset, e.message.size());
    offset += e.message.size() + 1;
    e.correlation_id = copy.arena().copy(e.correlation_id);
    if (e.field_count > 0) {
      Field* fields = copy.arena().allocateArray<Field>(e.field_count);
      for (uint16_t k = 0; k < e.field_count; ++k) {
        fields[k].key = copy.arena().copy(e.fields[k].key);
        fields[k].value = e.fields[k].value;
        if (fields[k].value.kind == FieldValue::Kind::kString) {
          fields[k].value.string_value = copy.arena().copy(fields[k].value.string_value);
        }
      }
      e.fields = fields;
      e.field_capacity = e.field_count;
    } else {
      e.fields = nullptr;
      e.field_capacity = 0;
    }
    out.push_back(e);
  }
  return copy;
}

void keepEvents(Batch& batch, std::span<const uint32_t> indices) {
  std::vector<Event>& events = batch.events();
  size_t w = 0;
  for (uint32_t i : indices) events[w++] = events[i];
  events.resize(w);
}

}  // namespace logship
