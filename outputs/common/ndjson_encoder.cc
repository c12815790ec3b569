#include "outputs/common/ndjson_encoder.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "agent/support/json_writer.h"

namespace logship {
namespace {

// memcmp for the short keys of a layout, without a call: two overlapping words cover up to 16
// bytes, which most field names fit in.
bool sameBytes(const char* a, const char* b, size_t n) {
  auto word = [](const char* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  if (n >= 8) {
    if (n > 16) return std::memcmp(a, b, n) == 0;
    return word(a) == word(b) && word(a + n - 8) == word(b + n - 8);
  }
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

void appendValue(const FieldValue& value, std::string& out) {
  switch (value.kind) {
    case FieldValue::Kind::kString:
      json::appendString(out, value.string_value);
      break;
    case FieldValue::Kind::kInt:
      json::appendInt(out, value.int_value);
      break;
    case FieldValue::Kind::kDouble:
      json::appendDouble(out, value.double_value);
      break;
    case FieldValue::Kind::kBool:
      out.append(value.bool_value ? "true" : "false");
      break;
  }
}

}  // namespace

NdjsonEncoder::NdjsonEncoder(const GlobalConfig& global, bool with_timestamp)
    : with_timestamp_(with_timestamp) {
  for (const TierSpec& t : global.tiers) tier_names_.push_back(t.name);
}

void NdjsonEncoder::encode(const Batch& batch, std::string& out) {
  for (const Event& e : batch.events()) encodeEvent(batch, e, out);
}

void NdjsonEncoder::encodeEvent(const Batch& batch, const Event& event, std::string& out) {
  gather(batch, event);
  if (entries_.size() > 255) {  // beyond what a one-byte slot index can name: render directly
    render(false, out);
    out.push_back('\n');
    return;
  }
  const Layout& layout = layoutForEntries();
  for (size_t i = 0; i < layout.slots.size(); ++i) {
    out += layout.pieces[i];
    writeValue(layout.slots[i], out);
  }
  out += layout.pieces.back();
}

const NdjsonEncoder::Layout& NdjsonEncoder::layoutForEntries() {
  auto matches = [this](const Layout& l) {
    if (l.key_sizes.size() != entries_.size()) return false;
    std::string_view text = l.key_text;
    for (size_t i = 0, at = 0; i < entries_.size(); at += l.key_sizes[i++]) {
      std::string_view key = entries_[i].key;
      if (key.size() != l.key_sizes[i] || !sameBytes(key.data(), text.data() + at, key.size())) {
        return false;
      }
    }
    return true;
  };
  for (size_t i = 0; i < layouts_.size(); ++i) {
    if (!matches(layouts_[i])) continue;
    if (i > 0) std::swap(layouts_[i], layouts_[i - 1]);  // move towards the front
    return layouts_[i > 0 ? i - 1 : 0];
  }
  constexpr size_t kMaxLayouts = 16;
  if (layouts_.size() < kMaxLayouts) layouts_.emplace_back();
  Layout& l = layouts_.back();  // the least recently used makes room
  l.key_text.clear();
  l.key_sizes.clear();
  for (const Field& e : entries_) {
    l.key_text += e.key;
    l.key_sizes.push_back(static_cast<uint32_t>(e.key.size()));
  }
  std::string rendered;
  render(true, rendered);
  rendered.push_back('\n');
  // JSON text never holds a raw NUL byte: each one marks a value, the byte after it its index.
  l.pieces.clear();
  l.slots.clear();
  size_t from = 0;
  for (size_t nul = rendered.find('\0'); nul != std::string::npos;
       nul = rendered.find('\0', from)) {
    l.pieces.push_back(rendered.substr(from, nul - from));
    l.slots.push_back(static_cast<uint8_t>(rendered[nul + 1]));
    from = nul + 2;
  }
  l.pieces.push_back(rendered.substr(from));
  return l;
}

void NdjsonEncoder::appendTimestampCached(int64_t ns, std::string& out) {
  // Lines read together share their timestamp: format it once.
  if (ns != cached_ns_) {
    cached_timestamp_.clear();
    json::appendTimestamp(cached_timestamp_, ns);
    cached_ns_ = ns;
  }
  out += cached_timestamp_;
}

void NdjsonEncoder::gather(const Batch& batch, const Event& event) {
  entries_.clear();
  if (with_timestamp_) {
    entries_.push_back({"@timestamp", FieldValue::integer(event.timestamp_ns)});
  }
  entries_.push_back({"message", FieldValue::string(event.message)});
  if (event.severity != Severity::kUnset) {
    entries_.push_back({"log.level", FieldValue::string(toString(event.severity))});
  }
  if (event.tier < tier_names_.size()) {
    entries_.push_back({"tier", FieldValue::string(tier_names_[event.tier])});
  }
  if (!event.correlation_id.empty()) {
    entries_.push_back({"correlation_id", FieldValue::string(event.correlation_id)});
  }
  if (event.flags & Event::kTruncated) entries_.push_back({"log.truncated", FieldValue::boolean(true)});
  entries_.insert(entries_.end(), event.fields, event.fields + event.field_count);
  useSharedFieldsOf(batch);
  shared_begin_ = entries_.size();
  const auto& shared = batch.sharedFields();
  entries_.insert(entries_.end(), shared.begin(), shared.end());
  if (shared_from_file_) {
    entries_.push_back({"log.offset", FieldValue::integer(static_cast<int64_t>(event.offset))});
  }
}

void NdjsonEncoder::useSharedFieldsOf(const Batch& batch) {
  const auto& shared = batch.sharedFields();
  if (batch.id() == shared_batch_id_ && shared.size() == shared_count_) return;
  shared_batch_id_ = batch.id();
  shared_count_ = shared.size();
  shared_from_file_ = false;
  shared_rendered_.resize(shared.size());
  for (size_t i = 0; i < shared.size(); ++i) {
    shared_from_file_ = shared_from_file_ || shared[i].key == "log.file.path";
    shared_rendered_[i].clear();
    appendValue(shared[i].value, shared_rendered_[i]);
  }
}

void NdjsonEncoder::render(bool placeholders, std::string& out) {
  // Stable: built-ins first, then the event's own fields, then the batch's; the first of equal
  // keys wins. Insertion sort: events have a handful of fields, and std::stable_sort would
  // allocate a buffer for every event.
  order_.resize(entries_.size());
  for (size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<uint32_t>(i);
  for (size_t i = 1; i < order_.size(); ++i) {
    uint32_t moving = order_[i];
    size_t j = i;
    while (j > 0 && entries_[moving].key < entries_[order_[j - 1]].key) {
      order_[j] = order_[j - 1];
      --j;
    }
    order_[j] = moving;
  }
  auto same_key = [this](uint32_t a, uint32_t b) { return entries_[a].key == entries_[b].key; };
  order_.erase(std::unique(order_.begin(), order_.end(), same_key), order_.end());
  writeObject(0, order_.size(), 0, placeholders, out);
}

void NdjsonEncoder::writeObject(size_t lo, size_t hi, size_t prefix, bool placeholders,
                                std::string& out) {
  out.push_back('{');
  bool first = true;
  size_t i = lo;
  while (i < hi) {
    if (!first) out.push_back(',');
    first = false;
    std::string_view key = entries_[order_[i]].key.substr(prefix);
    size_t dot = key.find('.');
    // "@timestamp" and keys with leading/trailing dots stay flat.
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == key.size()) {
      json::appendString(out, key);
      out.push_back(':');
      if (placeholders) {
        out.push_back('\0');
        out.push_back(static_cast<char>(order_[i]));
      } else {
        writeValue(order_[i], out);
      }
      ++i;
      continue;
    }
    std::string_view group = key.substr(0, dot + 1);  // "log."
    size_t j = i + 1;
    while (j < hi && entries_[order_[j]].key.substr(prefix).starts_with(group)) ++j;
    json::appendString(out, group.substr(0, dot));
    out.push_back(':');
    writeObject(i, j, prefix + dot + 1, placeholders, out);
    i = j;
  }
  out.push_back('}');
}

void NdjsonEncoder::writeValue(size_t index, std::string& out) {
  if (index == 0 && with_timestamp_) {
    appendTimestampCached(entries_[0].value.int_value, out);
    return;
  }
  if (index - shared_begin_ < shared_count_) {
    out += shared_rendered_[index - shared_begin_];
    return;
  }
  appendValue(entries_[index].value, out);
}

}  // namespace logship
