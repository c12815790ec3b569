#include "pipelines/remap/remap.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <re2/re2.h>

#include "agent/support/timestamp.h"

namespace logship {
namespace {

// Names kept in Event members, not in the field list: reading them works everywhere (copy,
// templates), changing them is other stages' work (tag_severity, classify_tier, correlate).
bool isBuiltin(std::string_view name) {
  return name == "message" || name == "@timestamp" || name == "log.level" || name == "tier" ||
         name == "correlation_id";
}

int fieldIndex(const Event& event, std::string_view key) {
  for (uint16_t i = 0; i < event.field_count; ++i) {
    if (event.fields[i].key == key) return i;
  }
  return -1;
}

void removeAt(Event& event, int i) {
  for (uint16_t j = static_cast<uint16_t>(i) + 1; j < event.field_count; ++j) {
    event.fields[j - 1] = event.fields[j];
  }
  --event.field_count;
}

std::optional<bool> parseBool(std::string_view text) {
  std::string lower;
  for (char c : text) lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") return true;
  if (lower == "false" || lower == "no" || lower == "off" || lower == "0") return false;
  return std::nullopt;
}

}  // namespace

Remap::Remap(RemapConfig config, BuildContext& ctx) {
  const TierNames tiers = tierNames(ctx.global);
  // Walk the component's own keys in file order: that order is the order of the operations.
  for (auto& [key_node, value] : ctx.node.entries()) {
    const std::string name = key_node.yaml().Scalar();
    if (name == "operations") {
      if (!value.isSequence()) {
        ctx.diag.error(value.location(), "operations is a list of {operation: ...}");
        continue;
      }
      for (const ConfigNode& item : value.items()) {
        const auto entries = item.entries();
        if (!item.isMap() || entries.size() != 1) {
          ctx.diag.error(item.location(),
                         "each entry of operations holds one operation, like {rename: {a: b}}");
          continue;
        }
        const std::string op = entries[0].first.yaml().Scalar();
        if (!compile(op, entries[0].second, tiers, ctx.diag)) {
          ctx.diag.error(entries[0].first.location(),
                         "unknown operation '" + op +
                             "' (known: set, rename, copy, delete, coerce, lowercase, replace)");
        }
      }
      continue;
    }
    compile(name, value, tiers, ctx.diag);
  }
  if (ops_.empty() && ctx.diag.ok()) ctx.diag.error(ctx.node.location(), "remap has no operation");
}

size_t Remap::key(const std::string& name, const ConfigNode& where, Diagnostics& diag,
                  bool writable) {
  checkFieldName(name, where, diag);
  if (writable && isBuiltin(name)) {
    diag.error(where.location(), "'" + name +
                                     "' is not a field remap changes (it can be read: "
                                     "copy from it or use it in a set template)");
  }
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == name) return i;
  }
  keys_.push_back(name);
  return keys_.size() - 1;
}

bool Remap::compile(const std::string& name, const ConfigNode& node, const TierNames& tiers,
                    Diagnostics& diag) {
  auto pairs = [&](const char* what) {
    if (!node.isMap()) diag.error(node.location(), name + " is a map of " + what);
    return node.isMap() ? node.entries() : std::vector<std::pair<ConfigNode, ConfigNode>>{};
  };
  auto names = [&]() {
    std::vector<std::string> list;
    readValue(node, list, diag);
    return list;
  };
  if (name == "set") {
    for (auto& [k, v] : pairs("fields to values")) {
      std::optional<std::string> text = v.scalar(diag);
      if (!text) continue;
      Op op;
      op.kind = OpKind::kSet;
      op.field = key(k.yaml().Scalar(), k, diag);
      op.value = FieldTemplate::parse(*text, v, tiers, diag, FieldTemplate::Bare::kLiteral);
      if (op.value) ops_.push_back(std::move(op));
    }
  } else if (name == "rename" || name == "copy") {
    const bool rename = name == "rename";
    for (auto& [k, v] : pairs("source fields to new names")) {
      std::optional<std::string> to = v.scalar(diag);
      if (!to) continue;
      const std::string from = k.yaml().Scalar();
      Op op;
      op.kind = rename ? OpKind::kRename : OpKind::kCopy;
      op.field = key(*to, v, diag);
      if (rename) {
        op.from_key = key(from, k, diag);
      } else {
        checkFieldName(from, k, diag);
        op.from = FieldRef(from, tiers);
      }
      ops_.push_back(std::move(op));
    }
  } else if (name == "delete" || name == "lowercase") {
    for (const std::string& field : names()) {
      Op op;
      op.kind = name == "delete" ? OpKind::kDelete : OpKind::kLowercase;
      op.field = key(field, node, diag);
      ops_.push_back(std::move(op));
    }
  } else if (name == "coerce") {
    for (auto& [k, v] : pairs("fields to int, float, bool or timestamp")) {
      std::optional<std::string> type = v.scalar(diag);
      if (!type) continue;
      Op op;
      op.kind = OpKind::kCoerce;
      op.field = key(k.yaml().Scalar(), k, diag);
      if (*type == "int") {
        op.to = CoerceTo::kInt;
      } else if (*type == "float") {
        op.to = CoerceTo::kFloat;
      } else if (*type == "bool") {
        op.to = CoerceTo::kBool;
      } else if (*type == "timestamp") {
        op.to = CoerceTo::kTimestamp;
      } else {
        diag.error(v.location(), "'" + *type + "' is not one of: int, float, bool, timestamp");
        continue;
      }
      ops_.push_back(std::move(op));
    }
  } else if (name == "replace") {
    compileReplace(node, diag);
  } else {
    return false;
  }
  return true;
}

void Remap::compileReplace(const ConfigNode& node, Diagnostics& diag) {
  if (!node.isMap()) {
    diag.error(node.location(), "replace is a map of fields to {pattern: <regex>, with: <text>}");
    return;
  }
  for (auto& [k, v] : node.entries()) {
    const std::string field = k.yaml().Scalar();
    if (!v.isMap()) {
      diag.error(v.location(), "replace of '" + field + "' is {pattern: <regex>, with: <text>}");
      continue;
    }
    std::string pattern, with;
    bool complete = true;
    for (auto& [part, text] : v.entries()) {
      const std::string part_name = part.yaml().Scalar();
      if (part_name == "pattern") {
        complete = readValue(text, pattern, diag) && complete;
      } else if (part_name == "with") {
        complete = readValue(text, with, diag) && complete;
      } else {
        diag.error(part.location(), "unknown key '" + part_name + "' (known: pattern, with)");
        complete = false;
      }
    }
    if (!v["pattern"].defined() || !v["with"].defined()) {
      diag.error(v.location(), "replace of '" + field + "' needs both pattern and with");
      continue;
    }
    if (!complete) continue;
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(pattern, options);
    if (!re->ok()) {
      diag.error(v["pattern"].location(),
                 "invalid regular expression '" + pattern + "': " + re->error());
      continue;
    }
    std::string error;
    if (!re->CheckRewriteString(with, &error)) {
      diag.error(v["with"].location(), error);
      continue;
    }
    Op op;
    op.kind = OpKind::kReplace;
    op.message = field == "message";
    if (!op.message) op.field = key(field, k, diag);
    op.pattern = std::move(re);
    op.rewrite = std::move(with);
    ops_.push_back(std::move(op));
  }
}

void Remap::start(ComponentContext& context) {
  coerce_failures_ = &prometheus::BuildCounter()
                          .Name("logship_remap_coerce_failures_total")
                          .Help(
                              "Values remap could not coerce to the type asked (left as they "
                              "were).")
                          .Register(context.metricsRegistry())
                          .Add({{"component_id", std::string(context.id())}});
}

void Remap::apply(const Op& op, Batch& batch, Event& event, std::vector<std::string_view>& keys,
                  uint64_t& coerce_failures) {
  auto keyOf = [&](size_t i) {
    if (keys[i].empty()) keys[i] = batch.arena().copy(keys_[i]);
    return keys[i];
  };
  switch (op.kind) {
    case OpKind::kSet: {
      thread_local std::string text;
      text.clear();
      if (!op.value->render(batch, event, text)) return;  // a field it names is missing
      batch.setField(event, keyOf(op.field), FieldValue::string(batch.arena().copy(text)));
      return;
    }
    case OpKind::kCopy: {
      const std::optional<FieldValue> value = op.from->read(batch, event);
      if (value) batch.setField(event, keyOf(op.field), *value);
      return;
    }
    case OpKind::kRename: {
      const int from = fieldIndex(event, keys_[op.from_key]);
      if (from < 0 || op.from_key == op.field) return;
      event.fields[from].key = keyOf(op.field);
      // What the new name held before is replaced.
      for (uint16_t i = 0; i < event.field_count; ++i) {
        if (static_cast<int>(i) != from && event.fields[i].key == keys_[op.field]) {
          removeAt(event, i);
          break;
        }
      }
      return;
    }
    case OpKind::kDelete: {
      const int i = fieldIndex(event, keys_[op.field]);
      if (i >= 0) removeAt(event, i);
      return;
    }
    case OpKind::kLowercase: {
      const int i = fieldIndex(event, keys_[op.field]);
      if (i < 0 || event.fields[i].value.kind != FieldValue::Kind::kString) return;
      std::string_view v = event.fields[i].value.string_value;
      size_t upper = 0;
      while (upper < v.size() && !(v[upper] >= 'A' && v[upper] <= 'Z')) ++upper;
      if (upper == v.size()) return;  // nothing to change, nothing to copy
      std::string_view copy = batch.arena().copy(v);
      char* out = const_cast<char*>(copy.data());
      for (size_t j = upper; j < copy.size(); ++j) {
        if (out[j] >= 'A' && out[j] <= 'Z') out[j] = static_cast<char>(out[j] + 32);
      }
      event.fields[i].value = FieldValue::string(copy);
      return;
    }
    case OpKind::kReplace: {
      const int i = op.message ? -1 : fieldIndex(event, keys_[op.field]);
      if (!op.message && (i < 0 || event.fields[i].value.kind != FieldValue::Kind::kString)) {
        return;
      }
      thread_local std::string text;
      text.assign(op.message ? event.message : event.fields[i].value.string_value);
      if (RE2::GlobalReplace(&text, *op.pattern, op.rewrite) == 0) return;
      const std::string_view replaced = batch.arena().copy(text);
      if (op.message) {
        event.message = replaced;
      } else {
        event.fields[i].value = FieldValue::string(replaced);
      }
      return;
    }
    case OpKind::kCoerce: {
      const int i = fieldIndex(event, keys_[op.field]);
      if (i < 0) return;
      FieldValue& value = event.fields[i].value;
      char buffer[32];
      switch (op.to) {
        case CoerceTo::kInt:
          if (value.kind == FieldValue::Kind::kDouble) {
            value = FieldValue::integer(static_cast<int64_t>(value.double_value));
          } else if (auto n = valueInteger(value)) {
            value = FieldValue::integer(*n);
          } else if (value.kind == FieldValue::Kind::kBool) {
            value = FieldValue::integer(value.bool_value ? 1 : 0);
          } else {
            ++coerce_failures;
          }
          return;
        case CoerceTo::kFloat:
          if (auto n = valueNumber(value)) {
            value = FieldValue::real(*n);
          } else {
            ++coerce_failures;
          }
          return;
        case CoerceTo::kBool:
          if (value.kind == FieldValue::Kind::kBool) return;
          if (auto b = parseBool(valueText(value, buffer))) {
            value = FieldValue::boolean(*b);
          } else {
            ++coerce_failures;
          }
          return;
        case CoerceTo::kTimestamp:
          // RFC 3339 in UTC, what every output and condition reads as a time.
          if (auto ns = valueTimestamp(value)) {
            char text[40];
            const size_t n = timestamp::formatRfc3339(*ns, text);
            value = FieldValue::string(batch.arena().copy(std::string_view(text, n)));
          } else {
            ++coerce_failures;
          }
          return;
      }
      return;
    }
  }
}

void Remap::process(Batch& batch, Emitter& out) {
  // A batch-wide field an operation names becomes each event's own first, so that the change is
  // per event like every other and no event ends up with the name twice.
  std::vector<Field>& shared = batch.sharedFields();
  for (size_t s = 0; s < shared.size();) {
    bool touched = false;
    for (const std::string& key : keys_) touched = touched || shared[s].key == key;
    if (!touched) {
      ++s;
      continue;
    }
    const Field field = shared[s];
    shared.erase(shared.begin() + static_cast<std::ptrdiff_t>(s));
    for (Event& event : batch.events()) {
      if (fieldIndex(event, field.key) < 0) batch.addField(event, field.key, field.value);
    }
  }
  std::vector<std::string_view> keys(keys_.size());
  uint64_t coerce_failures = 0;
  for (Event& event : batch.events()) {
    for (const Op& op : ops_) apply(op, batch, event, keys, coerce_failures);
  }
  if (coerce_failures != 0 && coerce_failures_ != nullptr) {
    coerce_failures_->Increment(static_cast<double>(coerce_failures));
  }
  out.emit(std::move(batch));
}

}  // namespace logship
