#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/support/units.h"

namespace logship {

// Where a config value was written; printed as `file:line:column` (1-based).
struct Location {
  std::shared_ptr<const std::string> file;
  int line = 0;
  int column = 0;
  std::string str() const;
};

// Collects every config error so one `validate` run reports them all.
class Diagnostics {
 public:
  void error(const Location& where, std::string_view message);
  void warning(const Location& where, std::string_view message);
  bool ok() const { return errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
};

// A YAML node plus the file it came from. Scalars are read through scalar(), which applies
// `${VAR}`, `${VAR:-default}` and `$$` interpolation, so every location stays exact.
class ConfigNode {
 public:
  ConfigNode() = default;
  ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file)
      : node_(std::move(node)), file_(std::move(file)) {}

  bool defined() const { return node_.IsDefined() && !node_.IsNull(); }
  bool isMap() const { return node_.IsMap(); }
  bool isSequence() const { return node_.IsSequence(); }
  bool isScalar() const { return node_.IsScalar(); }
  Location location() const;
  const std::shared_ptr<const std::string>& file() const { return file_; }
  const YAML::Node& yaml() const { return node_; }

  ConfigNode operator[](std::string_view key) const;
  // Map entries as (key node, value node), in file order.
  std::vector<std::pair<ConfigNode, ConfigNode>> entries() const;
  std::vector<ConfigNode> items() const;
  // The interpolated scalar text; reports an error (and returns nullopt) for non-scalars.
  std::optional<std::string> scalar(Diagnostics& diag) const;

 private:
  YAML::Node node_;
  std::shared_ptr<const std::string> file_;
};

std::optional<std::string> interpolateEnv(std::string_view text, std::string* error);

// Typed readers used by option tables and by components that read nested structures themselves.
bool readValue(const ConfigNode& node, std::string& out, Diagnostics& diag);
bool readValue(const ConfigNode& node, int64_t& out, Diagnostics& diag);
bool readValue(const ConfigNode& node, double& out, Diagnostics& diag);
bool readValue(const ConfigNode& node, bool& out, Diagnostics& diag);
bool readValue(const ConfigNode& node, Duration& out, Diagnostics& diag);
bool readValue(const ConfigNode& node, ByteSize& out, Diagnostics& diag);
bool readValue(const ConfigNode& node, std::vector<std::string>& out, Diagnostics& diag);
bool readValue(const ConfigNode& node, std::map<std::string, std::string>& out, Diagnostics& diag);
bool readValue(const ConfigNode& node, ConfigNode& out, Diagnostics& diag);

std::string describeValue(const std::string& v);
std::string describeValue(int64_t v);
std::string describeValue(double v);
std::string describeValue(bool v);
std::string describeValue(Duration v);
std::string describeValue(const ByteSize& v);
std::string describeValue(const std::vector<std::string>& v);
std::string describeValue(const std::map<std::string, std::string>& v);
std::string describeValue(const ConfigNode& v);

template <class T>
const char* typeName();
template <>
const char* typeName<std::string>();
template <>
const char* typeName<int64_t>();
template <>
const char* typeName<double>();
template <>
const char* typeName<bool>();
template <>
const char* typeName<Duration>();
template <>
const char* typeName<ByteSize>();
template <>
const char* typeName<std::vector<std::string>>();
template <>
const char* typeName<std::map<std::string, std::string>>();
template <>
const char* typeName<ConfigNode>();

// One documented option: what the config reference prints.
struct OptionDoc {
  std::string key;
  std::string type;
  bool required = false;
  std::string default_value;
  std::string doc;
};

// The single declarative table of a component's options: it parses YAML into the config struct,
// applies defaults (the struct's member initialisers), rejects unknown or missing options with
// file:line:column, restricts enumerated values, and generates the config reference.
template <class C>
class OptionTable {
 public:
  template <class T>
  OptionTable& optional(const char* key, T C::*member, const char* doc) {
    return add(key, member, doc, false, {});
  }
  template <class T>
  OptionTable& required(const char* key, T C::*member, const char* doc) {
    return add(key, member, doc, true, {});
  }
  // A string option limited to `choices`.
  OptionTable& oneOf(const char* key, std::string C::*member, std::vector<std::string> choices,
                     const char* doc) {
    return add(key, member, doc, false, std::move(choices));
  }
  // Cross-option validation that runs after all options were read.
  OptionTable& check(std::function<void(const C&, const ConfigNode&, Diagnostics&)> fn) {
    checks_.push_back(std::move(fn));
    return *this;
  }

  C parse(const ConfigNode& component, Diagnostics& diag,
          const std::vector<std::string_view>& reserved_keys) const {
    C config{};
    std::vector<bool> seen(specs_.size(), false);
    for (auto& [key_node, value] : component.entries()) {
      std::string key = key_node.yaml().Scalar();
      bool reserved = false;
      for (auto r : reserved_keys) reserved = reserved || r == key;
      if (reserved) continue;
      size_t i = 0;
      while (i < specs_.size() && key != specs_[i].doc.key) ++i;
      if (i == specs_.size()) {
        diag.error(key_node.location(), "unknown option '" + key + "'" + knownKeys());
        continue;
      }
      seen[i] = true;
      specs_[i].set(value, config, diag);
    }
    for (size_t i = 0; i < specs_.size(); ++i) {
      if (specs_[i].doc.required && !seen[i]) {
        diag.error(component.location(), "missing required option '" + specs_[i].doc.key + "'");
      }
    }
    for (auto& fn : checks_) fn(config, component, diag);
    return config;
  }

  std::vector<OptionDoc> docs() const {
    std::vector<OptionDoc> out;
    for (auto& s : specs_) out.push_back(s.doc);
    return out;
  }

 private:
  struct Spec {
    OptionDoc doc;
    std::function<void(const ConfigNode&, C&, Diagnostics&)> set;
  };

  template <class T>
  OptionTable& add(const char* key, T C::*member, const char* doc, bool required,
                   std::vector<std::string> choices) {
    Spec spec;
    spec.doc.key = key;
    spec.doc.type = typeName<T>();
    spec.doc.required = required;
    spec.doc.doc = doc;
    if (!required) spec.doc.default_value = describeValue(C{}.*member);
    if (!choices.empty()) {
      spec.doc.type.clear();
      for (auto& c : choices) spec.doc.type += (spec.doc.type.empty() ? "" : " | ") + c;
    }
    spec.set = [member, choices](const ConfigNode& node, C& config, Diagnostics& diag) {
      T value{};
      if (!readValue(node, value, diag)) return;
      if constexpr (std::is_same_v<T, std::string>) {
        if (!choices.empty()) {
          bool ok = false;
          for (auto& c : choices) ok = ok || c == value;
          if (!ok) {
            std::string list;
            for (auto& c : choices) list += (list.empty() ? "" : ", ") + c;
            diag.error(node.location(), "'" + value + "' is not one of: " + list);
            return;
          }
        }
      }
      config.*member = std::move(value);
    };
    specs_.push_back(std::move(spec));
    return *this;
  }

  std::string knownKeys() const {
    std::string s = " (known: ";
    for (size_t i = 0; i < specs_.size(); ++i) s += (i ? ", " : "") + specs_[i].doc.key;
    return s + ")";
  }

  std::vector<Spec> specs_;
  std::vector<std::function<void(const C&, const ConfigNode&, Diagnostics&)>> checks_;
};

// A retention tier from the top-level `tiers` section.
struct TierSpec {
  std::string name;
  Duration retention{};
  bool legal_hold = false;
};

// The admin HTTP server (the top-level `admin` section).
struct AdminSettings {
  std::string address = "127.0.0.1:9555";
  bool enabled = true;
  // auth.token_file: the Bearer token the control endpoints (/tap, /status, /reload) require.
  std::string token_file;
  // /metrics answers without the token (Prometheus scrapes it); false puts it behind the token.
  bool metrics_public = true;
  // tls: serve HTTPS with this certificate chain and key (PEM).
  std::string tls_cert_file;
  std::string tls_key_file;

  bool operator==(const AdminSettings&) const = default;
};

// A named list of the top-level `lists` section (addresses and CIDRs, domains, file hashes, one
// a line or a CSV column), which conditions test fields against (`in_list: NAME`).
struct SharedListSpec {
  std::string name;
  std::string path;
  std::string format = "plain";  // plain | csv
  std::string column;            // csv: a header name, or a number counted from 1
  Duration reload_interval = std::chrono::seconds(10);
  Location where;  // of `path`, for errors in the file
};

// Settings outside the component graph, shared by every component.
struct GlobalConfig {
  std::string data_dir = "/var/lib/logship";
  AdminSettings admin;
  std::vector<TierSpec> tiers;
  std::vector<SharedListSpec> lists;
  std::string host_name;

  // Index of a tier by name, or -1.
  int tierIndex(std::string_view name) const;
};

}  // namespace logship
