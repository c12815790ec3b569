#include "outputs/loki/loki_encoder.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "outputs/common/compression.h"
#include "outputs/common/json_writer.h"
#include "outputs/common/utf8.h"

namespace logship {
namespace {

constexpr size_t kMaxLabelValueBytes = 2048;
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
    : options_(std::move(options)), ndjson_(global) {
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

void LokiEncoder::appendLine(const Batch& batch, const Event& event) {
  if (options_.raw_message) {
    appendValidUtf8(text_, event.message);
    return;
  }
  ndjson_.encodeEvent(batch, event, text_);
  if (!text_.empty() && text_.back() == '\n') text_.pop_back();
}

void LokiEncoder::appendMetadata(const Batch& batch, const Event& event, Entry& entry) {
  auto append = [&](const FieldValue* value, std::string_view direct, uint32_t& offset,
                    uint32_t& size) {
    offset = static_cast<uint32_t>(text_.size());
    if (!direct.empty()) {
      appendValidUtf8(text_, direct);
    } else if (value != nullptr) {
      value_scratch_.clear();
      appendFieldText(*value, value_scratch_);
      appendValidUtf8(text_, value_scratch_);
    }
    size = static_cast<uint32_t>(text_.size() - offset);
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
  append(correlation && event.correlation_id.empty() ? &correlation->value : nullptr,
         event.correlation_id, entry.correlation_offset, entry.correlation_size);
  append(trace ? &trace->value : nullptr, {}, entry.trace_offset, entry.trace_size);
}

void LokiEncoder::group(std::span<const EventRef> events) {
  stream_count_ = 0;
  last_stream_ = 0;
  stream_index_.clear();
  text_.clear();
  for (const EventRef& ref : events) {
    const Batch& batch = ref.batch();
    const Event& event = ref.event();
    labels_scratch_.clear();
    labelSet(batch, event, labels_scratch_);
    uint32_t index;
    // Neighbouring events mostly share their stream: skip the hash lookup then.
    if (last_stream_ < stream_count_ && streams_[last_stream_].labels == labels_scratch_) {
      index = last_stream_;
    } else if (auto it = stream_index_.find(std::string_view(labels_scratch_));
               it == stream_index_.end()) {
      index = static_cast<uint32_t>(stream_count_++);
      if (streams_.size() < stream_count_) streams_.emplace_back();
      Stream& s = streams_[index];
      s.labels = labels_scratch_;
      s.entries.clear();
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
      stream_index_.emplace(s.labels, index);
    } else {
      index = it->second;
    }
    last_stream_ = index;
    Entry entry{};
    entry.timestamp_ns = event.timestamp_ns;
    entry.line_offset = static_cast<uint32_t>(text_.size());
    appendLine(batch, event);
    entry.line_size = static_cast<uint32_t>(text_.size() - entry.line_offset);
    appendMetadata(batch, event, entry);
    streams_[index].entries.push_back(entry);
  }
  for (size_t i = 0; i < stream_count_; ++i) {
    auto& entries = streams_[i].entries;
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.timestamp_ns < b.timestamp_ns;
    });
  }
}

void LokiEncoder::encode(std::span<const EventRef> events, std::string& out) {
  if (options_.json) {
    encodeJson(events, out);
    return;
  }
  raw_.clear();
  encodeProtobuf(events, raw_);
  snappyCompress(raw_, out);
}

void LokiEncoder::encodeProtobuf(std::span<const EventRef> events, std::string& out) {
  group(events);
  // First pass: sizes, since every length-delimited field is prefixed with its length.
  auto entrySize = [&](const Entry& e) {
    int64_t seconds;
    int32_t nanos;
    splitTimestamp(e.timestamp_ns, seconds, nanos);
    size_t n = lengthField(timestampSize(seconds, nanos));
    if (e.line_size) n += lengthField(e.line_size);
    if (e.correlation_size) n += lengthField(pairSize(kCorrelationName, e.correlation_size));
    if (e.trace_size) n += lengthField(pairSize(kTraceName, e.trace_size));
    return n;
  };
  std::vector<size_t> stream_sizes(stream_count_);
  size_t total = 0;
  for (size_t i = 0; i < stream_count_; ++i) {
    const Stream& s = streams_[i];
    size_t n = lengthField(s.labels.size());
    for (const Entry& e : s.entries) n += lengthField(entrySize(e));
    stream_sizes[i] = n;
    total += lengthField(n);
  }
  size_t start = out.size();
  out.resize(start + total);
  char* p = out.data() + start;
  for (size_t i = 0; i < stream_count_; ++i) {
    const Stream& s = streams_[i];
    *p++ = 0x0A;  // PushRequest.streams
    p = putVarint(p, stream_sizes[i]);
    p = putBytes(p, 0x0A, s.labels);  // StreamAdapter.labels
    for (const Entry& e : s.entries) {
      *p++ = 0x12;  // StreamAdapter.entries
      p = putVarint(p, entrySize(e));
      int64_t seconds;
      int32_t nanos;
      splitTimestamp(e.timestamp_ns, seconds, nanos);
      *p++ = 0x0A;  // EntryAdapter.timestamp
      p = putVarint(p, timestampSize(seconds, nanos));
      if (seconds != 0) {
        *p++ = 0x08;
        p = putVarint(p, static_cast<uint64_t>(seconds));
      }
      if (nanos != 0) {
        *p++ = 0x10;
        p = putVarint(p, static_cast<uint64_t>(nanos));
      }
      if (e.line_size) {
        p = putBytes(p, 0x12, std::string_view(text_).substr(e.line_offset, e.line_size));
      }
      auto pair = [&](std::string_view name, uint32_t offset, uint32_t size) {
        *p++ = 0x1A;  // EntryAdapter.structuredMetadata
        p = putVarint(p, pairSize(name, size));
        p = putBytes(p, 0x0A, name);
        p = putBytes(p, 0x12, std::string_view(text_).substr(offset, size));
      };
      if (e.correlation_size) pair(kCorrelationName, e.correlation_offset, e.correlation_size);
      if (e.trace_size) pair(kTraceName, e.trace_offset, e.trace_size);
    }
  }
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
    for (size_t j = 0; j < s.entries.size(); ++j) {
      const Entry& e = s.entries[j];
      if (j) out.push_back(',');
      out.append("[\"");
      json::appendInt(out, e.timestamp_ns);
      out.append("\",");
      json::appendString(out, std::string_view(text_).substr(e.line_offset, e.line_size));
      if (e.correlation_size || e.trace_size) {
        out.append(",{");
        if (e.correlation_size) {
          json::appendString(out, kCorrelationName);
          out.push_back(':');
          json::appendString(
              out, std::string_view(text_).substr(e.correlation_offset, e.correlation_size));
        }
        if (e.trace_size) {
          if (e.correlation_size) out.push_back(',');
          json::appendString(out, kTraceName);
          out.push_back(':');
          json::appendString(out, std::string_view(text_).substr(e.trace_offset, e.trace_size));
        }
        out.push_back('}');
      }
      out.push_back(']');
    }
    out.append("]}");
  }
  out.append("]}");
}

}  // namespace logship
