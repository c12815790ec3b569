#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/config.h"
#include "agent/support/stable_hash.h"  // stableHash, for the users of event fields

namespace logship {

// The tier names of the top-level `tiers` section, shared by everything compiled from one config
// so `tier` reads as a name without holding on to the GlobalConfig.
using TierNames = std::shared_ptr<const std::vector<std::string>>;
TierNames tierNames(const GlobalConfig& global);

// A configured field name, resolved once: the built-ins that live in Event members (`message`,
// `log.level`, `tier`, `correlation_id`, `@timestamp`) or a named field of the event, then of its
// batch. Reading never allocates; string values are views into the batch.
class FieldRef {
 public:
  FieldRef() = default;
  FieldRef(std::string name, TierNames tiers);

  const std::string& name() const { return name_; }
  std::optional<FieldValue> read(const Batch& batch, const Event& event) const;

 private:
  enum class Builtin : uint8_t { kNone, kMessage, kLogLevel, kTier, kCorrelationId, kTimestamp };
  std::string name_;
  Builtin builtin_ = Builtin::kNone;
  TierNames tiers_;
};

// Several field names looked up together: one pass over an event's fields and its batch's finds
// them all (the event's own first, as Batch::findField), where a findField per name would pass
// over the fields once for every name.
class FieldLookup {
 public:
  explicit FieldLookup(std::vector<std::string> names);

  size_t size() const { return names_.size(); }
  const std::string& name(size_t i) const { return names_[i]; }
  // Sets found[i] to the field called name(i), or nullptr; `found` holds size() pointers.
  void find(const Batch& batch, const Event& event, const Field** found) const;

 private:
  static constexpr size_t kLengthBuckets = 32;  // the last one holds every longer name
  std::vector<std::string> names_;
  std::array<std::vector<uint16_t>, kLengthBuckets> by_length_;  // indices into names_
};

// Text of a value: strings as they are, numbers and booleans formatted into `buffer`.
std::string_view valueText(const FieldValue& value, char (&buffer)[32]);
// A number for ints, doubles and numeric strings ("42", "3.5"); nullopt otherwise.
std::optional<double> valueNumber(const FieldValue& value);
std::optional<int64_t> valueInteger(const FieldValue& value);
// Nanoseconds since the epoch of a timestamp: @timestamp as read (ns), epoch numbers (seconds,
// milliseconds, microseconds or nanoseconds, told by their magnitude), or timestamp text
// (RFC 3339 and the other forms timestamp::parseAny reads).
std::optional<int64_t> valueTimestamp(const FieldValue& value);

// Field names are checked once, at config time, so a typo is reported where it was written.
bool checkFieldName(std::string_view name, const ConfigNode& where, Diagnostics& diag);

}  // namespace logship
