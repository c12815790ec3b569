#include "agent/sources/http/loki_push_decoder.h"

#include <google/protobuf/io/coded_stream.h>

#include <charconv>
#include <cstdint>
#include <cstring>

namespace logship {

using google::protobuf::io::CodedInputStream;

namespace {

constexpr int64_t kNanosPerSecond = 1000000000;
constexpr int64_t kMaxSeconds = INT64_MAX / kNanosPerSecond - 1;

bool isNameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':' || c == '.';
}

void skipBlanks(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

}  // namespace

bool LokiPushDecoder::parseLabelSet(std::string_view text, Arena& arena, std::vector<Label>& out) {
  out.clear();
  skipBlanks(text);
  if (text.empty() || text.front() != '{') return false;
  text.remove_prefix(1);
  skipBlanks(text);
  bool more = text.empty() || text.front() != '}';  // `{}`: no labels
  if (!more) text.remove_prefix(1);
  while (more) {
    skipBlanks(text);
    size_t n = 0;
    while (n < text.size() && isNameByte(text[n])) ++n;
    if (n == 0) return false;
    Label label{text.substr(0, n), {}};
    text.remove_prefix(n);
    skipBlanks(text);
    if (text.empty() || text.front() != '=') return false;
    text.remove_prefix(1);
    skipBlanks(text);
    if (text.empty() || text.front() != '"') return false;
    text.remove_prefix(1);
    size_t end = 0;
    bool escaped = false;
    while (end < text.size() && text[end] != '"')
      end += text[end] == '\\' ? (escaped = true, 2) : 1;
    if (end >= text.size()) return false;
    std::string_view raw = text.substr(0, end);
    text.remove_prefix(end + 1);
    if (!escaped) {
      label.value = raw;
    } else {
      char* p = static_cast<char*>(arena.allocate(raw.size(), 1));
      size_t at = 0;
      for (size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '\\' && i + 1 < raw.size()) {
          c = raw[++i];
          c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
        }
        p[at++] = c;
      }
      label.value = {p, at};
    }
    out.push_back(label);
    skipBlanks(text);
    if (text.empty() || (text.front() != ',' && text.front() != '}')) return false;
    more = text.front() == ',';
    text.remove_prefix(1);
  }
  skipBlanks(text);
  return text.empty();
}

void LokiPushDecoder::setStreamLabels(const std::vector<Label>& labels, Batch& batch) {
  stream_fields_.clear();
  for (const Label& label : labels) {
    auto mapped = options_.label_fields.find(label.name);
    if (mapped != options_.label_fields.end()) {
      stream_fields_.push_back({mapped->second, label.value, true});
    } else {
      std::string key = "labels.";
      key.append(label.name);
      stream_fields_.push_back({batch.arena().copy(key), label.value, false});
    }
  }
}

void LokiPushDecoder::applyLabels(Batch& batch, size_t first_event) {
  for (size_t i = first_event; i < batch.events().size(); ++i) {
    Event& e = batch.events()[i];
    for (const StreamField& f : stream_fields_) {
      if (f.member) {
        json_.setMember(batch, e, f.key, FieldValue::string(f.value));
      } else {
        batch.addField(e, f.key, FieldValue::string(f.value));
      }
    }
  }
}

Event& LokiPushDecoder::addEntry(Batch& batch, int64_t timestamp_ns, std::string_view line,
                                 size_t capacity) {
  Event& e = batch.events().emplace_back();
  if (options_.json_lines && !line.empty() && line.front() == '{') {
    if (capacity < line.size() + simdjson::SIMDJSON_PADDING) {
      char* p =
          static_cast<char*>(batch.arena().allocate(line.size() + simdjson::SIMDJSON_PADDING, 1));
      std::memcpy(p, line.data(), line.size());
      std::memset(p + line.size(), 0, simdjson::SIMDJSON_PADDING);
      line = {p, line.size()};
      capacity = line.size() + simdjson::SIMDJSON_PADDING;
    }
    json_.decode(batch, e, line, capacity);
  } else {
    e.message = line;
  }
  // The entry's own timestamp is the event's, to the nanosecond (the JSON line has none).
  e.timestamp_ns = timestamp_ns;
  return e;
}

void LokiPushDecoder::addMetadata(Batch& batch, Event& event, std::string_view name,
                                  std::string_view value) {
  json_.setMember(batch, event, name == "trace_id" ? std::string_view("trace.id") : name,
                  FieldValue::string(value));
}

namespace {

// A length-delimited field's bytes, as a view into the buffer the stream reads.
bool readBytes(CodedInputStream& in, std::string_view& out) {
  uint32_t size = 0;
  if (!in.ReadVarint32(&size)) return false;
  if (size == 0) {
    out = {};
    return true;
  }
  const void* data = nullptr;
  int available = 0;
  if (!in.GetDirectBufferPointer(&data, &available) || static_cast<uint32_t>(available) < size) {
    return false;
  }
  out = {static_cast<const char*>(data), size};
  return in.Skip(static_cast<int>(size));
}

bool skipField(CodedInputStream& in, uint32_t tag) {
  uint64_t varint;
  std::string_view bytes;
  switch (tag & 7) {
    case 0:
      return in.ReadVarint64(&varint);
    case 1:
      return in.Skip(8);
    case 2:
      return readBytes(in, bytes);
    case 5:
      return in.Skip(4);
    default:
      return false;  // groups are not part of this schema
  }
}

// Reads the fields of the message `bytes`, calling on_field(field_number, wire_type, in) for each;
// on_field returns false on an error. Unknown fields are skipped.
template <class Fn>
bool readMessage(std::string_view bytes, Fn on_field) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return in.CurrentPosition() == static_cast<int>(bytes.size());
    bool handled = false;
    if (!on_field(tag >> 3, tag & 7, in, handled)) return false;
    if (!handled && !skipField(in, tag)) return false;
  }
}

}  // namespace

std::string LokiPushDecoder::decodeProtobuf(Batch& batch) {
  const std::string_view body = batch.raw();
  const char* padded_end = body.data() + body.size() + simdjson::SIMDJSON_PADDING;
  std::string error;
  auto readEntry = [&](std::string_view entry) {
    int64_t timestamp_ns = 0;
    std::string_view line;
    metadata_.clear();
    const bool ok =
        readMessage(entry, [&](uint32_t field, uint32_t wire, CodedInputStream& in, bool& handled) {
          if (wire != 2 || field < 1 || field > 3) return true;
          handled = true;
          std::string_view bytes;
          if (!readBytes(in, bytes)) return false;
          if (field == 1) {  // google.protobuf.Timestamp {int64 seconds = 1; int32 nanos = 2}
            int64_t seconds = 0, nanos = 0;
            const bool read =
                readMessage(bytes, [&](uint32_t f, uint32_t w, CodedInputStream& ts, bool& done) {
                  if (w != 0 || (f != 1 && f != 2)) return true;
                  done = true;
                  uint64_t v;
                  if (!ts.ReadVarint64(&v)) return false;
                  (f == 1 ? seconds : nanos) = static_cast<int64_t>(v);
                  return true;
                });
            // Past what nanoseconds since 1970 hold in 64 bits (the year 2262).
            if (!read || seconds > kMaxSeconds || seconds < -kMaxSeconds) return false;
            timestamp_ns = seconds * kNanosPerSecond + nanos;
          } else if (field == 2) {
            line = bytes;
          } else {  // LabelPairAdapter {string name = 1; string value = 2}
            std::pair<std::string_view, std::string_view> pair;
            const bool read =
                readMessage(bytes, [&](uint32_t f, uint32_t w, CodedInputStream& p, bool& done) {
                  if (w != 2 || (f != 1 && f != 2)) return true;
                  done = true;
                  return readBytes(p, f == 1 ? pair.first : pair.second);
                });
            if (!read) return false;
            metadata_.push_back(pair);
          }
          return true;
        });
    if (!ok) return false;
    const size_t capacity = line.empty() ? 0 : static_cast<size_t>(padded_end - line.data());
    Event& e = addEntry(batch, timestamp_ns, line, capacity);
    for (auto& [name, value] : metadata_) {
      if (!name.empty()) addMetadata(batch, e, name, value);
    }
    return true;
  };
  const bool ok =
      readMessage(body, [&](uint32_t field, uint32_t wire, CodedInputStream& in, bool& handled) {
        if (field != 1 || wire != 2) return true;
        handled = true;
        std::string_view stream;
        if (!readBytes(in, stream)) return false;
        // StreamAdapter {string labels = 1; repeated EntryAdapter entries = 2}
        const size_t first = batch.events().size();
        labels_.clear();
        bool have_labels = false;
        const bool read =
            readMessage(stream, [&](uint32_t f, uint32_t w, CodedInputStream& s, bool& done) {
              if (w != 2 || (f != 1 && f != 2)) return true;
              done = true;
              std::string_view bytes;
              if (!readBytes(s, bytes)) return false;
              if (f == 1) {
                have_labels = parseLabelSet(bytes, batch.arena(), labels_);
                if (!have_labels) error = "bad label set " + std::string(bytes.substr(0, 200));
                return have_labels;
              }
              return readEntry(bytes);
            });
        if (!read) return false;
        setStreamLabels(labels_, batch);
        applyLabels(batch, first);
        return true;
      });
  if (!ok && error.empty()) error = "the body is not a snappy-compressed logproto.PushRequest";
  if (!ok) batch.events().clear();
  return ok ? std::string() : error;
}

std::string LokiPushDecoder::decodeJson(Batch& batch) {
  const std::string_view body = batch.raw();
  using simdjson::ondemand::json_type;
  std::string problem;
  auto fail = [&](std::string what) {
    if (problem.empty()) problem = std::move(what);
    return simdjson::INCORRECT_TYPE;
  };
  auto readValues = [&](simdjson::ondemand::array values) -> simdjson::error_code {
    for (auto item : values) {
      simdjson::ondemand::array entry;
      if (auto error = item.get_array().get(entry)) return error;
      int index = 0;
      int64_t timestamp_ns = 0;
      Event* event = nullptr;
      for (auto part : entry) {
        if (index == 0) {
          std::string_view text;
          if (auto error = part.get_string().get(text)) return error;
          auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), timestamp_ns);
          if (ec != std::errc() || end != text.data() + text.size()) {
            return fail("timestamp \"" + std::string(text) + "\" is not nanoseconds");
          }
        } else if (index == 1) {
          std::string_view line;
          if (auto error = part.get_string().get(line)) return error;
          event = &addEntry(batch, timestamp_ns, batch.arena().copy(line), 0);
        } else if (index == 2) {
          simdjson::ondemand::object metadata;
          if (auto error = part.get_object().get(metadata)) return error;
          for (auto member : metadata) {
            std::string_view name, value;
            if (auto error = member.unescaped_key().get(name)) return error;
            const std::string_view key = batch.arena().copy(name);
            if (auto error = member.value().get_string().get(value)) return error;
            addMetadata(batch, *event, key, batch.arena().copy(value));
          }
        }
        ++index;
      }
      if (index < 2) return fail("an entry of \"values\" needs a timestamp and a line");
    }
    return simdjson::SUCCESS;
  };
  auto readStream = [&](simdjson::ondemand::object stream) -> simdjson::error_code {
    const size_t first = batch.events().size();
    labels_.clear();
    for (auto member : stream) {
      std::string_view key;
      if (auto error = member.unescaped_key().get(key)) return error;
      if (key == "stream") {
        simdjson::ondemand::object labels;
        if (auto error = member.value().get_object().get(labels)) return error;
        for (auto label : labels) {
          std::string_view name, value;
          if (auto error = label.unescaped_key().get(name)) return error;
          const std::string_view kept = batch.arena().copy(name);
          if (auto error = label.value().get_string().get(value)) return error;
          labels_.push_back({kept, batch.arena().copy(value)});
        }
      } else if (key == "values") {
        simdjson::ondemand::array values;
        if (auto error = member.value().get_array().get(values)) return error;
        if (auto error = readValues(values)) return error;
      }
    }
    setStreamLabels(labels_, batch);
    applyLabels(batch, first);
    return simdjson::SUCCESS;
  };
  simdjson::ondemand::document doc;
  simdjson::ondemand::object root;
  auto error =
      outer_.iterate(body.data(), body.size(), body.size() + simdjson::SIMDJSON_PADDING).get(doc);
  if (!error) error = doc.get_object().get(root);
  bool have_streams = false;
  if (!error) {
    for (auto member : root) {
      std::string_view key;
      if ((error = member.unescaped_key().get(key))) break;
      if (key != "streams") continue;
      have_streams = true;
      simdjson::ondemand::array streams;
      if ((error = member.value().get_array().get(streams))) break;
      for (auto item : streams) {
        simdjson::ondemand::object stream;
        if ((error = item.get_object().get(stream))) break;
        if ((error = readStream(stream))) break;
      }
      if (error) break;
    }
  }
  if (!error && !have_streams) problem = "the body has no \"streams\"";
  if (error || !problem.empty()) {
    batch.events().clear();
    if (!problem.empty()) return problem;
    return std::string("the body is not a Loki push request: ") + simdjson::error_message(error);
  }
  return {};
}

}  // namespace logship
