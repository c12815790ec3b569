#include "outputs/webhook/webhook_encoder.h"

#include <algorithm>

#include "agent/support/json_writer.h"
#include "outputs/common/template.h"
#include "agent/support/timestamp.h"

namespace logship {
namespace {

bool isGroupKey(std::string_view key) {
  for (std::string_view prefix : {"event.", "rule.", "alert.", "log."}) {
    if (key.starts_with(prefix)) return false;
  }
  return key != "message" && key != "tier" && key != "correlation_id" && key != "@timestamp";
}

// Sets `name` in `pairs`: adds it, or when present replaces its value if `replace`.
void put(std::vector<std::pair<std::string, std::string>>& pairs, std::string name,
         std::string value, bool replace) {
  for (auto& [n, v] : pairs) {
    if (n != name) continue;
    if (replace) v = std::move(value);
    return;
  }
  pairs.emplace_back(std::move(name), std::move(value));
}

std::string textOf(const Field* f) {
  std::string out;
  if (f != nullptr) appendFieldText(f->value, out);
  return out;
}

std::string fingerprintOf(const std::vector<std::pair<std::string, std::string>>& labels) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
    h ^= 0xff;  // a separator no UTF-8 text contains
    h *= 0x100000001b3ull;
  };
  for (auto& [name, value] : labels) {
    mix(name);
    mix(value);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) out[i] = kHex[(h >> (60 - 4 * i)) & 15];
  return out;
}

void appendPairs(const std::vector<std::pair<std::string, std::string>>& pairs, std::string& out) {
  out.push_back('{');
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i) out.push_back(',');
    json::appendString(out, pairs[i].first);
    out.push_back(':');
    json::appendString(out, pairs[i].second);
  }
  out.push_back('}');
}

}  // namespace

std::string sanitizeLabelName(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(out.begin(), '_');
  return out;
}

bool alertFromEvent(const Batch& batch, const Event& event, AlertInfo* out) {
  const Field* kind = batch.findField(event, "event.kind");
  bool is_alert = (event.flags & Event::kAlert) ||
                  (kind != nullptr && kind->value.kind == FieldValue::Kind::kString &&
                   kind->value.string_value == "alert");
  if (!is_alert) return false;
  AlertInfo a;
  std::string rule = textOf(batch.findField(event, "rule.name"));
  a.labels.emplace_back("alertname", rule.empty() ? "logship" : rule);
  a.severity = event.severity;
  if (a.severity == Severity::kUnset) {
    a.severity = severityFromName(textOf(batch.findField(event, "log.level")));
  }
  if (a.severity != Severity::kUnset) a.labels.emplace_back("severity", toString(a.severity));
  for (uint16_t i = 0; i < event.field_count; ++i) {
    const Field& f = event.fields[i];
    if (!isGroupKey(f.key)) continue;
    std::string name = sanitizeLabelName(f.key);
    std::string value;
    appendFieldText(f.value, value);
    if (value.empty() || name == "alertname" || name == "severity") continue;
    put(a.labels, std::move(name), std::move(value), false);
  }
  // The rule's own labels and annotations (detect's `labels:` and `annotations:`) win.
  std::vector<std::pair<std::string, std::string>> rule_annotations;
  std::string samples;
  for (uint16_t i = 0; i < event.field_count; ++i) {
    const Field& f = event.fields[i];
    if (f.key.starts_with("alert.labels.")) {
      std::string name = sanitizeLabelName(f.key.substr(13));
      if (name != "alertname") put(a.labels, std::move(name), textOf(&f), true);
    } else if (f.key.starts_with("alert.annotations.")) {
      rule_annotations.emplace_back(std::string(f.key.substr(18)), textOf(&f));
    } else if (f.key.starts_with("alert.sample.")) {
      if (!samples.empty()) samples.push_back('\n');
      samples += textOf(&f);
    }
  }
  std::sort(a.labels.begin(), a.labels.end());
  a.fingerprint = fingerprintOf(a.labels);

  a.annotations.emplace_back("summary", std::string(event.message));
  std::string count = textOf(batch.findField(event, "event.count"));
  std::string window = textOf(batch.findField(event, "alert.window"));
  std::string mode = textOf(batch.findField(event, "alert.mode"));
  if (!count.empty() && (mode.empty() || mode == "threshold")) {
    std::string d = count + " matching events";
    if (!window.empty()) d += " within " + window;
    if (!rule.empty()) d += " (rule " + rule + ")";
    a.annotations.emplace_back("description", std::move(d));
  }
  if (!samples.empty()) a.annotations.emplace_back("samples", std::move(samples));
  for (auto& [name, value] : rule_annotations) put(a.annotations, name, std::move(value), true);
  std::sort(a.annotations.begin(), a.annotations.end());

  a.starts_at = textOf(batch.findField(event, "event.start"));
  if (a.starts_at.empty()) {
    char buf[40];
    a.starts_at.assign(buf, timestamp::formatRfc3339(event.timestamp_ns, buf));
  }
  a.resolved = textOf(batch.findField(event, "event.type")) == "end";
  *out = std::move(a);
  return true;
}

void addAlertRecord(const AlertInfo& alert, std::string_view body, Batch& out) {
  Event& e = out.events().emplace_back();
  e.message = out.arena().copy(body);
  e.severity = alert.severity;
  e.flags = Event::kAlert;
  auto add = [&](std::string_view prefix, std::string_view name, std::string_view value) {
    std::string key(prefix);
    key += name;
    out.addField(e, out.arena().copy(key), FieldValue::string(out.arena().copy(value)));
  };
  for (auto& [name, value] : alert.labels) add("labels.", name, value);
  for (auto& [name, value] : alert.annotations) add("annotations.", name, value);
  add("alert.", "starts_at", alert.starts_at);
  add("alert.", "fingerprint", alert.fingerprint);
  out.addField(e, "alert.resolved", FieldValue::boolean(alert.resolved));
}

AlertInfo alertFromRecord(const Batch& batch, const Event& event) {
  AlertInfo a;
  a.severity = event.severity;
  for (uint16_t i = 0; i < event.field_count; ++i) {
    const Field& f = event.fields[i];
    const std::string_view text = f.value.string_value;
    if (f.key.starts_with("labels.")) {
      a.labels.emplace_back(std::string(f.key.substr(7)), std::string(text));
    } else if (f.key.starts_with("annotations.")) {
      a.annotations.emplace_back(std::string(f.key.substr(12)), std::string(text));
    } else if (f.key == "alert.starts_at") {
      a.starts_at = text;
    } else if (f.key == "alert.fingerprint") {
      a.fingerprint = text;
    } else if (f.key == "alert.resolved") {
      a.resolved = f.value.bool_value;
    }
  }
  return a;
}

void appendAlertmanagerAlert(const AlertInfo& alert, std::string_view ends_at,
                             std::string_view generator_url, std::string& out) {
  out.append("{\"labels\":");
  appendPairs(alert.labels, out);
  out.append(",\"annotations\":");
  appendPairs(alert.annotations, out);
  out.append(",\"startsAt\":");
  json::appendString(out, alert.starts_at);
  if (!ends_at.empty()) {
    out.append(",\"endsAt\":");
    json::appendString(out, ends_at);
  }
  if (!generator_url.empty()) {
    out.append(",\"generatorURL\":");
    json::appendString(out, generator_url);
  }
  out.push_back('}');
}

void appendJsonAlert(const AlertInfo& alert, std::string_view ends_at, std::string& out) {
  out.append("{\"status\":");
  json::appendString(out, alert.resolved ? "resolved" : "firing");
  out.append(",\"fingerprint\":");
  json::appendString(out, alert.fingerprint);
  out.append(",\"labels\":");
  appendPairs(alert.labels, out);
  out.append(",\"annotations\":");
  appendPairs(alert.annotations, out);
  out.append(",\"startsAt\":");
  json::appendString(out, alert.starts_at);
  if (!ends_at.empty()) {
    out.append(",\"endsAt\":");
    json::appendString(out, ends_at);
  }
  out.push_back('}');
}

void renderJsonTemplate(std::string_view text, const Batch& batch, const Event& event,
                        std::string& out) {
  OutputTemplate field;
  std::string value;
  std::string error;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    if (open == std::string_view::npos) break;
    size_t close = text.find('}', open + 1);
    if (close == std::string_view::npos) break;
    std::string_view name = text.substr(open + 1, close - open - 1);
    bool is_field = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '.' || c == '@';
    });
    if (!is_field) {
      out.append(text.substr(i, open + 1 - i));
      i = open + 1;
      continue;
    }
    out.append(text.substr(i, open - i));
    value.clear();
    if (field.compile(text.substr(open, close - open + 1), false, &error)) {
      field.render(batch, event, value);
    }
    std::string quoted;
    json::appendString(quoted, value);
    out.append(quoted, 1, quoted.size() - 2);
    i = close + 1;
  }
  out.append(text.substr(i));
}

}  // namespace logship
