#include "outputs/loki/loki_encoder.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "outputs/common/compression.h"
#include "agent/support/json_writer.h"
#include "agent/support/utf8.h"

namespace logship {
namespace {

constexpr size_t kMaxLabelValueBytes = 2048;
constexpr size_t kPrefetchDistance = 8;
constexpr std::string_view kFallbackLabels = "{service_name=\"unknown_service\"}";

size_t varintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

char* putVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// Size of a length-delimited field holding `len` bytes (one-byte tag).
size_t lengthField(size_t len) { return 1 + varintSize(len) + len; }

char* putBytes(char* p, char tag, std::string_view bytes) {
  *p++ = tag;
  p = putVarint(p, bytes.size());
  std::memcpy(p, bytes.data(), bytes.size());
  return p + bytes.size();
}

// google.protobuf.Timestamp wants whole seconds and non-negative nanoseconds.
void splitTimestamp(int64_t ns, int64_t& seconds, int32_t& nanos) {
  seconds = ns / 1'000'000'000;
  int64_t rest = ns % 1'000'000'000;
  if (rest < 0) {
    rest += 1'000'000'000;
    --seconds;
  }
  nanos = static_cast<int32_t>(rest);
}

size_t timestampSize(int64_t seconds, int32_t nanos) {
  size_t n = 0;
  if (seconds != 0) n += 1 + varintSize(static_cast<uint64_t>(seconds));
  if (nanos != 0) n += 1 + varintSize(static_cast<uint64_t>(nanos));
  return n;
}

constexpr std::string_view kCorrelationName = "correlation_id";
constexpr std::string_view kTraceName = "trace_id";

size_t pairSize(std::string_view name, size_t value_size) {
  return lengthField(name.size()) + (value_size ? lengthField(value_size) : 0);
}

// `escape`: for the label-set text form; without it, for JSON (which escapes on its own).
void appendCleanLabelValue(std::string& out, std::string_view value, bool escape) {
  value = utf8Prefix(value, kMaxLabelValueBytes);
  const char* p = value.data();
  const char* end = p + value.size();
  while (p < end) {
    auto c = static_cast<unsigned char>(*p);
    if (c >= 0x80) {
      size_t len = utf8SequenceLength(p, end);
      if (len == 0) {
        out.append("\xEF\xBF\xBD");
        ++p;
      } else {
        out.append(p, len);
        p += len;
      }
      continue;
    }
    ++p;
    if (escape) {
      switch (c) {
        case '"':
          out.append("\\\"");
          continue;
        case '\\':
          out.append("\\\\");
          continue;
        case '\n':
          out.append("\\n");
          continue;
        case '\t':
          out.append("\\t");
          continue;
        case '\r':
          out.append("\\r");
          continue;
        default:
          break;
      }
    } else if (c == '\n' || c == '\t' || c == '\r') {
      out.push_back(static_cast<char>(c));
      continue;
    }
    out.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
  }
}

}  // namespace

bool isValidLokiLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void appendLokiLabelValue(std::string& out, std::string_view value) {
  appendCleanLabelValue(out, value, true);
}

LokiEncoder::LokiEncoder(const GlobalConfig& global, LokiEncoderOptions options)
    : options_(std::move(options)), ndjson_(global, /*with_timestamp=*/false) {
  std::sort(options_.labels.begin(), options_.labels.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
}

void LokiEncoder::labelSet(const Batch& batch, const Event& event, std::string& out) {
  size_t start = out.size();
  out.push_back('{');
  bool first = true;
  for (auto& [name, tmpl] : options_.labels) {
    value_scratch_.clear();
    tmpl.render(batch, event, value_scratch_);
    // An empty value means "no such label" to Loki.
    if (value_scratch_.empty()) continue;
    if (!first) out.append(", ");
    first = false;
    out.append(name);
    out.append("=\"");
    appendLokiLabelValue(out, value_scratch_);
    out.push_back('"');
  }
  if (first) {
    // Loki refuses a stream without labels; use the name Loki itself gives unlabelled streams.
    out.resize(start);
    out.append(kFallbackLabels);
    return;
  }
  out.push_back('}');
}

void LokiEncoder::appendLine(const Batch& batch, const Event& event, std::string& out) {
  if (options_.raw_message) {
    appendValidUtf8(out, event.message);
    return;
  }
  size_t start = out.size();
  ndjson_.encodeEvent(batch, event, out);
  if (out.size() > start && out.back() == '\n') out.pop_back();
}

void LokiEncoder::findMetadata(const Batch& batch, const Event& event) {
  metadata_count_ = 0;
  auto add = [&](std::string_view name, std::string_view text) {
    if (text.empty()) return;
    if (metadata_.size() == metadata_count_) metadata_.emplace_back();
    auto& [n, value] = metadata_[metadata_count_++];
    n = name;
    value.clear();
    appendValidUtf8(value, text);
  };
  auto take = [&](std::string_view name, const Field* field) {
    if (field == nullptr) return;
    value_scratch_.clear();
    appendFieldText(field->value, value_scratch_);
    add(name, value_scratch_);
  };
  // One pass for both keys, the event's own fields before the batch's (as Batch::findField).
  const Field* correlation = nullptr;
  const Field* trace = nullptr;
  auto look = [&](const Field& f) {
    if (!correlation && f.key == "correlation_id") correlation = &f;
    if (!trace && f.key == "trace.id") trace = &f;
  };
  for (uint16_t i = 0; i < event.field_count; ++i) look(event.fields[i]);
  for (const Field& f : batch.sharedFields()) look(f);
  if (!event.correlation_id.empty()) {
    add(kCorrelationName, event.correlation_id);
  } else {
    take(kCorrelationName, correlation);
  }
  take(kTraceName, trace);
  for (auto& [name, field] : options_.structured_metadata) {
    take(name, batch.findField(event, field));
  }
}

LokiEncoder::Stream& LokiEncoder::streamOf(const Batch& batch, const Event& event) {
  // The label values as rendered, each after its length: a key found without cleaning values
  // or writing the label set, which only a key not seen before in this request needs.
  key_scratch_.clear();
  for (auto& [name, tmpl] : options_.labels) {
    size_t at = key_scratch_.size();
    key_scratch_.append(sizeof(uint32_t), '\0');
    tmpl.render(batch, event, key_scratch_);
    auto size = static_cast<uint32_t>(key_scratch_.size() - at - sizeof(uint32_t));
    std::memcpy(key_scratch_.data() + at, &size, sizeof size);
  }
  // Events mostly go to one of a few streams: the recent ones are compared before hashing, each
  // found one moving a place towards the front.
  for (size_t i = 0; i < recent_count_; ++i) {
    if (recent_[i].key != key_scratch_) continue;
    const uint32_t index = recent_[i].stream;
    if (i > 0) std::swap(recent_[i], recent_[i - 1]);
    return streams_[index];
  }
  RecentStream& recent =
      recent_[recent_count_ < recent_.size() ? recent_count_++ : recent_.size() - 1];
  recent.key = key_scratch_;
  if (auto it = key_index_.find(std::string_view(key_scratch_)); it != key_index_.end()) {
    recent.stream = it->second;
    return streams_[it->second];
  }
  // Cleaning can make different values alike: the label set decides the stream.
  labels_scratch_.clear();
  labelSet(batch, event, labels_scratch_);
  if (auto it = stream_index_.find(std::string_view(labels_scratch_)); it != stream_index_.end()) {
    recent.stream = it->second;
    key_index_.emplace(key_scratch_, it->second);
    return streams_[it->second];
  }
  const auto index = static_cast<uint32_t>(stream_count_++);
  recent.stream = index;
  key_index_.emplace(key_scratch_, index);
  stream_index_.emplace(labels_scratch_, index);
  if (streams_.size() < stream_count_) streams_.emplace_back();
  Stream& s = streams_[index];
  s.labels = labels_scratch_;
  s.body.clear();
  s.entries.clear();
  s.ordered = true;
  s.pairs.clear();
  if (options_.json) {
    for (auto& [name, tmpl] : options_.labels) {
      value_scratch_.clear();
      tmpl.render(batch, event, value_scratch_);
      if (value_scratch_.empty()) continue;
      std::string clean;
      appendCleanLabelValue(clean, value_scratch_, false);
      s.pairs.emplace_back(name, std::move(clean));
    }
    if (s.pairs.empty()) s.pairs.emplace_back("service_name", "unknown_service");
  }
  return s;
}

void LokiEncoder::appendProtobufEntry(const Batch& batch, const Event& event, Stream& stream) {
  std::string& body = stream.body;
  int64_t seconds;
  int32_t nanos;
  splitTimestamp(event.timestamp_ns, seconds, nanos);
  size_t timestamp_size = timestampSize(seconds, nanos);
  // The line is written in place after room for the fields before it, guessing two-byte
  // lengths (lines of 128 B to 16 KiB); a wrong guess moves the line once, while it is hot.
  constexpr size_t kGuessedLengthBytes = 2;
  size_t start = body.size();
  size_t room = 1 + kGuessedLengthBytes + lengthField(timestamp_size) + 1 + kGuessedLengthBytes;
  body.resize(start + room);
  appendLine(batch, event, body);
  size_t line_size = body.size() - start - room;
  findMetadata(batch, event);
  size_t metadata_size = 0;
  for (size_t i = 0; i < metadata_count_; ++i) {
    metadata_size += lengthField(pairSize(metadata_[i].first, metadata_[i].second.size()));
  }
  size_t entry_size =
      lengthField(timestamp_size) + (line_size ? lengthField(line_size) : 0) + metadata_size;

  char head[48];
  char* h = head;
  *h++ = 0x12;  // StreamAdapter.entries
  h = putVarint(h, entry_size);
  *h++ = 0x0A;  // EntryAdapter.timestamp
  h = putVarint(h, timestamp_size);
  if (seconds != 0) {
    *h++ = 0x08;
    h = putVarint(h, static_cast<uint64_t>(seconds));
  }
  if (nanos != 0) {
    *h++ = 0x10;
    h = putVarint(h, static_cast<uint64_t>(nanos));
  }
  if (line_size) {
    *h++ = 0x12;  // EntryAdapter.line
    h = putVarint(h, line_size);
  }
  size_t head_size = static_cast<size_t>(h - head);
  if (head_size != room) {
    if (head_size > room) body.resize(start + head_size + line_size);
    std::memmove(body.data() + start + head_size, body.data() + start + room, line_size);
    body.resize(start + head_size + line_size);
  }
  std::memcpy(body.data() + start, head, head_size);

  auto pair = [&](std::string_view name, std::string_view value) {
    size_t size = pairSize(name, value.size());
    size_t at = body.size();
    body.resize(at + lengthField(size));
    char* p = body.data() + at;
    *p++ = 0x1A;  // EntryAdapter.structuredMetadata
    p = putVarint(p, size);
    p = putBytes(p, 0x0A, name);  // LabelPairAdapter.name
    putBytes(p, 0x12, value);     // LabelPairAdapter.value
  };
  for (size_t i = 0; i < metadata_count_; ++i) pair(metadata_[i].first, metadata_[i].second);
  stream.entries.push_back({event.timestamp_ns, static_cast<uint32_t>(start),
                            static_cast<uint32_t>(body.size() - start)});
}

void LokiEncoder::appendJsonEntry(const Batch& batch, const Event& event, Stream& stream) {
  std::string& body = stream.body;
  if (!body.empty()) body.push_back(',');
  size_t start = body.size();
  body.append("[\"");
  json::appendInt(body, event.timestamp_ns);
  body.append("\",");
  line_scratch_.clear();
  appendLine(batch, event, line_scratch_);
  json::appendString(body, line_scratch_);
  findMetadata(batch, event);
  if (metadata_count_ != 0) {
    body.append(",{");
    for (size_t i = 0; i < metadata_count_; ++i) {
      if (i != 0) body.push_back(',');
      json::appendString(body, metadata_[i].first);
      body.push_back(':');
      json::appendString(body, metadata_[i].second);
    }
    body.push_back('}');
  }
  body.push_back(']');
  stream.entries.push_back({event.timestamp_ns, static_cast<uint32_t>(start),
                            static_cast<uint32_t>(body.size() - start)});
}

void LokiEncoder::group(std::span<const EventRef> events) {
  stream_count_ = 0;
  recent_count_ = 0;
  stream_index_.clear();
  key_index_.clear();
  for (size_t i = 0; i < events.size(); ++i) {
    // The fields of an event a few ahead are fetched while this one is encoded.
    if (i + kPrefetchDistance < events.size()) {
      __builtin_prefetch(events[i + kPrefetchDistance].event().fields);
    }
    const Batch& batch = events[i].batch();
    const Event& event = events[i].event();
    Stream& stream = streamOf(batch, event);
    if (!stream.entries.empty() && event.timestamp_ns < stream.entries.back().timestamp_ns) {
      stream.ordered = false;
    }
    if (options_.json) {
      appendJsonEntry(batch, event, stream);
    } else {
      appendProtobufEntry(batch, event, stream);
    }
  }
  // Entries that came out of order are put in order by their places, not moved: the request is
  // written from those places.
  for (size_t i = 0; i < stream_count_; ++i) {
    Stream& s = streams_[i];
    if (s.ordered) continue;
    std::stable_sort(s.entries.begin(), s.entries.end(), [](const Entry& a, const Entry& b) {
      return a.timestamp_ns < b.timestamp_ns;
    });
  }
}

void LokiEncoder::protobufPieces() {
  pieces_.clear();
  for (size_t i = 0; i < stream_count_; ++i) {
    Stream& s = streams_[i];
    size_t size = lengthField(s.labels.size()) + s.body.size();
    s.header.resize(1 + varintSize(size) + lengthField(s.labels.size()));
    char* p = s.header.data();
    *p++ = 0x0A;  // PushRequest.streams
    p = putVarint(p, size);
    putBytes(p, 0x0A, s.labels);  // StreamAdapter.labels
    pieces_.push_back(s.header);
    if (s.ordered) {
      pieces_.push_back(s.body);
    } else {
      for (const Entry& e : s.entries) pieces_.emplace_back(s.body.data() + e.offset, e.size);
    }
  }
}

void LokiEncoder::encode(std::span<const EventRef> events, std::string& out) {
  if (options_.json) {
    encodeJson(events, out);
    return;
  }
  group(events);
  protobufPieces();
  snappyCompress(pieces_, out);
}

void LokiEncoder::encodeProtobuf(std::span<const EventRef> events, std::string& out) {
  group(events);
  protobufPieces();
  for (std::string_view piece : pieces_) out.append(piece);
}

void LokiEncoder::encodeJson(std::span<const EventRef> events, std::string& out) {
  group(events);
  out.append("{\"streams\":[");
  for (size_t i = 0; i < stream_count_; ++i) {
    const Stream& s = streams_[i];
    if (i) out.push_back(',');
    out.append("{\"stream\":{");
    for (size_t j = 0; j < s.pairs.size(); ++j) {
      if (j) out.push_back(',');
      json::appendString(out, s.pairs[j].first);
      out.push_back(':');
      json::appendString(out, s.pairs[j].second);
    }
    out.append("},\"values\":[");
    if (s.ordered) {
      out.append(s.body);
    } else {
      for (size_t j = 0; j < s.entries.size(); ++j) {
        if (j) out.push_back(',');
        out.append(s.body, s.entries[j].offset, s.entries[j].size);
      }
    }
    out.append("]}");
  }
  out.append("]}");
}

}  // namespace logship
