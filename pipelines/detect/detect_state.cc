// A detect rule's state as JSON: windows, sources' event times, and the offsets counted per source
// stream, so a restart goes on where the rule was and does not count an event twice.
#include <simdjson.h>

#include <algorithm>

#include "agent/support/json_writer.h"
#include "pipelines/detect/detect.h"

namespace logship {

namespace {

void appendTimes(std::string& out, const std::deque<int64_t>& times) {
  out.push_back('[');
  for (size_t i = 0; i < times.size(); ++i) {
    if (i) out.push_back(',');
    json::appendInt(out, times[i]);
  }
  out.push_back(']');
}

int64_t intOf(simdjson::dom::element e, std::string_view key, int64_t fallback) {
  int64_t v = 0;
  return e[key].get(v) ? fallback : v;
}

}  // namespace

std::string Detect::serialize() const {
  std::string out = "{\"version\":1,\"rule\":";
  json::appendString(out, fingerprint_);
  out += ",\"sources\":[";
  for (size_t i = 1; i < sources_.size(); ++i) {
    if (i > 1) out.push_back(',');
    out += "{\"name\":";
    json::appendString(out, sources_[i].name);
    out += ",\"stream\":" + std::to_string(sources_[i].stream) + ",\"newest\":";
    json::appendInt(out, sources_[i].newest);
    out.push_back('}');
  }
  out += "],\"counted\":[";
  bool first = true;
  for (const auto& [stream, c] : counted_) {
    if (!first) out.push_back(',');
    first = false;
    out += "{\"source\":";
    json::appendString(out, stream.first);
    out += ",\"stream\":" + std::to_string(stream.second) + ",\"to\":" + std::to_string(c.to) + "}";
  }
  out += "],\"groups\":[";
  first = true;
  for (const Group* g : lru_) {
    if (!first) out.push_back(',');
    first = false;
    out += "\n{\"key\":";
    json::appendString(out, g->key);
    out += ",\"values\":[";
    for (size_t i = 0; i < g->values.size(); ++i) {
      if (i) out.push_back(',');
      json::appendString(out, g->values[i]);
    }
    out += "],\"source\":";
    json::appendString(out, sources_[g->source].name);
    out += ",\"stream\":" + std::to_string(sources_[g->source].stream);
    out += ",\"hits\":[";
    for (size_t i = 0; i < g->hits.size(); ++i) {
      if (i) out.push_back(',');
      out.push_back('[');
      json::appendInt(out, g->hits[i].t);
      out.push_back(',');
      json::appendDouble(out, g->hits[i].amount);
      out.push_back(',');
      json::appendString(out, g->hits[i].value);
      out.push_back(']');
    }
    out += "],\"steps\":[";
    for (size_t i = 0; i < g->steps.size(); ++i) {
      if (i) out.push_back(',');
      appendTimes(out, g->steps[i]);
    }
    out += "],\"recent\":[";
    for (size_t i = 0; i < g->recent.size(); ++i) {
      if (i) out.push_back(',');
      out.push_back('[');
      json::appendInt(out, g->recent[i].first);
      out.push_back(',');
      json::appendDouble(out, g->recent[i].second);
      out.push_back(']');
    }
    out += "],\"seen\":[";
    bool first_seen = true;
    for (const auto& [value, when] : g->seen) {
      if (!first_seen) out.push_back(',');
      first_seen = false;
      out.push_back('[');
      json::appendString(out, value);
      out.push_back(',');
      json::appendInt(out, when);
      out.push_back(']');
    }
    out += "],\"samples\":[";
    for (size_t i = 0; i < g->samples.size(); ++i) {
      if (i) out.push_back(',');
      json::appendString(out, g->samples[i]);
    }
    out += "],\"has_value\":";
    out += g->has_value ? "true" : "false";
    out += ",\"value\":";
    json::appendDouble(out, g->value);
    for (const auto& [name, v] :
         {std::pair<const char*, int64_t>{"changed_at", g->changed_at},
          {"first_seen", g->first_seen}, {"last_event", g->last_event},
          {"last_fired", g->last_fired}, {"episode_start", g->episode_start},
          {"below_since", g->below_since}, {"deadline", g->deadline}}) {
      out += ",\"";
      out += name;
      out += "\":";
      json::appendInt(out, v);
    }
    out += ",\"firing\":";
    out += g->firing ? "true" : "false";
    out.push_back('}');
  }
  out += "\n]}\n";
  return out;
}

bool Detect::restore(std::string_view text, std::string* problem) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root)) {
    *problem = "not valid JSON";
    return false;
  }
  std::string_view rule;
  if (intOf(root, "version", 0) != 1 || root["rule"].get(rule)) {
    *problem = "unknown layout";
    return false;
  }
  if (rule != fingerprint_) {
    *problem = "saved by another version of the rule (its options changed)";
    return false;
  }
  simdjson::dom::array sources, counted, groups;
  if (root["sources"].get(sources) || root["counted"].get(counted) ||
      root["groups"].get(groups)) {
    *problem = "unknown layout";
    return false;
  }
  for (simdjson::dom::element s : sources) {
    std::string_view name;
    if (s["name"].get(name)) continue;
    uint64_t stream = 0;
    if (s["stream"].get(stream)) continue;
    sources_[sourceIndex(name, stream)].newest = intOf(s, "newest", kNone);
  }
  for (simdjson::dom::element c : counted) {
    std::string_view source;
    uint64_t stream = 0, to = 0;
    if (c["source"].get(source) || c["stream"].get(stream) || c["to"].get(to)) continue;
    counted_[{std::string(source), stream}] = Counted{to, 0};
    counted_before_[{std::string(source), stream}] = to;
  }
  // The armed whole-input group of absence mode is replaced by its saved self.
  groups_.clear();
  lru_.clear();
  for (simdjson::dom::element e : groups) {
    std::string_view key, source;
    if (e["key"].get(key) || e["source"].get(source)) continue;
    auto [it, inserted] = groups_.emplace(std::string(key), Group{});
    if (!inserted) continue;
    Group& g = it->second;
    g.key = key;
    uint64_t stream = 0;
    if (e["stream"].get(stream)) stream = 0;
    g.source = source.empty() ? 0 : sourceIndex(source, stream);
    simdjson::dom::array list;
    if (!e["values"].get(list)) {
      for (simdjson::dom::element v : list) g.values.emplace_back(std::string_view(v));
    }
    if (!e["hits"].get(list)) {
      for (simdjson::dom::element h : list) {
        simdjson::dom::array triple = h;
        Hit hit{int64_t(triple.at(0)), double(triple.at(1)), std::string(std::string_view(triple.at(2)))};
        if (distinct_) ++g.distinct[hit.value];
        g.sum += hit.amount;
        g.hits.push_back(std::move(hit));
      }
    }
    if (!e["steps"].get(list)) {
      for (simdjson::dom::element step : list) {
        auto& times = g.steps.emplace_back();
        for (simdjson::dom::element t : simdjson::dom::array(step)) times.push_back(int64_t(t));
      }
    }
    if (mode_ == Mode::kSequence) g.steps.resize(steps_.size());
    if (!e["recent"].get(list)) {
      for (simdjson::dom::element r : list) {
        simdjson::dom::array pair = r;
        g.recent.emplace_back(int64_t(pair.at(0)), double(pair.at(1)));
      }
    }
    if (!e["seen"].get(list)) {
      for (simdjson::dom::element r : list) {
        simdjson::dom::array pair = r;
        g.seen.emplace(std::string(std::string_view(pair.at(0))), int64_t(pair.at(1)));
      }
    }
    if (!e["samples"].get(list)) {
      for (simdjson::dom::element v : list) g.samples.emplace_back(std::string_view(v));
    }
    bool flag = false;
    g.has_value = !e["has_value"].get(flag) && flag;
    double value = 0;
    if (!e["value"].get(value)) g.value = value;
    g.changed_at = intOf(e, "changed_at", kNone);
    g.first_seen = intOf(e, "first_seen", kNone);
    g.last_event = intOf(e, "last_event", kNone);
    g.last_fired = intOf(e, "last_fired", kNone);
    g.episode_start = intOf(e, "episode_start", kNone);
    g.below_since = intOf(e, "below_since", kNone);
    g.firing = !e["firing"].get(flag) && flag;
    g.lru = lru_.insert(lru_.end(), &g);  // saved most recent first
    setDeadline(g, intOf(e, "deadline", kNever));
  }
  while (groups_.size() > max_groups_) evictOldest();
  return true;
}

}  // namespace logship
