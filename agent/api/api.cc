// Out-of-line parts of the agent/api types: names, batch field storage, the registry.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "agent/api/ack.h"
#include "agent/api/batch.h"
#include "agent/api/component.h"
#include "agent/api/event.h"
#include "agent/api/registry.h"
#include "agent/support/json_writer.h"

namespace logship {

const char* toString(AckStatus status) {
  switch (status) {
    case AckStatus::kDelivered: return "delivered";
    case AckStatus::kErrored: return "errored";
    case AckStatus::kRejected: return "rejected";
  }
  return "unknown";
}

namespace {
constexpr std::string_view kSeverityNames[] = {"", "debug", "info", "low", "medium", "high",
                                               "critical"};
}

std::string_view toString(Severity severity) {
  return kSeverityNames[static_cast<size_t>(severity)];
}

Severity severityFromName(std::string_view name) {
  for (size_t i = 1; i < std::size(kSeverityNames); ++i) {
    if (kSeverityNames[i] == name) return static_cast<Severity>(i);
  }
  return Severity::kUnset;
}

void Batch::addField(Event& event, std::string_view key, FieldValue value) {
  if (event.field_count == event.field_capacity) {
    uint16_t capacity = event.field_capacity == 0 ? 8 : event.field_capacity * 2;
    Field* grown = arena_.allocateArray<Field>(capacity);
    if (event.field_count) std::memcpy(grown, event.fields, event.field_count * sizeof(Field));
    event.fields = grown;
    event.field_capacity = capacity;
  }
  event.fields[event.field_count++] = Field{key, value};
}

void Batch::setField(Event& event, std::string_view key, FieldValue value) {
  for (uint16_t i = 0; i < event.field_count; ++i) {
    if (event.fields[i].key == key) {
      event.fields[i].value = value;
      return;
    }
  }
  addField(event, key, value);
}

const Field* Batch::findField(const Event& event, std::string_view key) const {
  if (const Field* f = event.findField(key)) return f;
  for (const Field& f : shared_fields_) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

Batch Batch::cloneFrom(std::shared_ptr<const Batch> self) const {
  Batch copy;
  copy.events_ = events_;
  for (Event& e : copy.events_) {
    if (e.field_count == 0) continue;
    Field* fields = copy.arena_.allocateArray<Field>(e.field_count);
    std::memcpy(fields, e.fields, e.field_count * sizeof(Field));
    e.fields = fields;
    e.field_capacity = e.field_count;
  }
  copy.shared_fields_ = shared_fields_;
  copy.source_name_ = source_name_;
  copy.keep_alive_ = std::move(self);
  return copy;
}

const char* toString(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kSource: return "source";
    case ComponentKind::kTransform: return "transform";
    case ComponentKind::kOutput: return "output";
  }
  return "component";
}

const std::vector<std::string_view>& reservedKeys(ComponentKind kind) {
  // `inputs` on a source is reported by the loader, once; `fields` is read by the topology.
  static const std::vector<std::string_view> source{"type", "inputs", "fields"};
  static const std::vector<std::string_view> transform{"type", "inputs"};
  static const std::vector<std::string_view> output{"type", "inputs", "buffer"};
  switch (kind) {
    case ComponentKind::kSource: return source;
    case ComponentKind::kTransform: return transform;
    case ComponentKind::kOutput: return output;
  }
  return source;
}

void Registry::add(ComponentFactory factory) {
  auto key = std::make_pair(factory.kind, factory.type);
  if (!factories_.emplace(key, std::move(factory)).second) {
    throw std::logic_error("component type registered twice: " + key.second);
  }
}

const ComponentFactory* Registry::find(ComponentKind kind, std::string_view type) const {
  auto it = factories_.find(std::make_pair(kind, std::string(type)));
  return it == factories_.end() ? nullptr : &it->second;
}

std::vector<const ComponentFactory*> Registry::all() const {
  std::vector<const ComponentFactory*> out;
  for (auto& [key, f] : factories_) out.push_back(&f);
  return out;
}

std::string Registry::typesOf(ComponentKind kind) const {
  std::string out;
  for (auto& [key, f] : factories_) {
    if (key.first == kind) out += (out.empty() ? "" : ", ") + f.type;
  }
  return out;
}

void LastError::set(std::string_view what) {
  std::string text;
  json::appendTimestamp(text, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
  text = text.substr(1, text.size() - 2);  // without the JSON quotes
  text += ' ';
  text += what;
  std::lock_guard lock(mutex_);
  text_ = std::move(text);
}

std::string LastError::get() const {
  std::lock_guard lock(mutex_);
  return text_;
}

}  // namespace logship
