#include "outputs/elasticsearch/elasticsearch_encoder.h"

#include <cstring>

namespace logship {
namespace {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ull;

uint64_t rotl(uint64_t v, int s) { return (v << s) | (v >> (64 - s)); }

uint64_t avalanche(uint64_t h) {
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

// Two independent 64-bit lanes over the same words; together 128 bits of identity.
struct Hash128 {
  uint64_t a = 0x243F6A8885A308D3ull;
  uint64_t b = 0x13198A2E03707344ull;
  uint64_t length = 0;

  void word(uint64_t w) {
    a = rotl(a ^ (w * kPrime2), 31) * kPrime1;
    b = rotl(b + (w * kPrime3), 27) * kPrime2 + a;
  }
  void bytes(std::string_view s) {
    length += s.size();
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      word(w);
    }
    uint64_t tail = 0;
    std::memcpy(&tail, s.data() + i, s.size() - i);
    // The tail length keeps "ab" + "" apart from "a" + "b".
    word(tail ^ (static_cast<uint64_t>(s.size() - i) << 59) ^ 0xA5);
  }
  void finish(char out[32]) {
    uint64_t x = avalanche(a ^ length);
    uint64_t y = avalanche(b ^ rotl(length, 17) ^ x);
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 16; ++i) {
      out[i] = kHex[(x >> (60 - 4 * i)) & 15];
      out[16 + i] = kHex[(y >> (60 - 4 * i)) & 15];
    }
  }
};

}  // namespace

void elasticsearchDocumentId(const Batch& batch, const Event& event, char out[32]) {
  Hash128 h;
  const Field* path = batch.findField(event, "log.file.path");
  if (path != nullptr && path->value.kind == FieldValue::Kind::kString) {
    h.bytes(path->value.string_value);
  } else {
    h.bytes(batch.sourceName());
  }
  h.word(event.offset);
  h.bytes(event.message);
  h.finish(out);
}

void cleanIndexName(std::string& name, size_t from) {
  for (size_t i = from; i < name.size(); ++i) {
    char& c = name[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    } else if (c == '\\' || c == '/' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' ||
               c == '|' || c == ' ' || c == ',' || c == '#' || c == ':' ||
               static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80) {
      c = '_';
    }
  }
  // Names may not start with -, _ or +.
  while (from < name.size() && (name[from] == '-' || name[from] == '_' || name[from] == '+')) {
    name.erase(from, 1);
  }
  if (from == name.size()) name.append("logship");
  if (name.size() - from > 255) name.resize(from + 255);
}

ElasticsearchEncoder::ElasticsearchEncoder(const GlobalConfig& global, OutputTemplate index,
                                           bool create)
    : ndjson_(global), index_(std::move(index)), create_(create) {}

void ElasticsearchEncoder::encodeEvent(const Batch& batch, const Event& event, std::string& out) {
  out.append(create_ ? "{\"create\":{\"_index\":\"" : "{\"index\":{\"_index\":\"");
  size_t name_start = out.size();
  index_.render(batch, event, out);
  cleanIndexName(out, name_start);
  out.append("\",\"_id\":\"");
  char id[32];
  elasticsearchDocumentId(batch, event, id);
  out.append(id, 32);
  out.append("\"}}\n");
  ndjson_.encodeEvent(batch, event, out);
}

void ElasticsearchEncoder::encode(std::span<const EventRef> events, std::string& out) {
  for (const EventRef& ref : events) encodeEvent(ref.batch(), ref.event(), out);
}

}  // namespace logship
