#include "outputs/common/ndjson_encoder.h"

#include <algorithm>

#include "outputs/common/json_writer.h"

namespace logship {

NdjsonEncoder::NdjsonEncoder(const GlobalConfig& global) {
  for (const TierSpec& t : global.tiers) tier_names_.push_back(t.name);
}

void NdjsonEncoder::encode(const Batch& batch, std::string& out) {
  bool have_skeleton = false;
  for (const Event& e : batch.events()) {
    if (!plain(e)) {
      encodeEvent(batch, e, out);
      continue;
    }
    if (!have_skeleton) {
      buildSkeleton(batch, e);
      have_skeleton = true;
    }
    for (size_t i = 0; i < skeleton_order_.size(); ++i) {
      out += skeleton_[i];
      switch (skeleton_order_[i]) {
        case 'T': appendTimestampCached(e.timestamp_ns, out); break;
        case 'M': json::appendString(out, e.message); break;
        case 'O': json::appendInt(out, static_cast<int64_t>(e.offset)); break;
      }
    }
    out += skeleton_.back();
  }
}

void NdjsonEncoder::encodeEvent(const Batch& batch, const Event& event, std::string& out) {
  collect(batch, event, false);
  writeObject(0, entries_.size(), 0, out);
  out.push_back('\n');
}

void NdjsonEncoder::buildSkeleton(const Batch& batch, const Event& event) {
  collect(batch, event, true);
  std::string rendered;
  writeObject(0, entries_.size(), 0, rendered);
  rendered.push_back('\n');
  // Placeholders are written as a NUL byte and their letter; JSON text never holds a raw NUL.
  skeleton_.clear();
  skeleton_order_.clear();
  size_t from = 0;
  for (size_t at = rendered.find('\0'); at != std::string::npos; at = rendered.find('\0', from)) {
    skeleton_.push_back(rendered.substr(from, at - from));
    skeleton_order_.push_back(rendered[at + 1]);
    from = at + 2;
  }
  skeleton_.push_back(rendered.substr(from));
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

void NdjsonEncoder::collect(const Batch& batch, const Event& event, bool skeleton) {
  entries_.clear();
  entries_.push_back({"@timestamp", FieldValue::integer(event.timestamp_ns), true,
                      skeleton ? 'T' : '\0'});
  entries_.push_back({"message", FieldValue::string(event.message), false, skeleton ? 'M' : '\0'});
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
  for (uint16_t i = 0; i < event.field_count; ++i) {
    entries_.push_back({event.fields[i].key, event.fields[i].value});
  }
  bool from_file = false;
  for (const Field& f : batch.sharedFields()) {
    entries_.push_back({f.key, f.value});
    from_file = from_file || f.key == "log.file.path";
  }
  if (from_file) {
    entries_.push_back({"log.offset", FieldValue::integer(static_cast<int64_t>(event.offset)),
                        false, skeleton ? 'O' : '\0'});
  }
  // Stable: built-ins first, then the event's own fields, then the batch's; the first of equal
  // keys wins. Insertion sort: events have a handful of fields, and std::stable_sort would
  // allocate a buffer for every event.
  for (size_t i = 1; i < entries_.size(); ++i) {
    Entry moving = entries_[i];
    size_t j = i;
    while (j > 0 && moving.key < entries_[j - 1].key) {
      entries_[j] = entries_[j - 1];
      --j;
    }
    entries_[j] = moving;
  }
  entries_.erase(std::unique(entries_.begin(), entries_.end(),
                             [](const Entry& a, const Entry& b) { return a.key == b.key; }),
                 entries_.end());
}

void NdjsonEncoder::writeObject(size_t lo, size_t hi, size_t prefix, std::string& out) const {
  out.push_back('{');
  bool first = true;
  size_t i = lo;
  while (i < hi) {
    if (!first) out.push_back(',');
    first = false;
    std::string_view key = entries_[i].key.substr(prefix);
    size_t dot = key.find('.');
    // "@timestamp" and keys with leading/trailing dots stay flat.
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == key.size()) {
      json::appendString(out, key);
      out.push_back(':');
      writeValue(entries_[i], out);
      ++i;
      continue;
    }
    std::string_view group = key.substr(0, dot + 1);  // "log."
    size_t j = i + 1;
    while (j < hi && entries_[j].key.substr(prefix).starts_with(group)) ++j;
    json::appendString(out, group.substr(0, dot));
    out.push_back(':');
    writeObject(i, j, prefix + dot + 1, out);
    i = j;
  }
  out.push_back('}');
}

void NdjsonEncoder::writeValue(const Entry& entry, std::string& out) const {
  if (entry.placeholder) {
    out.push_back('\0');
    out.push_back(entry.placeholder);
    return;
  }
  if (entry.is_timestamp) {
    json::appendTimestamp(out, entry.value.int_value);
    return;
  }
  switch (entry.value.kind) {
    case FieldValue::Kind::kString: json::appendString(out, entry.value.string_value); break;
    case FieldValue::Kind::kInt: json::appendInt(out, entry.value.int_value); break;
    case FieldValue::Kind::kDouble: json::appendDouble(out, entry.value.double_value); break;
    case FieldValue::Kind::kBool: out.append(entry.value.bool_value ? "true" : "false"); break;
  }
}

}  // namespace logship
