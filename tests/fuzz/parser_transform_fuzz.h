#pragma once

// Shared by the parse_* transform fuzzers: runs a transform on a one-event batch whose raw buffer
// holds exactly the input (so any read past it is an ASan report) and checks what every parser
// promises: the event is shipped, a failure keeps the raw message and says why, and every string
// the event holds stays valid after the thread's scratch buffers are reused.

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/component.h"
#include "agent/api/registry.h"

namespace logship::fuzz {

inline void check(bool condition) {
  if (!condition) __builtin_trap();
}

class SlotEmitter final : public Emitter {
 public:
  void emit(Batch&& batch, std::string_view) override { slot.emplace(std::move(batch)); }
  std::optional<Batch> slot;
};

// A batch of one event per line, the lines back to back in one raw buffer of exactly their size.
inline Batch makeBatch(const std::vector<std::string_view>& lines, int64_t read_time_ns) {
  size_t total = 0;
  for (std::string_view line : lines) total += line.size();
  auto raw = std::make_unique<char[]>(total == 0 ? 1 : total);
  size_t pos = 0;
  for (std::string_view line : lines) {
    if (!line.empty()) std::memcpy(raw.get() + pos, line.data(), line.size());
    pos += line.size();
  }
  Batch batch(std::move(raw), total, AckToken());
  pos = 0;
  for (std::string_view line : lines) {
    Event& e = batch.events().emplace_back();
    e.message = batch.raw().substr(pos, line.size());
    e.timestamp_ns = read_time_ns;
    pos += line.size();
  }
  return batch;
}

inline Batch makeBatch(std::initializer_list<std::string_view> lines, int64_t read_time_ns) {
  return makeBatch(std::vector<std::string_view>(lines), read_time_ns);
}

// Every key and value of the event, serialised: touches each byte (ASan sees dangling views) and
// lets a later copy be compared.
inline std::string snapshot(const Event& e) {
  std::string out(e.message);
  out += '\x01' + std::to_string(e.timestamp_ns) + '\x01' +
         std::to_string(static_cast<int>(e.severity)) + '\x01' + std::to_string(e.flags);
  for (uint16_t i = 0; i < e.field_count; ++i) {
    const Field& f = e.fields[i];
    out += '\x02';
    out += f.key;
    out += '=';
    switch (f.value.kind) {
      case FieldValue::Kind::kString:
        out += f.value.string_value;
        break;
      case FieldValue::Kind::kInt:
        out += std::to_string(f.value.int_value);
        break;
      case FieldValue::Kind::kDouble:
        out += std::to_string(f.value.double_value);
        break;
      case FieldValue::Kind::kBool:
        out += f.value.bool_value ? "true" : "false";
        break;
    }
  }
  return out;
}

// Runs `transform` on `batch` and checks the parser contract for each event whose original text
// was `lines[i]`. Returns the emitted batch.
inline Batch runChecked(Transform& transform, Batch batch) {
  std::vector<std::string> originals;
  for (const Event& e : batch.events()) originals.emplace_back(e.message);
  const size_t events = batch.events().size();
  SlotEmitter out;
  transform.process(batch, out);
  check(out.slot.has_value());
  check(out.slot->events().size() == events);
  for (size_t i = 0; i < events; ++i) {
    const Event& e = out.slot->events()[i];
    check(e.field_count <= e.field_capacity);
    if (e.flags & Event::kParseError) {
      check(e.message == originals[i]);
      const Field* reason = e.findField("event.parse_error");
      check(reason != nullptr && reason->value.kind == FieldValue::Kind::kString &&
            !reason->value.string_value.empty());
    }
  }
  return std::move(*out.slot);
}

// Parses `line` alone, then again followed by padding-sized filler (the in-place path where the
// batch buffer has room after the line), and checks both give the same event; a third unrelated
// document then reuses the thread's scratch, which must not change what the first batch holds.
inline void fuzzOneLine(Transform& transform, std::string_view line, int64_t read_time_ns) {
  Batch alone = runChecked(transform, makeBatch({line}, read_time_ns));
  const std::string before = snapshot(alone.events()[0]);
  static const std::string filler(128, ' ');
  Batch padded = runChecked(transform, makeBatch({line, filler}, read_time_ns));
  check(snapshot(padded.events()[0]) == before);
  std::string other(line.rbegin(), line.rend());
  runChecked(transform, makeBatch({other}, read_time_ns));
  check(snapshot(alone.events()[0]) == before);
}

}  // namespace logship::fuzz
