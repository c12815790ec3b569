// A Fluent Bit configuration (classic or YAML) as a logship pipeline. Fluent Bit routes records
// by tag: each filter and output takes the inputs whose tag its Match (or Match_Regex) matches.
// Here inputs that every filter and output treat alike share one chain of transforms, and each
// output reads the chains of the inputs it matches. A record's `log` key is logship's message.
#include <algorithm>
#include <map>
#include <optional>
#include <regex>

#include "agent/cli/convert/converters.h"
#include "agent/cli/convert/fluent_bit_config.h"
#include "agent/cli/convert/time_formats.h"

namespace logship::convert {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool on(const std::string& value) {
  const std::string v = lower(value);
  return v == "on" || v == "true" || v == "yes" || v == "1";
}

std::vector<std::string> splitList(const std::string& text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    std::string item =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    size_t a = item.find_first_not_of(" \t"), b = item.find_last_not_of(" \t");
    if (a != std::string::npos) out.push_back(item.substr(a, b - a + 1));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// A record key (or record accessor $a['b']) as the logship field holding it.
std::string fieldName(const std::string& key) {
  static const std::map<std::string, std::string> kKnown = {
      {"log", "message"},
      {"MESSAGE", "message"},
      {"_SYSTEMD_UNIT", "systemd.unit"},
      {"SYSLOG_IDENTIFIER", "process.name"},
      {"_PID", "process.pid"},
      {"_HOSTNAME", "host.name"},
  };
  std::string name = key;
  if (name.starts_with("$")) {
    std::string out;
    for (char c : name.substr(1)) {
      if (c == '[') {
        out += '.';
      } else if (c != ']' && c != '\'' && c != '"') {
        out += c;
      }
    }
    name = out;
  }
  auto known = kKnown.find(name);
  return known == kKnown.end() ? name : known->second;
}

// Fluent Bit's Match: '*' stands for any text.
bool tagMatches(const std::string& pattern, const std::string& tag) {
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < tag.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == tag[t]) {
      ++p;
      ++t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

class FluentBit {
 public:
  FluentBit(std::string file, PipelineBuilder& out) : file_(std::move(file)), out_(out) {}

  void convert(const std::vector<FluentBitSection>& sections) {
    for (const FluentBitSection& s : sections) {
      if (s.kind == "PARSER") parsers_[s.get("Name")] = &s;
    }
    std::vector<const FluentBitSection*> inputs, filters, outputs;
    for (const FluentBitSection& s : sections) {
      if (s.kind == "SERVICE") {
        service(s);
      } else if (s.kind == "INPUT") {
        inputs.push_back(&s);
      } else if (s.kind == "FILTER") {
        filters.push_back(&s);
      } else if (s.kind == "OUTPUT") {
        outputs.push_back(&s);
      } else if (s.kind != "PARSER") {
        out_.notTranslated(s.where, "[" + s.kind + "] has no logship equivalent");
      }
    }
    // Each input's source (and its own parser), with its tag.
    std::vector<std::pair<std::string, std::vector<std::string>>> tagged;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const FluentBitSection& in = *inputs[i];
      const std::string name = lower(in.get("Name"));
      const std::string tag = in.get("Tag", name + "." + std::to_string(i));
      std::vector<std::string> heads = input(in, name);
      if (!heads.empty()) tagged.push_back({tag, heads});
    }
    // Inputs with the same filters and outputs share one chain.
    std::map<std::pair<std::vector<size_t>, std::vector<size_t>>, std::vector<std::string>> groups;
    std::vector<std::pair<std::vector<size_t>, std::vector<size_t>>> order;
    for (auto& [tag, heads] : tagged) {
      std::pair<std::vector<size_t>, std::vector<size_t>> key;
      for (size_t f = 0; f < filters.size(); ++f) {
        if (matches(*filters[f], tag)) key.first.push_back(f);
      }
      for (size_t o = 0; o < outputs.size(); ++o) {
        if (matches(*outputs[o], tag)) key.second.push_back(o);
      }
      if (!groups.count(key)) order.push_back(key);
      auto& group = groups[key];
      group.insert(group.end(), heads.begin(), heads.end());
    }
    std::vector<std::vector<std::string>> output_inputs(outputs.size());
    std::vector<bool> filter_used(filters.size(), false);
    for (const auto& key : order) {
      std::vector<std::string> heads = groups[key];
      for (size_t f : key.first) {
        heads = filter(*filters[f], heads, filter_used[f]);
        filter_used[f] = true;
      }
      for (size_t o : key.second) {
        output_inputs[o].insert(output_inputs[o].end(), heads.begin(), heads.end());
      }
    }
    for (size_t f = 0; f < filters.size(); ++f) {
      if (!filter_used[f]) out_.note(filters[f]->where, "matches no input's tag: left out");
    }
    for (size_t o = 0; o < outputs.size(); ++o) output(*outputs[o], output_inputs[o]);
    if (outputs.empty()) out_.notTranslated(Where{file_, 1, 1, ""}, "no [OUTPUT]");
  }

 private:
  bool matches(const FluentBitSection& s, const std::string& tag) {
    if (const FluentBitEntry* re = s.find("Match_Regex")) {
      try {
        return std::regex_match(tag, std::regex(re->value));
      } catch (const std::regex_error&) {
        return false;
      }
    }
    return tagMatches(s.get("Match", ""), tag);
  }

  void service(const FluentBitSection& s) {
    for (const FluentBitEntry& e : s.entries) {
      const std::string key = lower(e.key);
      if (key == "parsers_file") {
        readParsers(e);
      } else if (key == "storage.path") {
        out_.setGlobal("data_dir", YAML::Node(e.value), e.where);
      } else if (key == "http_server" || key == "http_listen" || key == "http_port") {
        out_.note(e.where, "logship's admin server (admin.address) serves /metrics and /healthz");
      } else {
        out_.note(e.where, "no pipeline setting: logship keeps its own " + e.key);
      }
    }
  }

  void readParsers(const FluentBitEntry& e) {
    const std::string path = besides(e.where.file, e.value);
    std::string error;
    auto& store = parser_files_.emplace_back();
    const bool yaml = path.ends_with(".yaml") || path.ends_with(".yml");
    if (!(yaml ? readFluentBitYaml(path, store, error, out_)
               : readFluentBitClassic(path, store, error))) {
      out_.notTranslated(e.where, "cannot read the parsers file: " + error);
      return;
    }
    for (const FluentBitSection& s : store) {
      if (s.kind == "PARSER") parsers_[s.get("Name")] = &s;
    }
  }

  // --- inputs ---

  std::vector<std::string> input(const FluentBitSection& in, const std::string& name) {
    YAML::Node src(YAML::NodeType::Map);
    std::vector<std::string> handled = {"name", "tag", "parser"};
    if (name == "tail") {
      src["type"] = "file";
      src["include"] = list(splitList(in.get("Path"), ','));
      if (in.find("Exclude_Path")) src["exclude"] = list(splitList(in.get("Exclude_Path"), ','));
      src["start_at"] = on(in.get("Read_from_Head", "off")) ? "beginning" : "end";
      if (in.find("Refresh_Interval")) src["glob_interval"] = in.get("Refresh_Interval") + "s";
      const std::string ml = lower(in.get("multiline.parser"));
      if (ml == "cri" || ml == "docker, cri" || ml == "cri, docker") {
        src["format"] = "cri";
      } else if (!ml.empty()) {
        out_.notTranslated(in.find("multiline.parser")->where,
                           "built-in multiline parser " + ml + ": logship reads cri at the source");
      }
      if (on(in.get("Multiline", "off"))) {
        const FluentBitEntry* first = in.find("Parser_Firstline");
        auto p = first ? parsers_.find(first->value) : parsers_.end();
        if (p != parsers_.end()) {
          std::string unsupported;
          YAML::Node m(YAML::NodeType::Map);
          m["start"] = toRe2(p->second->get("Regex"), unsupported);
          if (unsupported.empty()) {
            src["multiline"] = m;
          } else {
            out_.notTranslated(first->where, "RE2 lacks " + unsupported);
          }
        } else {
          out_.notTranslated(in.where, "Multiline without a known Parser_Firstline");
        }
      }
      for (const char* key : {"DB", "Mem_Buf_Limit", "Skip_Long_Lines", "Buffer_Max_Size",
                              "Buffer_Chunk_Size", "DB.sync", "Rotate_Wait"}) {
        if (const FluentBitEntry* e = in.find(key)) {
          out_.note(e->where,
                    "logship keeps positions under data_dir and bounds lines with "
                    "max_line_bytes");
        }
      }
      handled.insert(handled.end(), {"path", "exclude_path", "read_from_head", "refresh_interval",
                                     "multiline.parser", "multiline", "parser_firstline", "db",
                                     "mem_buf_limit", "skip_long_lines", "buffer_max_size",
                                     "buffer_chunk_size", "db.sync", "rotate_wait", "path_key"});
    } else if (name == "systemd") {
      src["type"] = "journald";
      std::vector<std::string> units;
      for (const FluentBitEntry* f : in.all("Systemd_Filter")) {
        if (f->value.starts_with("_SYSTEMD_UNIT=")) {
          units.push_back(f->value.substr(14));
        } else {
          out_.notTranslated(f->where, "journald filters other than _SYSTEMD_UNIT");
        }
      }
      if (!units.empty()) src["units"] = list(units);
      if (in.find("Path")) src["directory"] = in.get("Path");
      src["start_at"] = on(in.get("Read_From_Tail", "off")) ? "end" : "beginning";
      handled.insert(handled.end(),
                     {"systemd_filter", "path", "read_from_tail", "db", "strip_underscores"});
      if (const FluentBitEntry* e = in.find("Strip_Underscores")) {
        out_.note(e->where,
                  "logship names journal fields itself (process.name, systemd.unit, ...)");
      }
    } else if (name == "syslog") {
      src["type"] = "syslog";
      const std::string mode = lower(in.get("Mode", "unix_udp"));
      if (mode.starts_with("unix")) {
        src["address"] = in.get("Path");
        src["mode"] = "unix";
      } else {
        src["address"] =
            ipListenAddress(in.get("Listen", "0.0.0.0") + ":" + in.get("Port", "5140"));
        src["mode"] = mode;
      }
      handled.insert(handled.end(), {"mode", "listen", "port", "path"});
    } else {
      out_.notTranslated(in.where, "no logship source reads input " + name);
      return {};
    }
    for (const FluentBitEntry& e : in.entries) {
      if (std::find(handled.begin(), handled.end(), lower(e.key)) == handled.end()) {
        out_.notTranslated(e.where, "no " + name + " input option does this");
      }
    }
    std::vector<std::string> heads = {out_.addSource(in.get("Tag", name), in.where, src)};
    if (const FluentBitEntry* key = in.find("Path_Key")) {
      YAML::Node t(YAML::NodeType::Map);
      t["type"] = "remap";
      t["copy"]["log.file.path"] = key->value;
      heads = {out_.addTransform(heads[0] + "_path_key", key->where, t, heads)};
    }
    if (name != "syslog") {
      if (const FluentBitEntry* p = in.find("Parser")) {
        heads = parse({p}, "message", heads[0] + "_parse", p->where, heads);
      }
    } else {
      heads = {syslogBodyAsMessage(out_, heads[0], in.where)};
      out_.note(in.where, "the syslog source parses RFC 3164 and RFC 5424 itself");
    }
    return heads;
  }

  // --- parsers ---

  // A parse transform for the parsers named (tried in order) on `field`.
  std::vector<std::string> parse(const std::vector<const FluentBitEntry*>& names,
                                 const std::string& field, const std::string& base, const Where& at,
                                 std::vector<std::string> heads) {
    YAML::Node t(YAML::NodeType::Map);
    YAML::Node restore(YAML::NodeType::Map);
    std::string format;
    for (const FluentBitEntry* name : names) {
      auto found = parsers_.find(name->value);
      std::string f;
      if (found == parsers_.end()) {
        // Parsers of Fluent Bit's own parsers.conf that logship has built in.
        const std::string n = name->value;
        f = n == "json" || n == "docker"  ? "json"
            : n.starts_with("syslog-rfc") ? "syslog"
            : n == "logfmt"               ? "logfmt"
                                          : "";
        if (f.empty()) {
          out_.notTranslated(name->where, "no [PARSER] named " + n);
          continue;
        }
      } else {
        f = lower(found->second->get("Format"));
      }
      if (!format.empty() && (format != "regex" || f != "regex")) {
        out_.notTranslated(name->where,
                           "parsers of different formats on one key; only the first "
                           "is used");
        continue;
      }
      format = f;
      if (f == "regex") {
        if (!regexParser(*found->second, t, restore)) format.clear();
      } else if (f == "json") {
        t["type"] = "parse_json";
        timeKey(found == parsers_.end() ? nullptr : found->second, "time");
      } else if (f == "logfmt") {
        t["type"] = "parse_logfmt";
        timeKey(found == parsers_.end() ? nullptr : found->second, "time");
      } else if (f == "syslog") {
        t["type"] = "parse_syslog";
      } else {
        out_.notTranslated(name->where, "no logship parser reads format " + f);
        format.clear();
      }
    }
    if (format.empty()) return heads;
    if (field != "message") t["field"] = field;
    heads = {out_.addTransform(base, at, t, heads)};
    if (restore.size() > 0) {
      YAML::Node r(YAML::NodeType::Map);
      r["type"] = "remap";
      r["rename"] = restore;
      heads = {out_.addTransform(base + "_names", at, r, heads)};
    }
    return heads;
  }

  // Time_Key of a json or logfmt parser: logship reads time/ts/timestamp members only.
  void timeKey(const FluentBitSection* p, const char* fallback) {
    if (!p) return;
    const std::string key = p->get("Time_Key", fallback);
    if (key != "time" && key != "ts" && key != "timestamp" && key != "@timestamp") {
      out_.notTranslated(p->find("Time_Key")->where,
                         "the time is read from members time, ts, timestamp or @timestamp");
    } else if (p->find("Time_Format")) {
      out_.note(p->find("Time_Format")->where, "RFC 3339 and epoch times are recognised");
    }
  }

  // False when the expression has no RE2 equivalent.
  bool regexParser(const FluentBitSection& p, YAML::Node& t, YAML::Node& restore) {
    t["type"] = "parse_regex";
    std::string unsupported;
    std::string pattern = toRe2(p.get("Regex"), unsupported);
    if (!unsupported.empty()) {
      out_.notTranslated(p.find("Regex")->where, "RE2 lacks " + unsupported);
      return false;
    }
    const std::string time_key = p.get("Time_Key", "time");
    std::vector<std::string> groups = groupNames(pattern);
    if (std::find(groups.begin(), groups.end(), time_key) != groups.end()) {
      if (time_key != "timestamp") renameGroup(pattern, time_key, "timestamp");
      if (const FluentBitEntry* tf = p.find("Time_Format")) {
        std::string why;
        if (auto format = fluentBitTimeFormat(tf->value, why)) {
          if (!format->empty()) t["timestamp_format"] = *format;
          if (!why.empty()) out_.note(tf->where, why);
        } else {
          out_.notTranslated(tf->where, why);
        }
      }
      if (const FluentBitEntry* keep = p.find("Time_Keep"); keep && on(keep->value)) {
        out_.notTranslated(keep->where, "the time group sets the time and is not kept as a field");
      }
    }
    // Groups logship parsers would take into the event (level, msg, ...) are captured under
    // another name and given theirs back by a remap after the parser; message is logship's own.
    for (const std::string& g : groups) {
      if (g != time_key && isWellKnownParserKey(g)) {
        renameGroup(pattern, g, "extracted__" + g);
        if (g == "message" || g == "@timestamp" || g == "log.level") {
          renamed_[g] = "extracted." + g;
        } else {
          restore["extracted." + g] = g;
        }
      }
    }
    t["patterns"].push_back(pattern);
    if (const FluentBitEntry* types = p.find("Types")) {
      for (const std::string& item : splitList(types->value, ' ')) {
        size_t colon = item.find(':');
        std::string type = colon == std::string::npos ? "" : item.substr(colon + 1);
        type = type == "integer" ? "int" : type;
        if (type != "int" && type != "float" && type != "bool" && type != "string") {
          out_.notTranslated(types->where, "type " + item);
          continue;
        }
        t["types"][item.substr(0, colon)] = type;
      }
    }
    return true;
  }

  // --- filters ---

  std::vector<std::string> filter(const FluentBitSection& f, std::vector<std::string> heads,
                                  bool again) {
    const std::string name = lower(f.get("Name"));
    const std::string base = name;
    auto add = [&](const YAML::Node& t) { heads = {out_.addTransform(base, f.where, t, heads)}; };
    auto problem = [&](const Where& w, const std::string& why) {
      if (!again) out_.notTranslated(w, why);  // once per filter, however many chains it is in
    };
    if (name == "parser") {
      const FluentBitEntry* key = f.find("Key_Name");
      std::vector<const FluentBitEntry*> names = f.all("Parser");
      if (!key || names.empty()) {
        problem(f.where, "a parser filter needs Key_Name and Parser");
        return heads;
      }
      if (!again && !on(f.get("Reserve_Data", "off"))) {
        out_.note(f.where, "logship keeps the other fields and the message (Reserve_Data On)");
      }
      return parse(names, field(key->value), "parser", f.where, heads);
    }
    if (name == "grep") {
      // Regex lines must all match and any Exclude line drops (legacy), unless Logical_Op says.
      const std::string op = lower(f.get("Logical_Op", "legacy"));
      for (auto [key, action] : {std::pair{"Regex", "keep"}, {"Exclude", "drop"}}) {
        YAML::Node combined(YAML::NodeType::Map);
        const bool drop = std::string(action) == "drop";
        const char* join = (drop ? op != "and" : op == "or") ? "any" : "all";
        for (const FluentBitEntry* e : f.all(key)) {
          size_t space = e->value.find(' ');
          std::string unsupported;
          YAML::Node c(YAML::NodeType::Map);
          c["field"] = field(e->value.substr(0, space));
          c["matches"] =
              toRe2(space == std::string::npos ? "" : e->value.substr(space + 1), unsupported);
          if (!unsupported.empty()) {
            problem(e->where, "RE2 lacks " + unsupported);
            return heads;
          }
          combined[join].push_back(c);
        }
        if (!combined[join]) continue;
        YAML::Node t(YAML::NodeType::Map);
        t["type"] = "filter";
        t["action"] = action;
        t["when"] = combined[join].size() == 1 ? combined[join][0] : combined;
        add(t);
      }
      return heads;
    }
    if (name == "modify" || name == "record_modifier") {
      YAML::Node ops(YAML::NodeType::Sequence);
      for (const FluentBitEntry& e : f.entries) {
        const std::string key = lower(e.key);
        if (key == "name" || key == "match" || key == "match_regex") continue;
        std::vector<std::string> args = splitList(e.value, ' ');
        YAML::Node op(YAML::NodeType::Map);
        if ((key == "set" || key == "add" || key == "record") && args.size() >= 2) {
          size_t space = e.value.find(' ');
          op["set"][field(args[0])] = e.value.substr(e.value.find_first_not_of(' ', space));
          if (key == "add") problem(e.where, "Add sets the field also when it is there");
        } else if ((key == "remove" || key == "remove_key") && args.size() == 1) {
          op["delete"].push_back(field(args[0]));
        } else if ((key == "rename" || key == "hard_rename") && args.size() == 2) {
          op["rename"][field(args[0])] = field(args[1]);
        } else if ((key == "copy" || key == "hard_copy") && args.size() == 2) {
          op["copy"][field(args[0])] = field(args[1]);
        } else {
          problem(e.where, name + " " + e.key + " has no remap equivalent");
          continue;
        }
        ops.push_back(op);
      }
      if (ops.size() > 0) {
        YAML::Node t(YAML::NodeType::Map);
        t["type"] = "remap";
        t["operations"] = ops;
        add(t);
      }
      return heads;
    }
    if (name == "throttle") {
      YAML::Node t(YAML::NodeType::Map);
      t["type"] = "throttle";
      t["threshold"] = f.get("Rate", "1");
      t["window"] = f.get("Interval", "1s");
      add(t);
      if (!again) out_.note(f.where, "throttle counts per window; Fluent Bit averages over Window");
      return heads;
    }
    if (name == "kubernetes") {
      if (!again) {
        out_.note(f.where,
                  "with format: cri logship takes namespace, pod and container from "
                  "/var/log/pods paths; labels and annotations are not known");
      }
      return heads;
    }
    problem(f.where, "no logship transform does filter " + name);
    return heads;
  }

  // --- outputs ---

  void output(const FluentBitSection& o, const std::vector<std::string>& inputs) {
    const std::string name = lower(o.get("Name"));
    YAML::Node t(YAML::NodeType::Map);
    std::vector<std::string> handled = {"name", "match", "match_regex", "retry_limit", "workers"};
    auto endpoint = [&](const std::string& port) {
      return std::string(on(o.get("tls", "off")) ? "https" : "http") + "://" +
             o.get("Host", "127.0.0.1") + ":" + o.get("Port", port);
    };
    auto tls = [&]() {
      YAML::Node tls(YAML::NodeType::Map);
      for (auto [from, to] : {std::pair{"tls.ca_file", "ca_file"},
                              {"tls.crt_file", "cert_file"},
                              {"tls.key_file", "key_file"},
                              {"tls.vhost", "server_name"}}) {
        if (o.find(from)) tls[to] = o.get(from);
      }
      if (o.find("tls.verify") && !on(o.get("tls.verify"))) tls["verify"] = false;
      if (tls.size() > 0) t["tls"] = tls;
      handled.insert(handled.end(), {"tls", "tls.ca_file", "tls.crt_file", "tls.key_file",
                                     "tls.vhost", "tls.verify", "host", "port"});
    };
    // Credentials written inline go into an Authorization header.
    auto credentials = [&]() {
      if (const FluentBitEntry* user = o.find("http_user")) {
        t["headers"]["Authorization"] = basicAuthorization(user->value, o.get("http_passwd"));
        out_.note(user->where, kInlineSecretNote);
      }
      if (const FluentBitEntry* token = o.find("bearer_token")) {
        t["headers"]["Authorization"] = "Bearer " + token->value;
        out_.note(token->where, kInlineSecretNote);
      }
      handled.insert(handled.end(), {"http_user", "http_passwd", "bearer_token"});
    };
    if (name == "loki") {
      t["type"] = "loki";
      t["endpoint"] = endpoint("3100");
      tls();
      if (o.find("uri") && o.get("uri") != "/loki/api/v1/push") t["path"] = o.get("uri");
      if (o.find("tenant_id")) t["tenant"] = o.get("tenant_id");
      YAML::Node labels(YAML::NodeType::Map);
      for (const FluentBitEntry* e : o.all("labels")) {
        for (const std::string& pair : splitList(e->value, ',')) {
          size_t eq = pair.find('=');
          if (eq == std::string::npos && pair.starts_with("$")) {  // a record accessor alone
            const std::string f = field(pair);
            labels[f.substr(f.rfind('.') + 1)] = "{" + f + "}";
            continue;
          }
          std::string value = pair.substr(eq + 1);
          labels[pair.substr(0, eq)] = value.starts_with("$") ? "{" + field(value) + "}" : value;
        }
      }
      for (const FluentBitEntry* e : o.all("label_keys")) {
        for (const std::string& key : splitList(e->value, ',')) {
          const std::string f = field(key);
          labels[f.substr(f.rfind('.') + 1)] = "{" + f + "}";
        }
      }
      if (labels.size() == 0) labels["job"] = "fluent-bit";
      t["labels"] = labels;
      const std::string format = lower(o.get("line_format", "json"));
      if (on(o.get("drop_single_key", "off"))) {
        t["line_format"] = "message";
        out_.note(o.find("drop_single_key")->where, "the line is the message alone");
      } else if (format == "json") {
        t["line_format"] = "json";
        out_.note(o.where, "the line is the event as JSON: the record's log is its message");
      } else {
        out_.notTranslated(o.find("line_format")->where, "line_format " + format);
      }
      credentials();
      if (o.find("remove_keys")) {
        out_.notTranslated(o.find("remove_keys")->where, "the JSON line has every field");
      }
      handled.insert(handled.end(),
                     {"uri", "tenant_id", "labels", "label_keys", "line_format", "drop_single_key",
                      "http_user", "http_passwd", "bearer_token", "remove_keys"});
    } else if (name == "es") {
      t["type"] = "elasticsearch";
      t["endpoint"] = endpoint("9200") + o.get("Path", "");
      tls();
      if (on(o.get("Logstash_Format", "off"))) {
        t["index"] =
            o.get("Logstash_Prefix", "logstash") + "-" + o.get("Logstash_DateFormat", "%Y.%m.%d");
      } else {
        t["index"] = o.get("Index", "fluent-bit");
      }
      credentials();
      for (const char* key : {"Suppress_Type_Name", "Type", "Replace_Dots", "Generate_ID",
                              "Trace_Error", "Buffer_Size"}) {
        if (const FluentBitEntry* e = o.find(key)) {
          out_.note(e->where, "not needed: logship sends _bulk without types, with ids of its own");
        }
      }
      handled.insert(handled.end(),
                     {"path", "logstash_format", "logstash_prefix", "logstash_dateformat", "index",
                      "http_user", "http_passwd", "suppress_type_name", "type", "replace_dots",
                      "generate_id", "trace_error", "buffer_size"});
    } else if (name == "kafka") {
      t["type"] = "kafka";
      t["brokers"] = o.get("Brokers");
      std::vector<std::string> topics = splitList(o.get("Topics", "fluent-bit"), ',');
      t["topic"] = topics.empty() ? "fluent-bit" : topics[0];
      if (o.find("Message_Key_Field")) {
        t["key"] = "{" + field(o.get("Message_Key_Field")) + "}";
      } else if (o.find("Message_Key")) {
        t["key"] = o.get("Message_Key");
      }
      for (const FluentBitEntry& e : o.entries) {
        if (lower(e.key).starts_with("rdkafka.")) t["librdkafka"][e.key.substr(8)] = e.value;
      }
      if (lower(o.get("Format", "json")) != "json") {
        out_.notTranslated(o.find("Format")->where, "the kafka output writes JSON");
      }
      handled.insert(handled.end(), {"brokers", "topics", "message_key", "message_key_field",
                                     "format", "timestamp_key"});
    } else if (name == "file") {
      t["type"] = "file";
      std::string dir = o.get("Path", ".");
      t["path"] = dir + "/" + o.get("File", o.get("Match", "fluent-bit"));
      const std::string format = lower(o.get("Format", "out_file"));
      if (format == "plain") {
        t["format"] = "ndjson";
      } else if (format == "out_file") {
        out_.note(o.where, "written as NDJSON (one event a line) rather than tag: [time, record]");
      } else {
        out_.notTranslated(o.find("Format")->where, "format " + format);
      }
      handled.insert(handled.end(), {"path", "file", "format"});
    } else if (name == "stdout") {
      t["type"] = "console";
      handled.insert(handled.end(), {"format", "json_date_key", "json_date_format"});
    } else if (name == "null") {
      t["type"] = "blackhole";
    } else {
      out_.notTranslated(o.where, name == "http"
                                      ? "logship's webhook output sends alerts only; no output "
                                        "posts every event to an HTTP endpoint"
                                      : "no logship output speaks " + name);
      return;
    }
    for (const FluentBitEntry& e : o.entries) {
      const std::string key = lower(e.key);
      if (std::find(handled.begin(), handled.end(), key) == handled.end() &&
          !key.starts_with("rdkafka.")) {
        out_.notTranslated(e.where, "no " + name + " output option does this");
      }
    }
    if (inputs.empty()) {
      out_.notTranslated(o.where, "matches the tag of no translated input");
      return;
    }
    out_.addOutput(name, o.where, t, inputs);
  }

  // A record key as the field holding it, after the renames of regexParser.
  std::string field(const std::string& key) const {
    auto renamed = renamed_.find(key.starts_with("$") ? fieldName(key) : key);
    return renamed == renamed_.end() ? fieldName(key) : renamed->second;
  }

  const std::string file_;
  PipelineBuilder& out_;
  std::map<std::string, std::string> renamed_;
  std::map<std::string, const FluentBitSection*> parsers_;
  std::vector<std::vector<FluentBitSection>> parser_files_;
};

}  // namespace

bool convertFluentBit(const std::string& path, PipelineBuilder& out, std::string& error) {
  std::vector<FluentBitSection> sections;
  const bool yaml = path.ends_with(".yaml") || path.ends_with(".yml");
  if (!(yaml ? readFluentBitYaml(path, sections, error, out)
             : readFluentBitClassic(path, sections, error))) {
    return false;
  }
  FluentBit(path, out).convert(sections);
  return true;
}

}  // namespace logship::convert
