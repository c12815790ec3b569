#include "pipelines/common/event_fields.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>

#include "agent/support/timestamp.h"

namespace logship {

TierNames tierNames(const GlobalConfig& global) {
  auto names = std::make_shared<std::vector<std::string>>();
  for (const TierSpec& t : global.tiers) names->push_back(t.name);
  return names;
}

FieldLookup::FieldLookup(std::vector<std::string> names) : names_(std::move(names)) {
  for (size_t i = 0; i < names_.size(); ++i) {
    by_length_[std::min(names_[i].size(), kLengthBuckets - 1)].push_back(static_cast<uint16_t>(i));
  }
}

void FieldLookup::find(const Batch& batch, const Event& event, const Field** found) const {
  std::fill_n(found, names_.size(), nullptr);
  auto visit = [&](const Field& f) {
    for (uint16_t i : by_length_[std::min(f.key.size(), kLengthBuckets - 1)]) {
      if (found[i] == nullptr && f.key == names_[i]) found[i] = &f;
    }
  };
  for (uint16_t k = 0; k < event.field_count; ++k) visit(event.fields[k]);
  for (const Field& f : batch.sharedFields()) visit(f);
}

FieldRef::FieldRef(std::string name, TierNames tiers)
    : name_(std::move(name)), tiers_(std::move(tiers)) {
  if (name_ == "message") {
    builtin_ = Builtin::kMessage;
  } else if (name_ == "log.level") {
    builtin_ = Builtin::kLogLevel;
  } else if (name_ == "tier") {
    builtin_ = Builtin::kTier;
  } else if (name_ == "correlation_id") {
    builtin_ = Builtin::kCorrelationId;
  } else if (name_ == "@timestamp") {
    builtin_ = Builtin::kTimestamp;
  }
}

std::optional<FieldValue> FieldRef::read(const Batch& batch, const Event& event) const {
  // The built-ins win over a field of the same name, as in the encoders; when a built-in is unset
  // the field (say a `log.level` a JSON line carried) is what outputs would show, so read that.
  switch (builtin_) {
    case Builtin::kMessage:
      return FieldValue::string(event.message);
    case Builtin::kTimestamp:
      return FieldValue::integer(event.timestamp_ns);
    case Builtin::kLogLevel:
      if (event.severity != Severity::kUnset) return FieldValue::string(toString(event.severity));
      break;
    case Builtin::kTier:
      if (tiers_ && event.tier < tiers_->size()) return FieldValue::string((*tiers_)[event.tier]);
      break;
    case Builtin::kCorrelationId:
      if (!event.correlation_id.empty()) return FieldValue::string(event.correlation_id);
      break;
    case Builtin::kNone:
      break;
  }
  if (const Field* f = batch.findField(event, name_)) return f->value;
  return std::nullopt;
}

std::string_view valueText(const FieldValue& value, char (&buffer)[32]) {
  switch (value.kind) {
    case FieldValue::Kind::kString:
      return value.string_value;
    case FieldValue::Kind::kInt: {
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value.int_value);
      return {buffer, static_cast<size_t>(end - buffer)};
    }
    case FieldValue::Kind::kDouble: {
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value.double_value);
      if (ec != std::errc()) return {};
      return {buffer, static_cast<size_t>(end - buffer)};
    }
    case FieldValue::Kind::kBool:
      return value.bool_value ? "true" : "false";
  }
  return {};
}

std::optional<double> valueNumber(const FieldValue& value) {
  switch (value.kind) {
    case FieldValue::Kind::kInt:
      return static_cast<double>(value.int_value);
    case FieldValue::Kind::kDouble:
      return value.double_value;
    case FieldValue::Kind::kBool:
      return std::nullopt;
    case FieldValue::Kind::kString: {
      std::string_view s = value.string_value;
      if (!s.empty() && s.front() == '+') s.remove_prefix(1);
      double d = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
      return d;
    }
  }
  return std::nullopt;
}

std::optional<int64_t> valueInteger(const FieldValue& value) {
  switch (value.kind) {
    case FieldValue::Kind::kInt:
      return value.int_value;
    case FieldValue::Kind::kDouble: {
      double d = value.double_value;
      if (d != d || d < -9.2e18 || d > 9.2e18 ||
          static_cast<double>(static_cast<int64_t>(d)) != d) {
        return std::nullopt;
      }
      return static_cast<int64_t>(d);
    }
    case FieldValue::Kind::kBool:
      return std::nullopt;
    case FieldValue::Kind::kString: {
      std::string_view s = value.string_value;
      int64_t n = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
      return n;
    }
  }
  return std::nullopt;
}

std::optional<int64_t> valueTimestamp(const FieldValue& value) {
  char buffer[32];
  switch (value.kind) {
    case FieldValue::Kind::kInt:
    case FieldValue::Kind::kDouble:
      return timestamp::parseEpoch(valueText(value, buffer), timestamp::Unit::kAuto);
    case FieldValue::Kind::kString:
      return timestamp::parseAny(value.string_value, timestamp::nowNs());
    case FieldValue::Kind::kBool:
      break;
  }
  return std::nullopt;
}

bool checkFieldName(std::string_view name, const ConfigNode& where, Diagnostics& diag) {
  bool ok = !name.empty() && name.front() != '.' && name.back() != '.';
  for (char c : name) {
    ok = ok && static_cast<unsigned char>(c) > ' ' && c != '{' && c != '}' && c != '"';
  }
  if (!ok) diag.error(where.location(), "'" + std::string(name) + "' is not a field name");
  return ok;
}

}  // namespace logship
