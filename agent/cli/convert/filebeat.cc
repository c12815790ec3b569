// Filebeat's filebeat.yml (inputs, modules system/auth+syslog, processors, outputs) as a logship
// pipeline. Filebeat settings may be written nested or with dotted keys (multiline.pattern);
// setting() reads both.
#include <algorithm>
#include <optional>

#include "agent/cli/convert/converters.h"

namespace logship::convert {

namespace {

// A node that tests false; a fresh one each time, since assigning to a node writes through it.
YAML::Node missing() { return YAML::Node(YAML::NodeType::Undefined); }

// The value at a dotted path, whether the file nests it or writes the dots in keys.
YAML::Node setting(const YAML::Node& node, const std::string& dotted) {
  if (!node || !node.IsMap()) return missing();
  if (node[dotted]) return node[dotted];
  for (size_t dot = dotted.find('.'); dot != std::string::npos; dot = dotted.find('.', dot + 1)) {
    const YAML::Node head = node[dotted.substr(0, dot)];
    if (head && head.IsMap()) {
      YAML::Node found = setting(head, dotted.substr(dot + 1));
      if (found) return found;
    }
  }
  return missing();
}

// The settings under `prefix` as one map, gathered from a nested map and from dotted keys
// (multiline: {pattern: x} and multiline.pattern: x); missing when there are none.
YAML::Node section(const YAML::Node& node, const std::string& prefix) {
  YAML::Node out(YAML::NodeType::Map);
  bool found = false;
  for (const auto& it : node) {
    const std::string key = it.first.as<std::string>();
    if (key == prefix && it.second.IsMap()) {
      for (const auto& sub : it.second) out[sub.first] = sub.second;
      found = true;
    } else if (key.starts_with(prefix + ".")) {
      out[key.substr(prefix.size() + 1)] = it.second;
      found = true;
    }
  }
  return found ? out : missing();
}

std::vector<std::string> strings(const YAML::Node& node) {
  std::vector<std::string> out;
  if (!node) return out;
  if (node.IsSequence()) {
    for (const YAML::Node& n : node) out.push_back(n.as<std::string>());
  } else if (node.IsScalar()) {
    out.push_back(node.as<std::string>());
  }
  return out;
}

// Beats format strings: %{[field]} -> {field}, %{+yyyy.MM.dd} -> %Y.%m.%d.
std::string beatsTemplate(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "%{") != 0) {
      out += text[i++];
      continue;
    }
    size_t close = text.find('}', i);
    if (close == std::string::npos) {
      out += text.substr(i);
      break;
    }
    std::string inner = text.substr(i + 2, close - i - 2);
    if (inner.starts_with("+")) {
      std::string date = inner.substr(1);
      for (auto [joda, directive] :
           {std::pair{"yyyy", "%Y"}, {"MM", "%m"}, {"dd", "%d"}, {"HH", "%H"}}) {
        for (size_t at = date.find(joda); at != std::string::npos; at = date.find(joda)) {
          date.replace(at, std::string(joda).size(), directive);
        }
      }
      out += date;
    } else {
      if (inner.starts_with("[") && inner.ends_with("]")) inner = inner.substr(1, inner.size() - 2);
      out += "{" + inner + "}";
    }
    i = close + 1;
  }
  return out;
}

class Filebeat {
 public:
  Filebeat(std::string file, PipelineBuilder& out) : file_(std::move(file)), out_(out) {}

  void convert(const YAML::Node& root) {
    // Top-level settings, nested ones ("output: {elasticsearch: ...}") read as dotted names.
    std::vector<std::pair<std::string, std::pair<YAML::Node, YAML::Node>>> settings;
    for (const auto& it : root) {
      const std::string key = it.first.as<std::string>();
      if ((key == "filebeat" || key == "output" || key == "path") && it.second.IsMap()) {
        for (const auto& sub : it.second) {
          settings.push_back({key + "." + sub.first.as<std::string>(), {sub.first, sub.second}});
        }
      } else {
        settings.push_back({key, {it.first, it.second}});
      }
    }
    std::vector<std::pair<std::string, std::pair<YAML::Node, YAML::Node>>> outputs;
    YAML::Node processors;
    for (auto& [key, nodes] : settings) {
      const auto& [key_node, value] = nodes;
      const Where w = at(key_node, key);
      if (key == "filebeat.inputs") {
        for (size_t i = 0; i < count(value); ++i) {
          input(value[i], key + "[" + std::to_string(i) + "]");
        }
      } else if (key == "filebeat.modules") {
        for (size_t i = 0; i < count(value); ++i) {
          module(value[i], key + "[" + std::to_string(i) + "]");
        }
      } else if (key == "processors") {
        processors.reset(value);
      } else if (key.starts_with("output.")) {
        outputs.push_back({key, nodes});
      } else if (key == "path.data") {
        out_.setGlobal("data_dir", YAML::Node(value.as<std::string>()), w);
        out_.note(w, "Filebeat's registry is not imported: logship keeps its own positions");
      } else if (key == "name") {
        out_.note(w, "logship names the host host.name from the system (LOGSHIP_HOST_NAME)");
      } else if (key.starts_with("setup.") || key == "setup" || key.starts_with("logging") ||
                 key.starts_with("monitoring") || key.starts_with("http")) {
        out_.note(w,
                  "no pipeline setting: logship logs to stderr and serves its metrics on the "
                  "admin address");
      } else {
        out_.notTranslated(w, "no logship equivalent");
      }
    }
    if (processors) {
      Chain all{heads_};
      processorList(processors, "processors", "processors", all);
      heads_ = all.heads;
    }
    for (auto& [key, nodes] : outputs) output(key, nodes.first, nodes.second);
    if (outputs.empty()) out_.notTranslated(Where{file_, 1, 1, "output"}, "no output");
  }

 private:
  struct Chain {
    std::vector<std::string> heads;
  };

  Where at(const YAML::Node& node, const std::string& path) const {
    return whereOf(file_, node, path);
  }

  std::string add(const std::string& base, const Where& w, const YAML::Node& t, Chain& chain) {
    const std::string id = out_.addTransform(base, w, t, chain.heads);
    chain.heads = {id};
    return id;
  }

  static YAML::Node component(const char* type) {
    YAML::Node n(YAML::NodeType::Map);
    n["type"] = type;
    return n;
  }

  // --- inputs ---

  void input(const YAML::Node& in, const std::string& path) {
    const std::string type = in["type"].as<std::string>("log");
    const std::string name = in["id"].as<std::string>(type);
    const Where w = at(in, path);
    if (!in["enabled"].as<bool>(true)) {
      out_.note(w, "disabled input left out");
      return;
    }
    Chain chain;
    std::vector<std::string> handled = {"type",       "id",     "enabled",           "paths",
                                        "processors", "fields", "fields_under_root", "tags"};
    if (type == "filestream" || type == "log" || type == "container") {
      YAML::Node src = component("file");
      src["include"] = list(strings(in["paths"]));
      if (in["exclude_files"]) {
        std::vector<std::string> globs;
        for (const std::string& re : strings(in["exclude_files"])) {
          // The common suffix form, '\.gz$', is a glob; other expressions are not.
          if (re.size() > 3 && re.starts_with("\\.") && re.ends_with("$") &&
              re.find_first_of("\\^$.|?*+()[]{}", 2) == re.size() - 1) {
            globs.push_back("*." + re.substr(2, re.size() - 3));
          } else {
            out_.notTranslated(at(in["exclude_files"], path + ".exclude_files"),
                               "exclude is a list of globs; '" + re + "' is no suffix glob");
          }
        }
        if (!globs.empty()) src["exclude"] = list(globs);
      }
      if (type == "container") {
        std::string format = in["format"].as<std::string>("auto");
        if (format == "docker") {
          out_.notTranslated(w, "Docker's json-file logs: logship reads CRI (containerd, CRI-O)");
        } else {
          src["format"] = "cri";
          if (format == "auto") out_.note(w, "read as CRI lines (format: cri)");
        }
      }
      YAML::Node multiline = section(in, "multiline");
      for (const YAML::Node& parser : in["parsers"]) {
        if (parser["multiline"]) multiline.reset(parser["multiline"]);
      }
      if (multiline) multilineOf(multiline, path + ".multiline", src);
      if (setting(in, "tail_files").as<bool>(false)) src["start_at"] = "end";
      chain.heads = {out_.addSource(name, w, src)};
      handled.insert(
          handled.end(),
          {"exclude_files", "multiline", "format", "stream", "exclude_lines", "include_lines",
           "parsers", "json", "tail_files", "prospector", "close_inactive", "scan_frequency"});
      if (type == "container" && in["stream"].as<std::string>("all") != "all") {
        YAML::Node f = component("filter");
        f["when"]["field"] = "stream";
        f["when"]["equals"] = in["stream"].as<std::string>();
        add(name + "_stream", w, f, chain);
      }
      for (const YAML::Node& parser : in["parsers"]) {
        if (parser["ndjson"]) {
          ndjson(parser["ndjson"], path + ".parsers.ndjson", name, true, chain);
        } else if (!parser["multiline"]) {
          out_.notTranslated(at(parser, path + ".parsers"), "only ndjson and multiline parsers");
        }
      }
      if (YAML::Node json = section(in, "json"); json) {
        ndjson(json, path + ".json", name, false, chain);
      }
      lineFilter(in, "include_lines", "keep", path, name, chain);
      lineFilter(in, "exclude_lines", "drop", path, name, chain);
      for (const char* key : {"close_inactive", "scan_frequency", "prospector"}) {
        if (setting(in, key)) {
          out_.note(at(setting(in, key), path + "." + key),
                    "logship follows files by identity and rescans every glob_interval");
        }
      }
    } else if (type == "journald") {
      YAML::Node src = component("journald");
      YAML::Node matches = setting(in, "include_matches.match");
      if (!matches) matches.reset(in["include_matches"]);
      std::vector<std::string> units;
      for (const std::string& m : strings(matches)) {
        if (m.starts_with("_SYSTEMD_UNIT=")) {
          units.push_back(m.substr(14));
        } else {
          out_.notTranslated(at(matches, path + ".include_matches"),
                             "journald matches other than _SYSTEMD_UNIT: " + m);
        }
      }
      if (!units.empty()) src["units"] = list(units);
      if (in["paths"]) src["directory"] = strings(in["paths"])[0];
      if (in["seek"])
        src["start_at"] = in["seek"].as<std::string>() == "head" ? "beginning" : "end";
      chain.heads = {out_.addSource(name, w, src)};
      handled.insert(handled.end(), {"include_matches", "seek"});
    } else if (type == "syslog" || type == "tcp" || type == "udp") {
      YAML::Node src = component("syslog");
      std::string mode = "udp";
      YAML::Node proto = section(in, "protocol.udp");
      if (!proto) {
        proto.reset(section(in, "protocol.tcp"));
        mode = "tcp";
      }
      if (type != "syslog") {
        proto.reset(in);
        mode = type;
        out_.note(w, "read as syslog lines");
      }
      src["address"] = ipListenAddress(setting(proto, "host").as<std::string>("localhost:9000"));
      src["mode"] = mode;
      chain.heads = {syslogBodyAsMessage(out_, out_.addSource(name, w, src), w)};
      handled.insert(handled.end(), {"protocol", "protocol.udp", "protocol.tcp", "host", "format",
                                     "max_message_size"});
    } else {
      out_.notTranslated(w, "no logship source reads input type " + type);
      return;
    }
    for (const auto& it : in) {
      const std::string key = it.first.as<std::string>();
      std::string top = key.substr(0, key.find('.'));
      if (std::find(handled.begin(), handled.end(), key) == handled.end() &&
          std::find(handled.begin(), handled.end(), top) == handled.end()) {
        out_.notTranslated(at(it.first, path + "." + key), "no logship option does this");
      }
    }
    fields(in, path, name, chain);
    if (in["processors"]) processorList(in["processors"], path + ".processors", name, chain);
    heads_.insert(heads_.end(), chain.heads.begin(), chain.heads.end());
  }

  void multilineOf(const YAML::Node& m, const std::string& path, YAML::Node& src) {
    const Where w = at(m["pattern"], path + ".pattern");
    if (m["type"] && m["type"].as<std::string>() != "pattern") {
      out_.notTranslated(w, "only multiline type pattern");
      return;
    }
    std::string unsupported;
    const std::string pattern = toRe2(m["pattern"].as<std::string>(""), unsupported);
    if (!unsupported.empty()) {
      out_.notTranslated(w, "RE2 lacks " + unsupported);
      return;
    }
    const bool negate = m["negate"].as<bool>(false);
    if (m["match"].as<std::string>("after") != "after") {
      out_.notTranslated(w, "match: before (a line joined to the next) has no logship equivalent");
      return;
    }
    // negate + after: a matching line starts an event; plain after: matching lines continue one.
    YAML::Node out(YAML::NodeType::Map);
    out[negate ? "start" : "continue"] = pattern;
    if (m["max_lines"]) out["max_lines"] = m["max_lines"].as<int>();
    if (m["timeout"]) out["timeout"] = m["timeout"].as<std::string>();
    src["multiline"] = out;
  }

  // The log input's json.* (keys under "json" unless keys_under_root) or filestream's ndjson parser
  // (keys at the root unless a target is given).
  void ndjson(const YAML::Node& j, const std::string& path, const std::string& name,
              bool under_root_by_default, Chain& chain) {
    // A section gathered from dotted keys has no place of its own: its first value's is used.
    const YAML::Node first = j.IsMap() && j.size() > 0 ? j.begin()->second : j;
    if (j.IsMap()) {
      const std::string target = j["target"].as<std::string>("");
      if (!target.empty() || !j["keys_under_root"].as<bool>(under_root_by_default)) {
        out_.notTranslated(at(first, path),
                           "parse_json writes the members as top-level fields, "
                           "not under a target");
      }
      const std::string key = j["message_key"].as<std::string>("message");
      if (key != "message" && key != "msg") {
        out_.note(at(j["message_key"], path + ".message_key"),
                  "parse_json takes msg or message as the message");
      }
    }
    out_.note(at(first, path),
              "members msg or message become the message, level the log.level "
              "(normalised), time, ts or timestamp the time");
    YAML::Node t = component("parse_json");
    add(name + "_json", at(first, path), t, chain);
  }

  void lineFilter(const YAML::Node& in, const char* key, const char* action,
                  const std::string& path, const std::string& name, Chain& chain) {
    if (!in[key]) return;
    YAML::Node f = component("filter");
    f["action"] = action;
    YAML::Node any(YAML::NodeType::Map);
    for (const std::string& re : strings(in[key])) {
      std::string unsupported;
      YAML::Node c(YAML::NodeType::Map);
      c["field"] = "message";
      c["matches"] = toRe2(re, unsupported);
      if (!unsupported.empty()) {
        out_.notTranslated(at(in[key], path + "." + key), "RE2 lacks " + unsupported);
        return;
      }
      any["any"].push_back(c);
    }
    f["when"] = any["any"].size() == 1 ? any["any"][0] : any;
    add(name + "_" + key, at(in[key], path + "." + key), f, chain);
  }

  void fields(const YAML::Node& in, const std::string& path, const std::string& name,
              Chain& chain) {
    if (!in["fields"] && !in["tags"]) return;
    YAML::Node t = component("remap");
    const bool root = in["fields_under_root"].as<bool>(false);
    for (const auto& it : in["fields"]) {
      flatten(root ? "" : "fields", it.first.as<std::string>(), it.second, t);
    }
    if (in["tags"]) {
      std::string joined;
      for (const std::string& tag : strings(in["tags"]))
        joined += (joined.empty() ? "" : ",") + tag;
      t["set"]["tags"] = joined;
      out_.note(at(in["tags"], path + ".tags"), "tags is one comma-separated text field");
    }
    add(name + "_fields", at(in["fields"] ? in["fields"] : in["tags"], path + ".fields"), t, chain);
  }

  // Nested field maps as dotted names set by the remap `t`: {a: {b: 1}} under "fields" sets
  // fields.a.b; unquoted numbers and booleans are coerced, so that they stay numbers and booleans.
  static void flatten(const std::string& prefix, const std::string& key, const YAML::Node& value,
                      YAML::Node t) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (value.IsMap()) {
      for (const auto& it : value) flatten(name, it.first.as<std::string>(), it.second, t);
      return;
    }
    if (!value.IsScalar()) {
      t["set"][name] = flowYaml(value);
      return;
    }
    const std::string text = value.as<std::string>();
    t["set"][name] = text;
    if (value.Tag() != "?") return;  // quoted: text as written
    int64_t integer = 0;
    double real = 0;
    bool flag = false;
    if (YAML::convert<int64_t>::decode(value, integer)) {
      t["coerce"][name] = "int";
    } else if (YAML::convert<double>::decode(value, real)) {
      t["coerce"][name] = "float";
    } else if (YAML::convert<bool>::decode(value, flag)) {
      t["coerce"][name] = "bool";
    }
  }

  // --- modules ---

  void module(const YAML::Node& m, const std::string& path) {
    const std::string name = m["module"].as<std::string>("");
    if (name != "system") {
      out_.notTranslated(at(m, path), "module " + name +
                                          ": only the system module (auth, syslog) "
                                          "has logship parsers");
      return;
    }
    struct Fileset {
      const char* name;
      std::vector<std::string> paths;
      const char* parser;
    };
    for (const Fileset& fs :
         {Fileset{"syslog", {"/var/log/messages*", "/var/log/syslog*"}, "parse_syslog"},
          Fileset{"auth", {"/var/log/auth.log*", "/var/log/secure*"}, "parse_auth"}}) {
      const YAML::Node set = m[fs.name];
      if (!set || !setting(set, "enabled").as<bool>(true)) continue;
      const std::string p = path + "." + fs.name;
      YAML::Node src = component("file");
      std::vector<std::string> paths = strings(setting(set, "var.paths"));
      src["include"] = list(paths.empty() ? fs.paths : paths);
      src["exclude"] = list({"*.gz"});
      Chain chain{{out_.addSource(std::string("system_") + fs.name, at(set, p), src)}};
      add(std::string("system_") + fs.name + "_parse", at(set, p), component(fs.parser), chain);
      out_.note(at(set, p), std::string("the fileset's ingest pipeline is replaced by ") +
                                fs.parser +
                                ", which writes ECS fields of its own (event.action, user.name, "
                                "source.ip, ...)");
      heads_.insert(heads_.end(), chain.heads.begin(), chain.heads.end());
    }
  }

  // --- processors and their conditions ---

  std::optional<YAML::Node> condition(const YAML::Node& c, const std::string& path) {
    if (!c || !c.IsMap() || c.size() != 1) {
      out_.notTranslated(at(c, path), "a condition is a map of one operator");
      return std::nullopt;
    }
    const std::string op = c.begin()->first.as<std::string>();
    const YAML::Node args = c.begin()->second;
    const std::string p = path + "." + op;
    std::vector<YAML::Node> all;
    if (op == "or" || op == "and") {
      YAML::Node out(YAML::NodeType::Map);
      for (size_t i = 0; i < count(args); ++i) {
        auto inner = condition(args[i], p + "[" + std::to_string(i) + "]");
        if (!inner) return std::nullopt;
        out[op == "or" ? "any" : "all"].push_back(*inner);
      }
      return out;
    }
    if (op == "not") {
      auto inner = condition(args, p);
      if (!inner) return std::nullopt;
      YAML::Node out(YAML::NodeType::Map);
      out["not"] = *inner;
      return out;
    }
    if (op == "has_fields") {
      for (const std::string& f : strings(args)) {
        YAML::Node one(YAML::NodeType::Map);
        one["field"] = f;
        one["exists"] = true;
        all.push_back(one);
      }
    } else if (op == "equals" || op == "contains" || op == "regexp" || op == "network" ||
               op == "range") {
      for (const auto& it : args) {
        YAML::Node one(YAML::NodeType::Map);
        one["field"] = it.first.as<std::string>();
        const std::string value = it.second.IsScalar() ? it.second.as<std::string>() : "";
        if (op == "equals") {
          one["equals"] = value;
        } else if (op == "contains") {
          one["matches"] = quoteRegex(value);
        } else if (op == "regexp") {
          one["matches"] = value;
        } else if (op == "network") {
          for (const std::string& net : strings(it.second)) {
            if (net.find('/') == std::string::npos) {
              out_.notTranslated(at(it.first, p), "named networks (" + net + "): give CIDRs");
              return std::nullopt;
            }
          }
          one["cidr"] = list(strings(it.second));
        } else {
          for (const auto& bound : it.second) {
            const std::string b = bound.first.as<std::string>();
            if (b != "gte" && b != "lte") {
              out_.notTranslated(at(bound.first, p), "conditions have gte and lte, not " + b);
              return std::nullopt;
            }
            one[b] = bound.second.as<std::string>();
          }
        }
        all.push_back(one);
      }
    } else {
      out_.notTranslated(at(c, path), "no logship condition does " + op);
      return std::nullopt;
    }
    if (all.size() == 1) return all[0];
    YAML::Node out(YAML::NodeType::Map);
    for (YAML::Node& one : all) out["all"].push_back(one);
    return out;
  }

  void processorList(const YAML::Node& list, const std::string& path, const std::string& name,
                     Chain& chain) {
    for (size_t i = 0; i < count(list); ++i) {
      const YAML::Node& item = list[i];
      const std::string p = path + "[" + std::to_string(i) + "]";
      if (!item || !item.IsMap() || item.size() != 1) {
        out_.notTranslated(at(item, p), "a processor is a map of one processor name");
        continue;
      }
      const std::string kind = item.begin()->first.as<std::string>();
      processor(kind, item.begin()->second, p + "." + kind, at(item.begin()->first, p + "." + kind),
                name, chain);
    }
  }

  void processor(const std::string& kind, const YAML::Node& p, const std::string& path,
                 const Where& w, const std::string& name, Chain& chain) {
    if (p["when"] && kind != "drop_event") {
      out_.notTranslated(at(p["when"], path + ".when"),
                         "only drop_event takes a condition in logship (route events first)");
      return;
    }
    const std::string base = name + "_" + kind;
    if (kind == "add_fields") {
      YAML::Node t = component("remap");
      const std::string target = p["target"].as<std::string>("fields");
      for (const auto& it : p["fields"]) {
        flatten(target, it.first.as<std::string>(), it.second, t);
      }
      add(base, w, t, chain);
    } else if (kind == "drop_fields") {
      YAML::Node t = component("remap");
      t["delete"] = list(strings(p["fields"]));
      add(base, w, t, chain);
    } else if (kind == "rename") {
      YAML::Node t = component("remap");
      for (const YAML::Node& f : p["fields"]) {
        t["rename"][f["from"].as<std::string>()] = f["to"].as<std::string>();
      }
      add(base, w, t, chain);
    } else if (kind == "drop_event") {
      auto when = condition(p["when"], path + ".when");
      if (!when) return;
      YAML::Node f = component("filter");
      f["action"] = "drop";
      f["when"] = *when;
      add(base, w, f, chain);
    } else if (kind == "decode_json_fields") {
      if (!p["target"] || p["target"].as<std::string>() != "") {
        out_.note(w, "the members become top-level fields (target: \"\")");
      }
      for (const std::string& field : strings(p["fields"])) {
        YAML::Node t = component("parse_json");
        if (field != "message") t["field"] = field;
        add(base, w, t, chain);
      }
    } else if (kind == "dissect") {
      dissect(p, path, w, base, chain);
    } else if (kind == "add_host_metadata") {
      out_.note(w, "logship sets host.name; the other host.* fields are not added");
    } else {
      out_.notTranslated(w, "no logship transform does the " + kind + " processor");
    }
  }

  // %{key} fields between literal delimiters as a parse_regex pattern.
  void dissect(const YAML::Node& p, const std::string& path, const Where& w,
               const std::string& base, Chain& chain) {
    const std::string tokenizer = p["tokenizer"].as<std::string>("");
    const std::string prefix = p["target_prefix"].as<std::string>("dissect");
    std::string pattern = "^";
    size_t i = 0;
    while (i < tokenizer.size()) {
      size_t open = tokenizer.find("%{", i);
      pattern += quoteRegex(tokenizer.substr(i, open == std::string::npos ? open : open - i));
      if (open == std::string::npos) break;
      size_t close = tokenizer.find('}', open);
      std::string key = tokenizer.substr(open + 2, close - open - 2);
      const bool last = close + 1 == tokenizer.size();
      if (key.empty() || key[0] == '?') {
        pattern += last ? ".*" : ".*?";
      } else if (key.find_first_of("+&*/-> ") != std::string::npos || key[0] == '+') {
        out_.notTranslated(w,
                           "dissect modifiers (%{+key}, %{&key}, %{*key}, ->) have no "
                           "parse_regex equivalent");
        return;
      } else {
        std::string group = prefix.empty() ? key : prefix + "." + key;
        for (size_t d = group.find('.'); d != std::string::npos; d = group.find('.', d)) {
          group.replace(d, 1, "__");
        }
        pattern += "(?P<" + group + ">" + (last ? ".*" : ".*?") + ")";
      }
      i = close + 1;
    }
    pattern += "$";
    YAML::Node t = component("parse_regex");
    t["patterns"] = list({pattern});
    const std::string field = p["field"].as<std::string>("message");
    if (field != "message") t["field"] = field;
    add(base, w, t, chain);
  }

  // --- outputs ---

  void output(const std::string& key, const YAML::Node& key_node, const YAML::Node& o) {
    const std::string kind = key.substr(7);
    const Where w = at(key_node, key);
    if (!setting(o, "enabled").as<bool>(true)) {
      out_.note(w, "disabled output left out");
      return;
    }
    YAML::Node t(YAML::NodeType::Map);
    std::vector<std::string> handled = {"enabled"};
    if (kind == "elasticsearch") {
      t["type"] = "elasticsearch";
      std::vector<std::string> hosts = strings(o["hosts"]);
      std::string host = hosts.empty() ? "localhost:9200" : hosts[0];
      if (host.find("://") == std::string::npos) {
        host = o["protocol"].as<std::string>("http") + "://" + host;
      }
      if (o["path"]) host += o["path"].as<std::string>();
      t["endpoint"] = host;
      if (hosts.size() > 1)
        out_.notTranslated(at(o["hosts"], key + ".hosts"),
                           "the elasticsearch output takes one endpoint");
      if (o["index"]) {
        t["index"] = beatsTemplate(o["index"].as<std::string>());
      } else {
        out_.note(w,
                  "Filebeat's default data stream filebeat-<version> becomes logship's "
                  "default index logship-{tier}-%Y.%m.%d");
      }
      if (o["username"]) {
        t["headers"]["Authorization"] =
            basicAuthorization(o["username"].as<std::string>(), o["password"].as<std::string>(""));
        out_.note(at(o["username"], key + ".username"), kInlineSecretNote);
      }
      if (o["api_key"]) {
        t["headers"]["Authorization"] = "ApiKey " + base64(o["api_key"].as<std::string>());
        out_.note(at(o["api_key"], key + ".api_key"), kInlineSecretNote);
      }
      if (YAML::Node ssl = section(o, "ssl"); ssl) t["tls"] = tls(ssl, key + ".ssl");
      for (const auto& h : o["headers"]) {
        t["headers"][h.first.as<std::string>()] = h.second.as<std::string>();
      }
      if (o["bulk_max_size"]) t["batch"]["max_events"] = o["bulk_max_size"].as<int>();
      if (o["worker"]) t["concurrency"] = o["worker"].as<int>();
      handled.insert(handled.end(), {"hosts", "protocol", "path", "index", "username", "password",
                                     "api_key", "ssl", "headers", "bulk_max_size", "worker"});
    } else if (kind == "kafka") {
      t["type"] = "kafka";
      std::string brokers;
      for (const std::string& h : strings(o["hosts"])) brokers += (brokers.empty() ? "" : ",") + h;
      t["brokers"] = brokers;
      t["topic"] = beatsTemplate(o["topic"].as<std::string>("filebeat"));
      if (o["key"]) t["key"] = beatsTemplate(o["key"].as<std::string>());
      if (o["compression"]) t["compression"] = o["compression"].as<std::string>();
      if (YAML::Node ssl = section(o, "ssl"); ssl) {
        out_.notTranslated(at(ssl, key + ".ssl"),
                           "give librdkafka's ssl.* properties in librdkafka");
      }
      handled.insert(handled.end(), {"hosts", "topic", "key", "compression", "ssl"});
    } else if (kind == "file") {
      t["type"] = "file";
      t["path"] = o["path"].as<std::string>("/tmp/filebeat") + "/" +
                  o["filename"].as<std::string>("filebeat");
      out_.note(w, "one NDJSON file, not rotated by logship");
      handled.insert(handled.end(), {"path", "filename", "rotate_every_kb", "number_of_files",
                                     "permissions", "codec"});
    } else if (kind == "console") {
      t["type"] = "console";
      handled.insert(handled.end(), {"pretty", "codec"});
    } else {
      out_.notTranslated(w, "no logship output speaks " + kind);
      return;
    }
    for (const auto& it : o) {
      const std::string k = it.first.as<std::string>();
      if (std::find(handled.begin(), handled.end(), k.substr(0, k.find('.'))) == handled.end()) {
        out_.notTranslated(at(it.first, key + "." + k), "no " + kind + " output option does this");
      }
    }
    out_.addOutput(kind, w, t, heads_);
  }

  YAML::Node tls(const YAML::Node& ssl, const std::string& path) {
    YAML::Node t(YAML::NodeType::Map);
    std::vector<std::string> cas = strings(setting(ssl, "certificate_authorities"));
    if (!cas.empty()) t["ca_file"] = cas[0];
    if (setting(ssl, "certificate")) t["cert_file"] = setting(ssl, "certificate").as<std::string>();
    if (setting(ssl, "key")) t["key_file"] = setting(ssl, "key").as<std::string>();
    if (setting(ssl, "verification_mode").as<std::string>("full") == "none") t["verify"] = false;
    return t;
  }

  const std::string file_;
  PipelineBuilder& out_;
  std::vector<std::string> heads_;
};

}  // namespace

bool convertFilebeat(const std::string& path, PipelineBuilder& out, std::string& error) {
  return convertYamlFile<Filebeat>(path, out, error);
}

}  // namespace logship::convert
