// Promtail's configuration (server, positions, clients, scrape_configs with their pipeline
// stages) as a logship pipeline. Promtail keeps two things per entry: its labels and the
// "extracted" map of the stages. Here extracted values are fields of the event (named as in
// Promtail, or extracted.<name> where logship parsers would take the name into the event itself)
// and labels are fields labels.<name>, which every loki output sends as stream labels.
#include <algorithm>
#include <filesystem>
#include <map>

#include "agent/cli/convert/converters.h"
#include "agent/cli/convert/time_formats.h"

namespace logship::convert {

namespace {

// What a chain of stages has built so far for one scrape config.
struct Chain {
  std::vector<std::string> heads;  // the components the next stage reads from
  std::string source;              // the file source, when stages may still change it
  bool lines_changed = false;      // a stage before changed the lines (multiline must be first)
  // Extracted name -> the field holding it.
  std::map<std::string, std::string> extracted;
  // Extracted name -> the parse_regex that captures it and its group there.
  std::map<std::string, std::pair<std::string, std::string>> captured_by;
};

std::string labelField(const std::string& label) { return "labels." + label; }
// The template of a label's value, for loki labels and metric labels: {labels.NAME}.
std::string labelTemplate(const std::string& label) {
  std::string out = "{labels.";
  out.append(label).push_back('}');
  return out;
}

class Promtail {
 public:
  Promtail(std::string file, PipelineBuilder& out) : file_(std::move(file)), out_(out) {}

  void convert(const YAML::Node& root) {
    for (const auto& it : root) {
      const std::string key = it.first.as<std::string>();
      const YAML::Node value = it.second;
      if (key == "server") {
        out_.note(at(it.first, key),
                  "Promtail's own HTTP server is not needed; logship's admin server "
                  "(admin.address) serves /metrics and /healthz");
      } else if (key == "positions") {
        positions(value);
      } else if (key == "scrape_configs") {
        for (size_t i = 0; i < count(value); ++i) {
          scrapeConfig(value[i], "scrape_configs[" + std::to_string(i) + "]");
        }
      } else if (key != "clients" && key != "client") {
        out_.notTranslated(at(it.first, key), "no logship equivalent");
      }
    }
    // Outputs last: every label any stage set is known by then.
    if (root["client"]) client(root["client"], "client");
    const YAML::Node clients = root["clients"];
    for (size_t i = 0; i < count(clients); ++i) {
      client(clients[i], "clients[" + std::to_string(i) + "]");
    }
    if (!root["client"] && count(clients) == 0) {
      out_.notTranslated(Where{file_, 1, 1, "clients"}, "no client: the pipeline has no output");
    }
  }

 private:
  Where at(const YAML::Node& node, const std::string& path) const {
    return whereOf(file_, node, path);
  }

  void positions(const YAML::Node& node) {
    const YAML::Node filename = node["filename"];
    if (filename) {
      std::string dir = std::filesystem::path(filename.as<std::string>()).parent_path().string();
      out_.setGlobal("data_dir", YAML::Node(dir.empty() ? "." : dir), at(node, "positions"));
    }
    out_.note(at(node, "positions"),
              "positions are not imported: logship keeps its own under data_dir and reads every "
              "file from its beginning once (set start_at: end on a source to skip what is there)");
  }

  // --- outputs ---

  void client(const YAML::Node& c, const std::string& path) {
    YAML::Node o(YAML::NodeType::Map);
    o["type"] = "loki";
    std::string url = c["url"] ? c["url"].as<std::string>() : "";
    const std::string push = "/loki/api/v1/push";
    if (url.ends_with(push)) {
      o["endpoint"] = url.substr(0, url.size() - push.size());
    } else {
      size_t scheme = url.find("://");
      size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
      o["endpoint"] = url.substr(0, slash);
      if (slash != std::string::npos) o["path"] = url.substr(slash);
    }
    if (c["tenant_id"]) o["tenant"] = c["tenant_id"].as<std::string>();
    YAML::Node labels(YAML::NodeType::Map);
    for (const std::string& name : label_names_) labels[name] = labelTemplate(name);
    for (const auto& it : c["external_labels"]) {
      labels[it.first.as<std::string>()] = it.second.as<std::string>();
    }
    if (labels.size() > 0) o["labels"] = labels;
    o["line_format"] = "message";
    for (const auto& it : c) {
      const std::string key = it.first.as<std::string>();
      const YAML::Node v = it.second;
      const Where w = at(it.first, path + "." + key);
      if (key == "url" || key == "tenant_id" || key == "external_labels") continue;
      if (key == "batchwait") {
        o["batch"]["timeout"] = v.as<std::string>();
      } else if (key == "batchsize") {
        o["batch"]["max_bytes"] = v.as<std::string>();
      } else if (key == "timeout") {
        o["request_timeout"] = v.as<std::string>();
      } else if (key == "headers") {
        for (const auto& h : v)
          o["headers"][h.first.as<std::string>()] = h.second.as<std::string>();
      } else if (key == "backoff_config") {
        if (v["min_period"]) o["retry"]["initial_backoff"] = v["min_period"].as<std::string>();
        if (v["max_period"]) o["retry"]["max_backoff"] = v["max_period"].as<std::string>();
        if (v["max_retries"]) o["retry"]["max_attempts"] = v["max_retries"].as<std::string>();
      } else if (key == "basic_auth") {
        if (v["password_file"]) {
          o["auth"]["strategy"] = "basic";
          o["auth"]["user"] = v["username"].as<std::string>("");
          o["auth"]["password_file"] = v["password_file"].as<std::string>();
        } else {
          o["headers"]["Authorization"] = basicAuthorization(v["username"].as<std::string>(""),
                                                             v["password"].as<std::string>(""));
          out_.note(w, kInlineSecretNote);
        }
      } else if (key == "bearer_token_file") {
        o["auth"]["strategy"] = "bearer";
        o["auth"]["token_file"] = v.as<std::string>();
      } else if (key == "bearer_token") {
        o["headers"]["Authorization"] = "Bearer " + v.as<std::string>();
        out_.note(w, kInlineSecretNote);
      } else if (key == "tls_config") {
        o["tls"] = tls(v, path + ".tls_config");
      } else {
        out_.notTranslated(w, "no loki output option does this");
      }
    }
    out_.addOutput("loki", at(c, path), o, heads_);
  }

  YAML::Node tls(const YAML::Node& t, const std::string& path) {
    YAML::Node o(YAML::NodeType::Map);
    for (const auto& it : t) {
      const std::string key = it.first.as<std::string>();
      if (key == "ca_file" || key == "cert_file" || key == "key_file" || key == "server_name") {
        o[key] = it.second.as<std::string>();
      } else if (key == "insecure_skip_verify") {
        o["verify"] = !it.second.as<bool>(false);
      } else {
        out_.notTranslated(at(it.first, path + "." + key), "no tls option does this");
      }
    }
    return o;
  }

  // A listener's TLS (Promtail's syslog target): certificate, key and the CA clients are checked
  // against.
  YAML::Node serverTls(const YAML::Node& t, const std::string& path) {
    YAML::Node o(YAML::NodeType::Map);
    for (const auto& it : t) {
      const std::string key = it.first.as<std::string>();
      if (key == "cert_file" || key == "key_file") {
        o[key] = it.second.as<std::string>();
      } else if (key == "ca_file") {
        o["ca_file"] = it.second.as<std::string>();
        o["verify_client"] = true;
      } else {
        out_.notTranslated(at(it.first, path + "." + key), "no listener tls option does this");
      }
    }
    return o;
  }

  // --- targets ---

  void scrapeConfig(const YAML::Node& sc, const std::string& path) {
    const std::string job = sc["job_name"] ? sc["job_name"].as<std::string>() : "scrape";
    Chain chain;
    for (const auto& it : sc) {
      const std::string key = it.first.as<std::string>();
      const YAML::Node v = it.second;
      const std::string p = path + "." + key;
      if (key == "job_name" || key == "pipeline_stages" || key == "relabel_configs") continue;
      if (key == "static_configs") {
        for (size_t i = 0; i < count(v); ++i) {
          staticConfig(job, v[i], p + "[" + std::to_string(i) + "]", chain);
        }
      } else if (key == "journal") {
        journal(job, v, p, chain);
      } else if (key == "syslog") {
        syslog(job, v, p, chain);
      } else if (key == "loki_push_api") {
        pushApi(job, v, p, chain);
      } else if (key == "kubernetes_sd_configs") {
        kubernetesPods(job, v, p, chain);
      } else {
        out_.notTranslated(at(it.first, p), "no logship source reads this target kind");
      }
    }
    if (sc["relabel_configs"]) {
      relabel(sc["relabel_configs"], path + ".relabel_configs", job, chain);
    }
    if (sc["pipeline_stages"]) {
      stages(sc["pipeline_stages"], path + ".pipeline_stages", job, chain);
    }
    heads_.insert(heads_.end(), chain.heads.begin(), chain.heads.end());
  }

  void addLabelName(const std::string& name) {
    if (std::find(label_names_.begin(), label_names_.end(), name) == label_names_.end()) {
      label_names_.push_back(name);
    }
  }

  // A remap after `source` setting the static labels (and copies of source fields as labels).
  void labelRemap(const std::string& job, const Where& from, const std::string& source,
                  const YAML::Node& labels, const std::map<std::string, std::string>& copies,
                  Chain& chain) {
    YAML::Node r(YAML::NodeType::Map);
    r["type"] = "remap";
    for (const auto& it : labels) {
      const std::string name = it.first.as<std::string>();
      if (name.starts_with("__")) continue;
      r["set"][labelField(name)] = it.second.as<std::string>();
      addLabelName(name);
    }
    for (const auto& [field, label] : copies) {
      r["copy"][field] = labelField(label);
      addLabelName(label);
    }
    if (r.size() == 1) {
      chain.heads.push_back(source);
      return;
    }
    chain.heads.push_back(out_.addTransform(job + "_labels", from, r, {source}));
  }

  void staticConfig(const std::string& job, const YAML::Node& s, const std::string& path,
                    Chain& chain) {
    const YAML::Node labels = s["labels"];
    if (!labels["__path__"]) {
      out_.notTranslated(at(s, path), "a static config without __path__ reads nothing");
      return;
    }
    YAML::Node src(YAML::NodeType::Map);
    src["type"] = "file";
    src["include"] = list({labels["__path__"].as<std::string>()});
    if (labels["__path_exclude__"])
      src["exclude"] = list({labels["__path_exclude__"].as<std::string>()});
    const std::string id = out_.addSource(job, at(s, path), src);
    chain.source = id;
    labelRemap(job, at(s, path), id, labels, {{"log.file.path", "filename"}}, chain);
  }

  void journal(const std::string& job, const YAML::Node& j, const std::string& path, Chain& chain) {
    YAML::Node src(YAML::NodeType::Map);
    src["type"] = "journald";
    for (const auto& it : j) {
      const std::string key = it.first.as<std::string>();
      const Where w = at(it.first, path + "." + key);
      if (key == "labels") continue;
      if (key == "path") {
        src["directory"] = it.second.as<std::string>();
      } else if (key == "matches") {
        std::vector<std::string> units;
        std::string rest;
        std::string text = it.second.as<std::string>();
        for (size_t start = 0; start < text.size();) {
          size_t end = text.find(' ', start);
          std::string m = text.substr(start, end == std::string::npos ? end : end - start);
          if (m.starts_with("_SYSTEMD_UNIT=")) {
            units.push_back(m.substr(14));
          } else if (!m.empty()) {
            rest += (rest.empty() ? "" : " ") + m;
          }
          start = end == std::string::npos ? text.size() : end + 1;
        }
        if (!units.empty()) src["units"] = list(units);
        if (!rest.empty())
          out_.notTranslated(w, "journald matches other than _SYSTEMD_UNIT: " + rest);
      } else if (key == "max_age") {
        out_.note(w,
                  "without a saved cursor logship starts at the journal's end (start_at), not "
                  "max_age back");
      } else if (key == "json") {
        out_.notTranslated(w,
                           "logship keeps journal entries as events with fields (message, "
                           "process.name, systemd.unit, ...), not as JSON lines");
      } else {
        out_.notTranslated(w, "no journald option does this");
      }
    }
    const std::string id = out_.addSource(job, at(j, path), src);
    labelRemap(job, at(j, path), id, j["labels"], {}, chain);
  }

  void syslog(const std::string& job, const YAML::Node& s, const std::string& path, Chain& chain) {
    YAML::Node src(YAML::NodeType::Map);
    src["type"] = "syslog";
    src["address"] = ipListenAddress(s["listen_address"].as<std::string>("0.0.0.0:514"));
    src["mode"] = s["listen_protocol"].as<std::string>("tcp");
    for (const auto& it : s) {
      const std::string key = it.first.as<std::string>();
      const Where w = at(it.first, path + "." + key);
      if (key == "listen_address" || key == "listen_protocol" || key == "labels") continue;
      if (key == "tls_config") {
        src["tls"] = serverTls(it.second, path + ".tls_config");
      } else if (key == "idle_timeout") {
        src["idle_timeout"] = it.second.as<std::string>();
      } else if (key == "max_message_length") {
        src["max_message_bytes"] = it.second.as<std::string>();
      } else if (key == "use_incoming_timestamp") {
        out_.note(w, "the syslog source takes the time from the message");
      } else if (key == "label_structured_data") {
        out_.notTranslated(w, "structured data becomes fields sd.<id>.<name>, not labels");
      } else {
        out_.notTranslated(w, "no syslog source option does this");
      }
    }
    const std::string id = out_.addSource(job, at(s, path), src);
    labelRemap(job, at(s, path), syslogBodyAsMessage(out_, id, at(s, path)), s["labels"], {},
               chain);
  }

  void pushApi(const std::string& job, const YAML::Node& p, const std::string& path, Chain& chain) {
    YAML::Node src(YAML::NodeType::Map);
    src["type"] = "http";
    const YAML::Node server = p["server"];
    src["address"] = ipListenAddress(server["http_listen_address"].as<std::string>("0.0.0.0") +
                                     ":" + server["http_listen_port"].as<std::string>("3500"));
    for (const auto& it : p) {
      const std::string key = it.first.as<std::string>();
      if (key == "server" || key == "labels") continue;
      if (key == "use_incoming_timestamp") {
        out_.note(at(it.first, path + "." + key), "the http source keeps the pushed timestamps");
      } else {
        out_.notTranslated(at(it.first, path + "." + key), "no http source option does this");
      }
    }
    const std::string id = out_.addSource(job, at(p, path), src);
    out_.note(at(p, path),
              "pushed labels arrive as fields labels.<name>; the loki outputs send "
              "those of the label names this file sets (add others to their labels)");
    labelRemap(job, at(p, path), id, p["labels"], {}, chain);
  }

  void kubernetesPods(const std::string& job, const YAML::Node& sd, const std::string& path,
                      Chain& chain) {
    for (size_t i = 0; i < count(sd); ++i) {
      const std::string role = sd[i]["role"].as<std::string>("");
      if (role != "pod") {
        out_.notTranslated(at(sd[i], path + "[" + std::to_string(i) + "]"),
                           "only role: pod has a logship equivalent (the node's /var/log/pods)");
      }
    }
    YAML::Node src(YAML::NodeType::Map);
    src["type"] = "file";
    src["include"] = list({"/var/log/pods/*/*/*.log"});
    // As packaging/kubernetes: the agent's own output would come back to it through its pod's log.
    src["exclude"] = list({"/var/log/pods/logship_logship-*/logship/*.log"});
    src["format"] = "cri";
    chain.source = out_.addSource(job, at(sd, path), src);
    out_.note(at(sd, path),
              "pods are read from the node's /var/log/pods (as the logship DaemonSet mounts it) "
              "with format: cri; namespace, pod and container come from the path, pod labels and "
              "annotations are not known");
    chain.heads.push_back(chain.source);
  }

  // --- relabel_configs: the few targets' meta labels logship has as fields ---

  void relabel(const YAML::Node& rules, const std::string& path, const std::string& job,
               Chain& chain) {
    static const std::map<std::string, std::string> kMeta = {
        {"__meta_kubernetes_namespace", "kubernetes.namespace"},
        {"__meta_kubernetes_pod_name", "kubernetes.pod.name"},
        {"__meta_kubernetes_pod_uid", "kubernetes.pod.uid"},
        {"__meta_kubernetes_pod_container_name", "kubernetes.container.name"},
        {"__meta_kubernetes_pod_node_name", "host.name"},
        {"__journal__systemd_unit", "systemd.unit"},
        {"__journal_syslog_identifier", "process.name"},
        {"__journal__hostname", "host.name"},
        {"__journal__pid", "process.pid"},
        {"__syslog_message_hostname", "host.name"},
        {"__syslog_message_app_name", "process.name"},
        {"__syslog_message_proc_id", "process.pid"},
        {"__syslog_message_severity", "log.syslog.severity.name"},
        {"__syslog_message_facility", "log.syslog.facility.name"},
        {"__syslog_message_msg_id", "log.syslog.msgid"},
        {"__syslog_connection_ip_address", "source.ip"},
        {"__filename__", "log.file.path"},
    };
    YAML::Node copies(YAML::NodeType::Map);
    std::vector<std::pair<YAML::Node, std::string>> filters;
    for (size_t i = 0; i < count(rules); ++i) {
      const YAML::Node& r = rules[i];
      const std::string p = path + "[" + std::to_string(i) + "]";
      const std::string action = r["action"].as<std::string>("replace");
      const YAML::Node sources = r["source_labels"];
      std::string field;
      if (count(sources) == 1) {
        auto known = kMeta.find(sources[0].as<std::string>());
        if (known != kMeta.end()) field = known->second;
        std::string label = sources[0].as<std::string>();
        if (!label.starts_with("__")) field = labelField(label);
      }
      const std::string target = r["target_label"].as<std::string>("");
      if (target == "__path__" || target == "__host__") {
        out_.note(at(r, p), "not needed: logship reads the node's /var/log/pods itself");
        continue;
      }
      if (field.empty()) {
        out_.notTranslated(at(r, p),
                           "logship has a field for labels and for the meta labels of "
                           "pod, journal and syslog targets it knows, not for these "
                           "source_labels");
        continue;
      }
      const std::string regex = r["regex"].as<std::string>("(.*)");
      if (action == "replace" && regex == "(.*)" &&
          r["replacement"].as<std::string>("$1") == "$1" && !target.empty()) {
        copies[field] = labelField(target);
        addLabelName(target);
      } else if (action == "keep" || action == "drop") {
        YAML::Node f(YAML::NodeType::Map);
        f["type"] = "filter";
        f["action"] = action;
        f["when"]["field"] = field;
        f["when"]["matches"] = "^(?:" + regex + ")$";
        filters.emplace_back(f, p);
      } else {
        out_.notTranslated(at(r, p),
                           "only replace of one label as it is, keep and drop are "
                           "translated");
      }
    }
    if (copies.size() > 0) {
      YAML::Node remap(YAML::NodeType::Map);
      remap["type"] = "remap";
      remap["copy"] = copies;
      chain.heads = {out_.addTransform(job + "_relabel", at(rules, path), remap, chain.heads)};
    }
    for (auto& [f, p] : filters) {
      chain.heads = {out_.addTransform(job + "_relabel_" + f["action"].as<std::string>(),
                                       at(rules, p), f, chain.heads)};
    }
  }

  // --- pipeline stages ---

  void stages(const YAML::Node& list, const std::string& path, const std::string& job,
              Chain& chain) {
    for (size_t i = 0; i < count(list); ++i) {
      const std::string p = path + "[" + std::to_string(i) + "]";
      const YAML::Node& item = list[i];
      if (!item || !item.IsMap() || item.size() != 1) {
        out_.notTranslated(at(item, p), "a stage is a map of one stage name");
        continue;
      }
      const std::string name = item.begin()->first.as<std::string>();
      stage(name, item.begin()->second, p + "." + name, at(item.begin()->first, p + "." + name),
            job, chain);
    }
  }

  // Adds a transform reading the chain's heads; it becomes the one head.
  std::string add(const std::string& base, const Where& w, const YAML::Node& t, Chain& chain) {
    const std::string id = out_.addTransform(base, w, t, chain.heads);
    chain.heads = {id};
    return id;
  }

  // A JSON or logfmt parser takes a msg or message member into the event's message, which is the
  // line Loki gets; Promtail's line stays the whole line. The line is kept aside and put back.
  void keepingTheLine(const std::string& base, const Where& w, const YAML::Node& parser,
                      Chain& chain) {
    const std::string kept = "extracted.line";
    YAML::Node copy(YAML::NodeType::Map);
    copy["type"] = "remap";
    copy["copy"]["message"] = kept;
    add(base + "_keep_line", w, copy, chain);
    add(base, w, parser, chain);
    YAML::Node back(YAML::NodeType::Map);
    back["type"] = "parse_regex";
    back["field"] = kept;
    back["patterns"] = convert::list({"(?s)^(?P<message>.*)$"});
    add(base + "_line", w, back, chain);
    YAML::Node drop(YAML::NodeType::Map);
    drop["type"] = "remap";
    drop["delete"] = convert::list({kept});
    add(base + "_line_kept", w, drop, chain);
  }

  // The parsers take members such as level, msg or time into the event itself (level normalised):
  // the value as written is captured from the text again by a parse_regex whose last pattern
  // matches any text, so an entry without the member is no parse error. A string value keeps its
  // JSON or logfmt escapes.
  void memberAsWritten(const std::string& format, const std::string& member, const std::string& key,
                       const std::string& field, const std::string& base, const Where& w,
                       Chain& chain) {
    const std::string group = "extracted__" + key;
    const std::string name = quoteRegex(member);
    YAML::Node t(YAML::NodeType::Map);
    t["type"] = "parse_regex";
    if (!field.empty()) t["field"] = field;
    const std::string capture = "(?P<" + group + ">";
    const std::string quoted =
        R"re((?:[^"\\]|\\.)*)")re";  // the text of a quoted value and its end
    if (format == "json") {
      t["patterns"] =
          convert::list({"\"" + name + R"re("\s*:\s*")re" + capture + quoted,
                         "\"" + name + R"re("\s*:\s*)re" + capture + "[-+.0-9eE]+)", "^"});
    } else {
      t["patterns"] =
          convert::list({R"re((?:^|\s))re" + name + "=\"" + capture + quoted,
                         R"re((?:^|\s))re" + name + "=" + capture + R"re(\S*))re", "^"});
    }
    const std::string id = add(base + "_" + key, w, t, chain);
    chain.extracted[key] = "extracted." + key;
    chain.captured_by[key] = {id, group};
  }

  std::string fieldOf(const Chain& chain, const std::string& extracted) const {
    auto found = chain.extracted.find(extracted);
    return found == chain.extracted.end() ? extracted : found->second;
  }

  void stage(const std::string& name, const YAML::Node& s, const std::string& path, const Where& w,
             const std::string& job, Chain& chain) {
    const std::string base = job + "_" + name;
    if (name == "regex") {
      std::string unsupported;
      std::string pattern = toRe2(s["expression"].as<std::string>(""), unsupported);
      if (!unsupported.empty()) {
        out_.notTranslated(w, "RE2 lacks " + unsupported);
        return;
      }
      std::vector<std::pair<std::string, std::string>> groups;
      for (const std::string& g : groupNames(pattern)) {
        std::string field = g;
        if (isWellKnownParserKey(g)) {
          renameGroup(pattern, g, "extracted__" + g);
          field = "extracted." + g;
        }
        groups.emplace_back(g, field);
      }
      YAML::Node t(YAML::NodeType::Map);
      t["type"] = "parse_regex";
      t["patterns"] = convert::list({pattern});
      if (s["source"]) t["field"] = fieldOf(chain, s["source"].as<std::string>());
      const std::string id = add(base, w, t, chain);
      for (auto& [g, field] : groups) {
        chain.extracted[g] = field;
        chain.captured_by[g] = {id, field.starts_with("extracted.") ? "extracted__" + g : g};
      }
      out_.note(w,
                "lines the expression does not match are shipped with event.parse_error "
                "(Promtail ships them unchanged)");
    } else if (name == "json" || name == "logfmt") {
      YAML::Node t(YAML::NodeType::Map);
      t["type"] = name == "json" ? "parse_json" : "parse_logfmt";
      if (s["source"]) t["field"] = fieldOf(chain, s["source"].as<std::string>());
      keepingTheLine(base, w, t, chain);
      const YAML::Node names = name == "json" ? s["expressions"] : s["mapping"];
      for (const auto& it : names) {
        const std::string key = it.first.as<std::string>();
        std::string member = it.second.IsNull() ? key : it.second.as<std::string>("");
        if (member.empty()) member = key;
        if (member.find_first_of("[]|()*'\"@&!") != std::string::npos) {
          out_.notTranslated(at(it.first, path + "." + key),
                             "JMESPath beyond a member path (" + member + ")");
          continue;
        }
        if (isWellKnownParserKey(member)) {
          memberAsWritten(name, member, key, t["field"].as<std::string>(""), base,
                          at(it.first, path + "." + key), chain);
        } else {
          chain.extracted[key] = member;
        }
      }
      if (name == "json") {
        out_.note(w,
                  "parse_json takes every member (nested ones as dotted names), not only the "
                  "expressions");
      }
    } else if (name == "labels") {
      YAML::Node t(YAML::NodeType::Map);
      t["type"] = "remap";
      for (const auto& it : s) {
        const std::string label = it.first.as<std::string>();
        std::string from = it.second.IsNull() ? label : it.second.as<std::string>("");
        if (from.empty()) from = label;
        t["copy"][fieldOf(chain, from)] = labelField(label);
        addLabelName(label);
      }
      add(base, w, t, chain);
    } else if (name == "static_labels") {
      YAML::Node t(YAML::NodeType::Map);
      t["type"] = "remap";
      for (const auto& it : s) {
        t["set"][labelField(it.first.as<std::string>())] = it.second.as<std::string>();
        addLabelName(it.first.as<std::string>());
      }
      add(base, w, t, chain);
    } else if (name == "labeldrop") {
      YAML::Node t(YAML::NodeType::Map);
      t["type"] = "remap";
      for (size_t i = 0; i < s.size(); ++i)
        t["delete"].push_back(labelField(s[i].as<std::string>()));
      add(base, w, t, chain);
    } else if (name == "timestamp") {
      timestamp(s, path, w, chain);
    } else if (name == "output") {
      // parse_regex's message group replaces the event's message: the line Loki gets.
      YAML::Node t(YAML::NodeType::Map);
      t["type"] = "parse_regex";
      t["field"] = fieldOf(chain, s["source"].as<std::string>(""));
      t["patterns"] = convert::list({"(?s)^(?P<message>.*)$"});
      add(base, w, t, chain);
      out_.note(w,
                "an entry without the source field is shipped as it was, with event.parse_error");
      chain.lines_changed = true;
    } else if (name == "template") {
      templateStage(s, path, w, base, chain);
    } else if (name == "match") {
      match(s, path, w, job, chain);
    } else if (name == "drop") {
      drop(s, path, w, base, chain);
    } else if (name == "multiline") {
      YAML::Node* src = chain.source.empty() ? nullptr : out_.options(chain.source);
      if (src == nullptr || chain.lines_changed) {
        out_.notTranslated(w,
                           "logship joins lines at the file source: multiline must come "
                           "before stages that change lines, in a scrape config of files");
        return;
      }
      std::string unsupported;
      YAML::Node m(YAML::NodeType::Map);
      m["start"] = toRe2(s["firstline"].as<std::string>(""), unsupported);
      if (!unsupported.empty()) {
        out_.notTranslated(w, "RE2 lacks " + unsupported);
        return;
      }
      if (s["max_wait_time"]) m["timeout"] = s["max_wait_time"].as<std::string>();
      if (s["max_lines"]) m["max_lines"] = s["max_lines"].as<int>();
      (*src)["multiline"] = m;
      out_.note(w, "moved to the file source " + chain.source);
    } else if (name == "cri") {
      YAML::Node* src = chain.source.empty() ? nullptr : out_.options(chain.source);
      if (src == nullptr || chain.lines_changed) {
        out_.notTranslated(w,
                           "logship reads CRI lines at the file source: cri must be the first "
                           "stage of a scrape config of files");
        return;
      }
      (*src)["format"] = "cri";  // a pod source has it already
      YAML::Node t(YAML::NodeType::Map);
      t["type"] = "remap";
      t["copy"]["stream"] = labelField("stream");
      addLabelName("stream");
      add(base, w, t, chain);
      chain.lines_changed = true;
    } else if (name == "docker") {
      YAML::Node json(YAML::NodeType::Map);
      json["type"] = "parse_json";
      add(base, w, json, chain);
      YAML::Node line(YAML::NodeType::Map);
      line["type"] = "parse_regex";
      line["field"] = "log";
      line["patterns"] = convert::list({"(?s)^(?P<message>.*?)\\n?$"});
      add(base + "_line", w, line, chain);
      YAML::Node labels(YAML::NodeType::Map);
      labels["type"] = "remap";
      labels["copy"]["stream"] = labelField("stream");
      addLabelName("stream");
      add(base + "_labels", w, labels, chain);
      chain.lines_changed = true;
    } else if (name == "metrics") {
      metrics(s, path, w, base, chain);
    } else if (name == "limit") {
      YAML::Node t(YAML::NodeType::Map);
      t["type"] = "throttle";
      t["threshold"] = s["rate"].as<std::string>("1");
      t["window"] = "1s";
      if (s["by_label_name"]) t["key"] = labelTemplate(s["by_label_name"].as<std::string>());
      if (s["max_distinct_labels"]) t["max_keys"] = s["max_distinct_labels"].as<std::string>();
      add(base, w, t, chain);
      if (!s["drop"].as<bool>(false)) {
        out_.note(w, "throttle drops entries over the rate; Promtail (drop: false) waits instead");
      }
      if (s["burst"])
        out_.note(at(s["burst"], path + ".burst"), "throttle has no burst: rate per 1s window");
    } else if (name == "sampling") {
      double rate = s["rate"].as<double>(1.0);
      YAML::Node t(YAML::NodeType::Map);
      t["type"] = "sample";
      t["rate"] = rate > 0 ? static_cast<int>(1.0 / rate + 0.5) : 1;
      add(base, w, t, chain);
    } else if (name == "structured_metadata") {
      out_.notTranslated(w, "the loki output sends no structured metadata besides trace ids");
    } else if (name == "replace") {
      out_.notTranslated(w, "no logship transform replaces parts of a value by a regex");
    } else {
      out_.notTranslated(w, "no logship transform does this stage");
    }
  }

  void timestamp(const YAML::Node& s, const std::string& path, const Where& w, Chain& chain) {
    const std::string source = s["source"].as<std::string>("");
    std::string why;
    std::optional<std::string> format = goLayoutToStrftime(s["format"].as<std::string>(""), why);
    if (!format) {
      out_.notTranslated(w, why);
      return;
    }
    if (!why.empty()) out_.note(w, why);
    if (s["location"]) {
      out_.notTranslated(at(s["location"], path + ".location"),
                         "logship takes fixed offsets (timezone_offset: +02:00), not zone names");
    }
    for (const char* key : {"fallback_formats", "action_on_failure"}) {
      if (s[key]) out_.note(at(s[key], path + "." + key), "an unparsable time keeps the read time");
    }
    auto captured = chain.captured_by.find(source);
    if (captured != chain.captured_by.end()) {
      YAML::Node* parser = out_.options(captured->second.first);
      std::vector<std::string> patterns;
      for (const YAML::Node& p : (*parser)["patterns"]) {
        std::string pattern = p.as<std::string>();
        renameGroup(pattern, captured->second.second, "timestamp");
        patterns.push_back(pattern);
      }
      (*parser)["patterns"] = convert::list(patterns);
      if (!format->empty()) (*parser)["timestamp_format"] = *format;
      chain.extracted[source] = "";
      out_.note(w, "the group " + source + " of " + captured->second.first +
                       " sets the time and is no longer a field");
      return;
    }
    const std::string field = fieldOf(chain, source);
    if ((field == "time" || field == "ts" || field == "timestamp" || field == "@timestamp") &&
        format->empty()) {
      out_.note(w, "the parser already takes the time from the member " + field);
      return;
    }
    out_.notTranslated(w,
                       "logship sets the time from a parse_regex group named timestamp, or "
                       "time/ts/timestamp members of JSON and logfmt in RFC 3339 or epoch form");
  }

  // Go templates of literal text and {{ .Name }} references, ToLower/ToUpper of .Value.
  void templateStage(const YAML::Node& s, const std::string& path, const Where& w,
                     const std::string& base, Chain& chain) {
    const std::string source = s["source"].as<std::string>("");
    const std::string tpl = s["template"].as<std::string>("");
    const std::string target = fieldOf(chain, source);
    YAML::Node t(YAML::NodeType::Map);
    t["type"] = "remap";
    auto trimmed = [](std::string x) {
      size_t a = x.find_first_not_of(' '), b = x.find_last_not_of(' ');
      return a == std::string::npos ? std::string() : x.substr(a, b - a + 1);
    };
    if (tpl.starts_with("{{") && tpl.ends_with("}}") && tpl.find("{{", 2) == std::string::npos) {
      std::string inner = trimmed(tpl.substr(2, tpl.size() - 4));
      if (inner == "ToLower .Value" || inner == ".Value | ToLower") {
        t["lowercase"].push_back(target);
        add(base, w, t, chain);
        chain.extracted[source] = target;
        return;
      }
    }
    std::string value;
    for (size_t i = 0; i < tpl.size();) {
      size_t open = tpl.find("{{", i);
      value += tpl.substr(i, open == std::string::npos ? std::string::npos : open - i);
      if (open == std::string::npos) break;
      size_t close = tpl.find("}}", open);
      std::string ref =
          close == std::string::npos ? "" : trimmed(tpl.substr(open + 2, close - open - 2));
      if (ref.size() < 2 || ref[0] != '.' || ref.find_first_of(" |()\"") != std::string::npos) {
        out_.notTranslated(w, "template functions and pipelines beyond {{ .Name }} and ToLower");
        return;
      }
      std::string name = ref.substr(1);
      value += "{" + (name == "Value" ? target : fieldOf(chain, name)) + "}";
      i = close + 2;
    }
    t["set"][target] = value;
    add(base, w, t, chain);
    chain.extracted[source] = target;
  }

  // A LogQL stream selector and line filters as a logship condition; nullopt when it uses more.
  std::optional<YAML::Node> selector(const std::string& text, const Where& w) {
    std::vector<YAML::Node> all;
    size_t open = text.find('{'), close = text.find('}');
    if (open == std::string::npos || close == std::string::npos) {
      out_.notTranslated(w, "a selector is {label=\"value\", ...} with optional line filters");
      return std::nullopt;
    }
    auto quoted = [&](size_t& i, std::string& out) {
      while (i < text.size() && text[i] == ' ') ++i;
      if (i >= text.size() || (text[i] != '"' && text[i] != '`')) return false;
      char q = text[i++];
      for (; i < text.size() && text[i] != q; ++i) {
        if (text[i] == '\\' && q == '"' && i + 1 < text.size()) ++i;
        out += text[i];
      }
      ++i;
      return true;
    };
    for (size_t i = open + 1; i < close;) {
      while (i < close && (text[i] == ' ' || text[i] == ',')) ++i;
      if (i >= close) break;
      size_t op = text.find_first_of("=!", i);
      std::string label = text.substr(i, op - i);
      while (!label.empty() && label.back() == ' ') label.pop_back();
      std::string oper = text.substr(op, 2);
      if (oper != "=~" && oper != "!=" && oper != "!~") oper = "=";
      i = op + oper.size();
      std::string value;
      if (!quoted(i, value)) {
        out_.notTranslated(w, "cannot read the selector " + text);
        return std::nullopt;
      }
      YAML::Node c(YAML::NodeType::Map);
      c["field"] = labelField(label);
      if (oper[1] == '~') {
        c["matches"] = "^(?:" + value + ")$";
      } else {
        c["equals"] = value;
      }
      if (oper[0] == '!') {
        YAML::Node n(YAML::NodeType::Map);
        n["not"] = c;
        c.reset(n);
      }
      all.push_back(c);
    }
    for (size_t i = close + 1; i < text.size();) {
      while (i < text.size() && text[i] == ' ') ++i;
      if (i >= text.size()) break;
      std::string oper = text.substr(i, 2);
      if (oper != "|=" && oper != "!=" && oper != "|~" && oper != "!~") {
        out_.notTranslated(w, "LogQL beyond line filters (|= != |~ !~): " + text.substr(i));
        return std::nullopt;
      }
      i += 2;
      std::string value;
      if (!quoted(i, value)) {
        out_.notTranslated(w, "cannot read the line filter in " + text);
        return std::nullopt;
      }
      YAML::Node c(YAML::NodeType::Map);
      c["field"] = "message";
      c["matches"] = oper[1] == '~' ? value : quoteRegex(value);
      if (oper[0] == '!') {
        YAML::Node n(YAML::NodeType::Map);
        n["not"] = c;
        c.reset(n);
      }
      all.push_back(c);
    }
    if (all.size() == 1) return all[0];
    YAML::Node both(YAML::NodeType::Map);
    for (YAML::Node& c : all) both["all"].push_back(c);
    return both;
  }

  void match(const YAML::Node& s, const std::string& path, const Where& w, const std::string& job,
             Chain& chain) {
    std::optional<YAML::Node> when = selector(s["selector"].as<std::string>(""), w);
    if (!when) return;
    if (s["action"].as<std::string>("keep") == "drop") {
      YAML::Node f(YAML::NodeType::Map);
      f["type"] = "filter";
      f["action"] = "drop";
      f["when"] = *when;
      if (s["drop_counter_reason"]) f["reason"] = s["drop_counter_reason"].as<std::string>();
      add(job + "_match_drop", w, f, chain);
      return;
    }
    YAML::Node r(YAML::NodeType::Map);
    r["type"] = "route";
    r["routes"]["matched"] = *when;
    const std::string route = add(job + "_match", w, r, chain);
    Chain inner = chain;
    inner.heads = {route + ".matched"};
    inner.lines_changed = true;
    std::string name = s["pipeline_name"].as<std::string>(job);
    stages(s["stages"], path + ".stages", name, inner);
    chain.extracted = inner.extracted;
    chain.captured_by = inner.captured_by;
    chain.heads = inner.heads;
    chain.heads.push_back(route + "._unmatched");
    chain.lines_changed = true;
  }

  void drop(const YAML::Node& s, const std::string& path, const Where& w, const std::string& base,
            Chain& chain) {
    std::vector<YAML::Node> all;
    const std::string field =
        s["source"] ? fieldOf(chain, s["source"].as<std::string>()) : "message";
    if (s["expression"]) {
      std::string unsupported;
      std::string re = toRe2(s["expression"].as<std::string>(), unsupported);
      if (!unsupported.empty()) {
        out_.notTranslated(w, "RE2 lacks " + unsupported);
        return;
      }
      YAML::Node c(YAML::NodeType::Map);
      c["field"] = field;
      c["matches"] = re;
      all.push_back(c);
    } else if (s["value"]) {
      YAML::Node c(YAML::NodeType::Map);
      c["field"] = field;
      c["equals"] = s["value"].as<std::string>();
      all.push_back(c);
    } else if (s["source"]) {
      YAML::Node c(YAML::NodeType::Map);
      c["field"] = field;
      c["exists"] = true;
      all.push_back(c);
    }
    for (const char* key : {"older_than", "longer_than"}) {
      if (s[key]) {
        out_.notTranslated(at(s[key], path + "." + key),
                           "conditions test field values, not an entry's age or length");
        return;
      }
    }
    if (all.empty()) {
      out_.notTranslated(w, "a drop stage without a condition logship can express");
      return;
    }
    YAML::Node f(YAML::NodeType::Map);
    f["type"] = "filter";
    f["action"] = "drop";
    f["when"] = all[0];
    if (s["drop_counter_reason"]) f["reason"] = s["drop_counter_reason"].as<std::string>();
    add(base, w, f, chain);
  }

  void metrics(const YAML::Node& s, const std::string& path, const Where& w,
               const std::string& base, Chain& chain) {
    YAML::Node t(YAML::NodeType::Map);
    t["type"] = "log_to_metric";
    for (const auto& it : s) {
      const std::string name = it.first.as<std::string>();
      const YAML::Node m = it.second;
      const Where mw = at(it.first, path + "." + name);
      std::string type = m["type"].as<std::string>("");
      std::transform(type.begin(), type.end(), type.begin(), ::tolower);
      const YAML::Node config = m["config"];
      const std::string action = config["action"].as<std::string>("");
      YAML::Node metric(YAML::NodeType::Map);
      metric["type"] = type;
      metric["name"] = m["prefix"].as<std::string>("promtail_custom_") + name;
      if (m["description"]) metric["help"] = m["description"].as<std::string>();
      const std::string source = m["source"].as<std::string>(name);
      const std::string field = fieldOf(chain, source);
      if (type == "counter") {
        if (config["count_entry_bytes"].as<bool>(false)) {
          out_.notTranslated(mw, "log_to_metric counts events or adds a field's value, not bytes");
          continue;
        }
        if (config["value"]) {
          metric["when"]["field"] = field;
          metric["when"]["equals"] = config["value"].as<std::string>();
        } else if (!config["match_all"].as<bool>(false)) {
          metric["when"]["field"] = field;
          metric["when"]["exists"] = true;
        }
        if (action == "add") {
          metric["field"] = field;
        } else if (action != "inc") {
          out_.notTranslated(mw, "counter action " + action);
          continue;
        }
      } else if (type == "histogram") {
        metric["field"] = field;
        if (config["buckets"]) metric["buckets"] = config["buckets"];
      } else if (type == "gauge" && action == "set") {
        metric["field"] = field;
      } else {
        out_.notTranslated(mw, "log_to_metric has counters, histograms and gauges that are set");
        continue;
      }
      YAML::Node labels(YAML::NodeType::Map);
      for (const std::string& l : label_names_) labels[l] = labelTemplate(l);
      if (labels.size() > 0) metric["labels"] = labels;
      t["metrics"].push_back(metric);
    }
    if (t["metrics"]) add(base, w, t, chain);
  }

  const std::string file_;
  PipelineBuilder& out_;
  std::vector<std::string> label_names_;
  std::vector<std::string> heads_;
};

}  // namespace

bool convertPromtail(const std::string& path, PipelineBuilder& out, std::string& error) {
  return convertYamlFile<Promtail>(path, out, error);
}

}  // namespace logship::convert
