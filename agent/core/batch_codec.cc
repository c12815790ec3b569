#include "agent/core/batch_codec.h"

#include <cstring>

namespace logship {
namespace {

constexpr uint32_t kVersion = 1;

template <class T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
void putString(std::string& out, std::string_view s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}
void putField(std::string& out, const Field& f) {
  putString(out, f.key);
  put<uint8_t>(out, static_cast<uint8_t>(f.value.kind));
  switch (f.value.kind) {
    case FieldValue::Kind::kString: putString(out, f.value.string_value); break;
    case FieldValue::Kind::kInt: put<int64_t>(out, f.value.int_value); break;
    case FieldValue::Kind::kDouble: put<double>(out, f.value.double_value); break;
    case FieldValue::Kind::kBool: put<uint8_t>(out, f.value.bool_value ? 1 : 0); break;
  }
}

// Bounds-checked reader over the encoded bytes.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  template <class T>
  bool get(T& v) {
    if (data_.size() - at_ < sizeof v) return false;
    std::memcpy(&v, data_.data() + at_, sizeof v);
    at_ += sizeof v;
    return true;
  }
  bool getString(std::string_view& s) {
    uint32_t n;
    if (!get(n) || data_.size() - at_ < n) return false;
    s = data_.substr(at_, n);
    at_ += n;
    return true;
  }
  bool getField(Field& f) {
    uint8_t kind;
    if (!getString(f.key) || !get(kind) || kind > 3) return false;
    f.value.kind = static_cast<FieldValue::Kind>(kind);
    switch (f.value.kind) {
      case FieldValue::Kind::kString: return getString(f.value.string_value);
      case FieldValue::Kind::kInt: return get(f.value.int_value);
      case FieldValue::Kind::kDouble: return get(f.value.double_value);
      case FieldValue::Kind::kBool: {
        uint8_t b;
        if (!get(b) || b > 1) return false;  // only what encodeBatch writes
        f.value.bool_value = b != 0;
        return true;
      }
    }
    return false;
  }
  bool done() const { return at_ == data_.size(); }
  size_t remaining() const { return data_.size() - at_; }

 private:
  std::string_view data_;
  size_t at_ = 0;
};

}  // namespace

void encodeBatch(const Batch& batch, std::string& out) {
  put<uint32_t>(out, kVersion);
  put<uint32_t>(out, static_cast<uint32_t>(batch.sharedFields().size()));
  for (const Field& f : batch.sharedFields()) putField(out, f);
  put<uint32_t>(out, static_cast<uint32_t>(batch.events().size()));
  for (const Event& e : batch.events()) {
    put<int64_t>(out, e.timestamp_ns);
    put<uint64_t>(out, e.offset);
    put<uint8_t>(out, static_cast<uint8_t>(e.severity));
    put<uint8_t>(out, e.tier);
    put<uint8_t>(out, e.flags);
    putString(out, e.message);
    putString(out, e.correlation_id);
    put<uint16_t>(out, e.field_count);
    for (uint16_t i = 0; i < e.field_count; ++i) putField(out, e.fields[i]);
  }
}

std::optional<Batch> decodeBatch(std::string_view bytes) {
  auto raw = std::make_unique_for_overwrite<char[]>(bytes.size());
  std::memcpy(raw.get(), bytes.data(), bytes.size());
  return decodeBatch(std::move(raw), bytes.size());
}

std::optional<Batch> decodeBatch(std::unique_ptr<char[]> bytes, size_t size) {
  Batch batch(std::move(bytes), size, AckToken());
  Reader r(batch.raw());
  uint32_t version, shared, count;
  if (!r.get(version) || version != kVersion || !r.get(shared) || shared > 4096) return std::nullopt;
  for (uint32_t i = 0; i < shared; ++i) {
    Field f;
    if (!r.getField(f)) return std::nullopt;
    batch.addSharedField(f.key, f.value);  // copies the key; the value stays a view
  }
  if (!r.get(count) || count > size) return std::nullopt;
  batch.events().reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    Event& e = batch.events().emplace_back();
    uint8_t severity;
    uint16_t fields;
    if (!r.get(e.timestamp_ns) || !r.get(e.offset) || !r.get(severity) || severity > 6 ||
        !r.get(e.tier) || !r.get(e.flags) || !r.getString(e.message) ||
        !r.getString(e.correlation_id) || !r.get(fields)) {
      return std::nullopt;
    }
    e.severity = static_cast<Severity>(severity);
    if (fields == 0) continue;
    // A field takes at least 6 bytes (empty key, a bool): a count beyond what is left is corrupt.
    if (fields > r.remaining() / 6) return std::nullopt;
    e.fields = batch.arena().allocateArray<Field>(fields);
    e.field_capacity = fields;
    for (; e.field_count < fields; ++e.field_count) {
      if (!r.getField(e.fields[e.field_count])) return std::nullopt;
    }
  }
  if (!r.done()) return std::nullopt;
  return batch;
}

}  // namespace logship
