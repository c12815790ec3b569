#include "agent/cli/convert/pipeline_builder.h"

#include <algorithm>
#include <sstream>

namespace logship::convert {

std::string Where::text() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Where whereOf(const std::string& file, const YAML::Node& node, std::string path) {
  Where w{file, 0, 0, std::move(path)};
  if (node.IsDefined() && node.Mark().line >= 0) {
    w.line = node.Mark().line + 1;
    w.column = node.Mark().column + 1;
  }
  return w;
}

std::string PipelineBuilder::uniqueId(const std::string& base) {
  std::string id;
  for (char c : base) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (word) {
      id.push_back(c);
    } else if (!id.empty() && id.back() != '_') {
      id.push_back('_');
    }
  }
  while (!id.empty() && id.back() == '_') id.pop_back();
  if (id.empty()) id = "component";
  std::string candidate = id;
  for (int n = 2; std::find(ids_.begin(), ids_.end(), candidate) != ids_.end(); ++n) {
    candidate = id + "_" + std::to_string(n);
  }
  ids_.push_back(candidate);
  return candidate;
}

namespace {

std::string originText(const Where& from) {
  std::string out = from.file;
  if (from.line > 0) out += ":" + std::to_string(from.line);
  if (!from.path.empty()) out += " " + from.path;
  return out;
}

YAML::Node withInputs(YAML::Node options, const std::vector<std::string>& inputs) {
  // type first, inputs second, then the rest: how the pipeline files of the README read.
  YAML::Node ordered(YAML::NodeType::Map);
  ordered["type"] = options["type"];
  ordered["inputs"] = list(inputs);
  for (const auto& it : options) {
    std::string key = it.first.as<std::string>();
    if (key != "type" && key != "inputs") ordered[key] = it.second;
  }
  return ordered;
}

}  // namespace

std::string PipelineBuilder::addSource(const std::string& base, const Where& from,
                                       YAML::Node options) {
  std::string id = uniqueId(base);
  sources_.push_back({id, originText(from), options});
  return id;
}

std::string PipelineBuilder::addTransform(const std::string& base, const Where& from,
                                          YAML::Node options,
                                          const std::vector<std::string>& inputs) {
  return addReader(transforms_, base, from, options, inputs);
}

std::string PipelineBuilder::addOutput(const std::string& base, const Where& from,
                                       YAML::Node options, const std::vector<std::string>& inputs) {
  return addReader(outputs_, base, from, options, inputs);
}

std::string PipelineBuilder::addReader(std::vector<Component>& group, const std::string& base,
                                       const Where& from, YAML::Node options,
                                       const std::vector<std::string>& inputs) {
  std::string id = uniqueId(base);
  group.push_back({id, originText(from), withInputs(options, inputs)});
  return id;
}

YAML::Node* PipelineBuilder::options(const std::string& id) {
  for (auto* group : {&sources_, &transforms_, &outputs_}) {
    for (Component& c : *group) {
      if (c.id == id) return &c.options;
    }
  }
  return nullptr;
}

void PipelineBuilder::setGlobal(const std::string& key, YAML::Node value, const Where& from) {
  for (size_t i = 0; i < globals_.size(); ++i) {
    if (globals_[i].first == key) {
      globals_[i].second = value;
      global_origins_[i] = originText(from);
      return;
    }
  }
  globals_.emplace_back(key, value);
  global_origins_.push_back(originText(from));
}

void PipelineBuilder::notTranslated(const Where& where, const std::string& why) {
  problems_.push_back({where, true, why});
  ++untranslated_;
}

void PipelineBuilder::note(const Where& where, const std::string& what) {
  problems_.push_back({where, false, what});
}

std::string flowYaml(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

YAML::Node list(const std::vector<std::string>& values) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (const std::string& v : values) node.push_back(v);
  return node;
}

std::string PipelineBuilder::render(const std::string& input_name) const {
  std::ostringstream out;
  out << "# logship pipeline converted from " << input_name << " (" << tool_
      << ") by `logship convert`.\n"
      << "# What could not be translated is listed on stderr and in the comments below.\n";
  for (size_t i = 0; i < globals_.size(); ++i) {
    out << "# " << global_origins_[i] << "\n"
        << globals_[i].first << ": " << flowYaml(globals_[i].second) << "\n";
  }
  auto section = [&](const char* name, const std::vector<Component>& components) {
    if (components.empty()) return;
    out << "\n" << name << ":\n";
    for (const Component& c : components) {
      out << "  # " << c.origin << "\n  " << c.id << ":\n";
      for (const auto& it : c.options) {
        out << "    " << it.first.as<std::string>() << ": " << flowYaml(it.second) << "\n";
      }
    }
  };
  section("sources", sources_);
  section("transforms", transforms_);
  section("outputs", outputs_);
  if (!problems_.empty()) {
    out << "\n# Not translated or translated with a difference:\n";
    for (const Problem& p : problems_) {
      out << "#   " << p.where.text() << ": " << (p.untranslated ? "not translated: " : "note: ")
          << (p.where.path.empty() ? "" : p.where.path + ": ") << p.text << "\n";
    }
  }
  return out.str();
}

std::string PipelineBuilder::problems() const {
  std::string out;
  for (const Problem& p : problems_) {
    out += p.where.text() + ": " + (p.untranslated ? "not translated: " : "note: ") +
           (p.where.path.empty() ? "" : p.where.path + ": ") + p.text + "\n";
  }
  return out;
}

std::string ipListenAddress(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  const std::string host = host_port.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : host_port.substr(colon);
  if (host.empty()) return "0.0.0.0" + port;
  if (host == "localhost") return "127.0.0.1" + port;
  return host_port;
}

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::string basicAuthorization(const std::string& user, const std::string& password) {
  return "Basic " + base64(user + ":" + password);
}

std::string toRe2(const std::string& pattern, std::string& unsupported) {
  std::string out;
  std::vector<std::string> missing;
  auto lacks = [&](const std::string& what) {
    if (std::find(missing.begin(), missing.end(), what) == missing.end()) missing.push_back(what);
  };
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      char n = pattern[i + 1];
      if (!in_class && n >= '1' && n <= '9') lacks("back-references (\\" + std::string(1, n) + ")");
      if (n == 'h') {  // Onigmo's \h is a hex digit; RE2 has none such
        out += "[0-9a-fA-F]";
        ++i;
        continue;
      }
      out += c;
      out += n;
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (c == '(' && i + 2 < pattern.size() && pattern[i + 1] == '?') {
      char k = pattern[i + 2];
      if (k == '<' && i + 3 < pattern.size() && pattern[i + 3] != '=' && pattern[i + 3] != '!') {
        out += "(?P<";
        i += 2;
        continue;
      }
      if (k == '=' || k == '!') lacks("look-ahead (?" + std::string(1, k) + "...)");
      if (k == '<') lacks("look-behind (?<" + std::string(1, pattern[i + 3]) + "...)");
      if (k == '>') lacks("atomic groups (?>...)");
    }
    if ((c == '+' || c == '*' || c == '?' || c == '}') && i + 1 < pattern.size() &&
        pattern[i + 1] == '+') {
      lacks("possessive quantifiers (" + std::string(1, c) + "+)");
    }
    out += c;
  }
  unsupported.clear();
  for (const std::string& m : missing) unsupported += (unsupported.empty() ? "" : ", ") + m;
  return out;
}

bool renameGroup(std::string& pattern, const std::string& from, const std::string& to) {
  const std::string needle = "(?P<" + from + ">";
  size_t at = pattern.find(needle);
  if (at == std::string::npos) return false;
  pattern.replace(at, needle.size(), "(?P<" + to + ">");
  return true;
}

std::vector<std::string> groupNames(const std::string& pattern) {
  std::vector<std::string> names;
  for (size_t at = pattern.find("(?P<"); at != std::string::npos;
       at = pattern.find("(?P<", at + 1)) {
    size_t end = pattern.find('>', at);
    if (end == std::string::npos) break;
    names.push_back(pattern.substr(at + 4, end - at - 4));
  }
  return names;
}

}  // namespace logship::convert
