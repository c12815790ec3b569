#include "agent/api/config.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace logship {

std::string Location::str() const {
  return (file ? *file : std::string("<config>")) + ":" + std::to_string(line) + ":" +
         std::to_string(column);
}

void Diagnostics::error(const Location& where, std::string_view message) {
  errors_.push_back(where.str() + ": " + std::string(message));
}

void Diagnostics::warning(const Location& where, std::string_view message) {
  warnings_.push_back(where.str() + ": " + std::string(message));
}

Location ConfigNode::location() const {
  YAML::Mark mark = node_.Mark();
  // yaml-cpp marks are 0-based; a node without a mark (synthesised) reports line 0.
  return Location{file_, mark.line + 1, mark.column + 1};
}

ConfigNode ConfigNode::operator[](std::string_view key) const {
  if (!node_.IsMap()) return ConfigNode(YAML::Node(YAML::NodeType::Undefined), file_);
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return ConfigNode(it->second, file_);
  }
  return ConfigNode(YAML::Node(YAML::NodeType::Undefined), file_);
}

std::vector<std::pair<ConfigNode, ConfigNode>> ConfigNode::entries() const {
  std::vector<std::pair<ConfigNode, ConfigNode>> out;
  if (!node_.IsMap()) return out;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    out.emplace_back(ConfigNode(it->first, file_), ConfigNode(it->second, file_));
  }
  return out;
}

std::vector<ConfigNode> ConfigNode::items() const {
  std::vector<ConfigNode> out;
  if (!node_.IsSequence()) return out;
  for (auto it = node_.begin(); it != node_.end(); ++it) out.emplace_back(*it, file_);
  return out;
}

std::optional<std::string> ConfigNode::scalar(Diagnostics& diag) const {
  if (!node_.IsScalar()) {
    diag.error(location(), "expected a single value");
    return std::nullopt;
  }
  std::string error;
  auto text = interpolateEnv(node_.Scalar(), &error);
  if (!text) diag.error(location(), error);
  return text;
}

std::optional<std::string> interpolateEnv(std::string_view text, std::string* error) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += '$';
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      *error = "unterminated ${ in '" + std::string(text) + "'";
      return std::nullopt;
    }
    std::string_view expr = text.substr(i + 2, close - i - 2);
    std::string_view name = expr;
    std::optional<std::string_view> fallback;
    if (size_t sep = expr.find(":-"); sep != std::string_view::npos) {
      name = expr.substr(0, sep);
      fallback = expr.substr(sep + 2);
    }
    bool valid = !name.empty();
    for (char c : name) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!valid) {
      *error = "bad environment variable name '" + std::string(name) + "'";
      return std::nullopt;
    }
    const char* value = std::getenv(std::string(name).c_str());
    if (value != nullptr && (*value != '\0' || !fallback)) {
      out += value;
    } else if (fallback) {
      out += *fallback;
    } else {
      *error = "environment variable " + std::string(name) + " is not set (write ${" +
               std::string(name) + ":-default} for a default)";
      return std::nullopt;
    }
    i = close;
  }
  return out;
}

bool readValue(const ConfigNode& node, std::string& out, Diagnostics& diag) {
  auto text = node.scalar(diag);
  if (!text) return false;
  out = std::move(*text);
  return true;
}

bool readValue(const ConfigNode& node, int64_t& out, Diagnostics& diag) {
  auto text = node.scalar(diag);
  if (!text) return false;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
  if (ec != std::errc() || ptr != text->data() + text->size()) {
    diag.error(node.location(), "expected an integer, got '" + *text + "'");
    return false;
  }
  return true;
}

bool readValue(const ConfigNode& node, double& out, Diagnostics& diag) {
  auto text = node.scalar(diag);
  if (!text) return false;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
  if (ec != std::errc() || ptr != text->data() + text->size()) {
    diag.error(node.location(), "expected a number, got '" + *text + "'");
    return false;
  }
  return true;
}

bool readValue(const ConfigNode& node, bool& out, Diagnostics& diag) {
  auto text = node.scalar(diag);
  if (!text) return false;
  if (*text == "true" || *text == "yes" || *text == "on") {
    out = true;
  } else if (*text == "false" || *text == "no" || *text == "off") {
    out = false;
  } else {
    diag.error(node.location(), "expected true or false, got '" + *text + "'");
    return false;
  }
  return true;
}

bool readValue(const ConfigNode& node, Duration& out, Diagnostics& diag) {
  auto text = node.scalar(diag);
  if (!text) return false;
  auto d = parseDuration(*text);
  if (!d) {
    diag.error(node.location(),
               "expected a duration like 500ms, 10s, 5m, 7d or 2y, got '" + *text + "'");
    return false;
  }
  out = *d;
  return true;
}

bool readValue(const ConfigNode& node, ByteSize& out, Diagnostics& diag) {
  auto text = node.scalar(diag);
  if (!text) return false;
  auto b = parseByteSize(*text);
  if (!b) {
    diag.error(node.location(),
               "expected a size like 1048576, 64KiB or 10GiB, got '" + *text + "'");
    return false;
  }
  out.bytes = *b;
  return true;
}

bool readValue(const ConfigNode& node, std::vector<std::string>& out, Diagnostics& diag) {
  out.clear();
  if (node.isScalar()) {
    auto text = node.scalar(diag);
    if (!text) return false;
    out.push_back(std::move(*text));
    return true;
  }
  if (!node.isSequence()) {
    diag.error(node.location(), "expected a list of values");
    return false;
  }
  bool ok = true;
  for (const ConfigNode& item : node.items()) {
    auto text = item.scalar(diag);
    if (text) {
      out.push_back(std::move(*text));
    } else {
      ok = false;
    }
  }
  return ok;
}

bool readValue(const ConfigNode& node, std::map<std::string, std::string>& out, Diagnostics& diag) {
  out.clear();
  if (!node.isMap()) {
    diag.error(node.location(), "expected a map of names to values");
    return false;
  }
  bool ok = true;
  for (auto& [key, value] : node.entries()) {
    auto v = value.scalar(diag);
    if (v) {
      out[key.yaml().Scalar()] = std::move(*v);
    } else {
      ok = false;
    }
  }
  return ok;
}

bool readValue(const ConfigNode& node, ConfigNode& out, Diagnostics&) {
  out = node;
  return true;
}

std::string describeValue(const std::string& v) { return v.empty() ? "" : "\"" + v + "\""; }
std::string describeValue(int64_t v) { return std::to_string(v); }
std::string describeValue(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}
std::string describeValue(bool v) { return v ? "true" : "false"; }
std::string describeValue(Duration v) { return formatDuration(v); }
std::string describeValue(const ByteSize& v) {
  uint64_t b = v.bytes;
  if (b && b % 1073741824 == 0) return std::to_string(b / 1073741824) + "GiB";
  if (b && b % 1048576 == 0) return std::to_string(b / 1048576) + "MiB";
  if (b && b % 1024 == 0) return std::to_string(b / 1024) + "KiB";
  return std::to_string(b);
}
std::string describeValue(const std::vector<std::string>& v) {
  if (v.empty()) return "";
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s + "]";
}
std::string describeValue(const std::map<std::string, std::string>& v) {
  return v.empty() ? "" : "{...}";
}
std::string describeValue(const ConfigNode&) { return ""; }

template <>
const char* typeName<std::string>() {
  return "string";
}
template <>
const char* typeName<int64_t>() {
  return "integer";
}
template <>
const char* typeName<double>() {
  return "number";
}
template <>
const char* typeName<bool>() {
  return "bool";
}
template <>
const char* typeName<Duration>() {
  return "duration";
}
template <>
const char* typeName<ByteSize>() {
  return "size";
}
template <>
const char* typeName<std::vector<std::string>>() {
  return "list";
}
template <>
const char* typeName<std::map<std::string, std::string>>() {
  return "map";
}
template <>
const char* typeName<ConfigNode>() {
  return "object";
}

int GlobalConfig::tierIndex(std::string_view name) const {
  for (size_t i = 0; i < tiers.size(); ++i) {
    if (tiers[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace logship
