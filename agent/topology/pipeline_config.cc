#include "agent/topology/pipeline_config.h"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "agent/support/files.h"

namespace logship {
namespace {

namespace fs = std::filesystem;

// `path` itself, or the *.yaml and *.yml files of a directory in name order; empty when there
// is nothing to read.
std::vector<std::string> yamlFilesOf(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    // Regular files only: a device or a FIFO would never end.
    return fs::is_regular_file(path, ec) ? std::vector<std::string>{path}
                                         : std::vector<std::string>{};
  }
  std::vector<std::string> files;
  for (auto& entry : fs::directory_iterator(path, ec)) {
    std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

class Loader {
 public:
  explicit Loader(Diagnostics& diag) : diag_(diag) {}

  // Names an included file's components use for their inputs, bound to ids of the including
  // pipeline (`include: [{path: ..., inputs: {auth: parse_auth}}]`).
  using Bindings = std::map<std::string, std::vector<InputRef>>;

  void addText(const std::string& text, const std::string& name, const Bindings& bindings = {}) {
    auto file = std::make_shared<const std::string>(name);
    config_.files.push_back(name);
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      diag_.error(Location{file, e.mark.line + 1, e.mark.column + 1}, e.msg);
      return;
    }
    ConfigNode top(root, file);
    if (!root.IsDefined() || root.IsNull()) return;  // an empty file adds nothing
    if (!root.IsMap()) {
      diag_.error(top.location(), "a pipeline file must be a map of sections");
      return;
    }
    for (auto& [key, value] : top.entries()) {
      std::string name = key.yaml().Scalar();
      if (name == "sources") {
        addComponents(value, ComponentKind::kSource, bindings);
      } else if (name == "transforms") {
        addComponents(value, ComponentKind::kTransform, bindings);
      } else if (name == "outputs") {
        addComponents(value, ComponentKind::kOutput, bindings);
      } else if (name == "include") {
        readIncludes(value, name_dir(*file));
      } else if (name == "data_dir") {
        setOnce(key, value, "data_dir",
                [&](const ConfigNode& v) { readValue(v, config_.global.data_dir, diag_); });
      } else if (name == "admin") {
        setOnce(key, value, "admin", [&](const ConfigNode& v) { readAdmin(v); });
      } else if (name == "tiers") {
        setOnce(key, value, "tiers", [&](const ConfigNode& v) { readTiers(v); });
      } else if (name == "lists") {
        setOnce(key, value, "lists", [&](const ConfigNode& v) { readLists(v); });
      } else if (name == "workers") {
        setOnce(key, value, "workers", [&](const ConfigNode& v) {
          int64_t n = 0;
          if (readValue(v, n, diag_)) {
            if (n < 0 || n > 256) {
              diag_.error(v.location(), "workers must be between 0 (one per usable CPU) and 256");
            } else {
              config_.workers = static_cast<size_t>(n);
            }
          }
        });
      } else if (name == "shutdown_timeout") {
        setOnce(key, value, "shutdown_timeout",
                [&](const ConfigNode& v) { readValue(v, config_.shutdown_timeout, diag_); });
      } else {
        diag_.error(key.location(),
                    "unknown section '" + name +
                        "' (known: data_dir, admin, tiers, lists, workers, shutdown_timeout, "
                        "include, sources, transforms, outputs)");
      }
    }
  }

  PipelineConfig finish() {
    expandInputPatterns();
    return std::move(config_);
  }

 private:
  static constexpr size_t kMaxIncludeDepth = 8;

  static fs::path name_dir(const std::string& file) {
    fs::path p(file);
    return p.has_parent_path() ? p.parent_path() : fs::path(".");
  }

  // include: [PATH, {path: PATH, inputs: {NAME: ID or [IDS]}}, ...]; a relative PATH is read
  // from the including file's directory, a directory adds its *.yaml files.
  void readIncludes(const ConfigNode& v, const fs::path& dir) {
    if (!v.isSequence()) {
      diag_.error(v.location(), "include takes a list of files, like [detections/ssh.yaml]");
      return;
    }
    for (const ConfigNode& item : v.items()) {
      std::string path;
      Bindings bindings;
      // (ConfigNode assignment writes through to the YAML node: pick, do not reassign.)
      const ConfigNode where = item.isMap() ? item["path"] : item;
      if (item.isMap()) {
        if (!where.defined()) {
          diag_.error(item.location(), "an include needs a path");
          continue;
        }
        readSection(item, "an include", "path, inputs",
                    [&](const std::string& n, const ConfigNode& x) {
                      if (n == "path") return true;
                      if (n != "inputs") return false;
                      readBindings(x, bindings);
                      return true;
                    });
      }
      if (!readValue(where, path, diag_)) continue;
      fs::path full = fs::path(path).is_relative() ? dir / path : fs::path(path);
      std::error_code ec;
      fs::path canonical = fs::weakly_canonical(full, ec);
      const std::string key = ec ? full.string() : canonical.string();
      if (std::find(including_.begin(), including_.end(), key) != including_.end()) {
        diag_.error(where.location(), "'" + path + "' includes itself");
        continue;
      }
      if (including_.size() >= kMaxIncludeDepth) {
        diag_.error(where.location(), "includes nested more than " +
                                          std::to_string(kMaxIncludeDepth) + " deep");
        continue;
      }
      std::vector<std::string> files = yamlFilesOf(full.string());
      if (files.empty()) {
        diag_.error(where.location(), "cannot include '" + path + "': " +
                                          (fs::is_directory(full, ec) ? "no *.yaml files in it"
                                          : fs::exists(full, ec) ? "not a regular file"
                                                                 : "no such file or directory"));
        continue;
      }
      including_.push_back(key);
      for (const std::string& f : files) {
        std::optional<std::string> text = readWholeFile(f);
        if (!text) {
          diag_.error(where.location(),
                      "cannot read included '" + f + "': " + std::strerror(errno));
          continue;
        }
        addText(*text, f, bindings);
      }
      including_.pop_back();
    }
  }

  void readBindings(const ConfigNode& v, Bindings& bindings) {
    if (!v.isMap()) {
      diag_.error(v.location(), "inputs of an include map its names to ids, like {auth: parse_auth}");
      return;
    }
    for (auto& [k, value] : v.entries()) {
      std::vector<InputRef>& refs = bindings[k.yaml().Scalar()];
      for (const ConfigNode& id : value.isSequence() ? value.items() : std::vector{value}) {
        if (auto text = id.scalar(diag_)) refs.push_back({*text, id});
      }
    }
  }

  // `inputs: ["ssh_*"]` reads every source and transform whose id matches (shell patterns).
  void expandInputPatterns() {
    for (ComponentConfig& c : config_.components) {
      std::vector<InputRef> expanded;
      for (InputRef& in : c.inputs) {
        if (in.name.find_first_of("*?[") == std::string::npos) {
          expanded.push_back(std::move(in));
          continue;
        }
        bool matched = false;
        for (const ComponentConfig& other : config_.components) {
          if (other.kind == ComponentKind::kOutput || other.id == c.id) continue;
          if (::fnmatch(in.name.c_str(), other.id.c_str(), 0) != 0) continue;
          matched = true;
          if (std::none_of(expanded.begin(), expanded.end(),
                           [&](const InputRef& e) { return e.name == other.id; })) {
            expanded.push_back({other.id, in.node});
          }
        }
        if (!matched) {
          diag_.error(in.node.location(), "input pattern '" + in.name + "' of '" + c.id +
                                              "' matches no source or transform");
        }
      }
      c.inputs = std::move(expanded);
    }
  }

  template <class Fn>
  void setOnce(const ConfigNode& key, const ConfigNode& value, const std::string& name, Fn fn) {
    if (!set_.insert(name).second) {
      diag_.error(key.location(), "'" + name + "' is set in more than one file");
      return;
    }
    fn(value);
  }

  // Reads the entries of a nested map section, calling `read(name, value)` for each known
  // name and reporting the others.
  template <class Fn>
  void readSection(const ConfigNode& v, std::string_view what, std::string_view known, Fn read) {
    if (!v.isMap()) {
      diag_.error(v.location(), std::string(what) + " must be a map with: " + std::string(known));
      return;
    }
    for (auto& [k, value] : v.entries()) {
      const std::string name = k.yaml().Scalar();
      if (!read(name, value)) {
        diag_.error(k.location(),
                    "unknown option '" + name + "' (known: " + std::string(known) + ")");
      }
    }
  }

  void readAdmin(const ConfigNode& v) {
    AdminSettings& admin = config_.global.admin;
    readSection(v, "admin", "address, enabled, metrics_public, auth, tls",
                [&](const std::string& name, const ConfigNode& value) {
                  if (name == "address") {
                    readValue(value, admin.address, diag_);
                  } else if (name == "enabled") {
                    readValue(value, admin.enabled, diag_);
                  } else if (name == "metrics_public") {
                    readValue(value, admin.metrics_public, diag_);
                  } else if (name == "auth") {
                    readSection(value, "admin.auth", "token_file",
                                [&](const std::string& n, const ConfigNode& x) {
                                  if (n != "token_file") return false;
                                  if (readValue(x, admin.token_file, diag_)) {
                                    checkSecret(x, admin.token_file);
                                  }
                                  return true;
                                });
                  } else if (name == "tls") {
                    readSection(
                        value, "admin.tls", "cert_file, key_file",
                        [&](const std::string& n, const ConfigNode& x) {
                          if (n != "cert_file" && n != "key_file") return false;
                          readValue(x, n == "cert_file" ? admin.tls_cert_file : admin.tls_key_file,
                                    diag_);
                          return true;
                        });
                    if (admin.tls_cert_file.empty() || admin.tls_key_file.empty()) {
                      diag_.error(value.location(), "admin.tls needs cert_file and key_file");
                    }
                  } else {
                    return false;
                  }
                  return true;
                });
  }

  // A secret file the agent needs at start: unreadable is a configuration error, with its place.
  void checkSecret(const ConfigNode& where, const std::string& path) {
    std::string secret, error;
    if (!readSecretFile(path, SecretForm::kLine, secret, error))
      diag_.error(where.location(), error);
  }

  void readTiers(const ConfigNode& v) {
    if (!v.isMap()) {
      diag_.error(v.location(), "tiers must be a map like {audit: {retention: 7y}}");
      return;
    }
    for (auto& [k, value] : v.entries()) {
      TierSpec tier;
      tier.name = k.yaml().Scalar();
      if (!value.isMap()) {
        diag_.error(value.location(),
                    "tier '" + tier.name + "' must be a map like {retention: 30d}");
        continue;
      }
      bool has_retention = false;
      for (auto& [ok, ov] : value.entries()) {
        std::string name = ok.yaml().Scalar();
        if (name == "retention") {
          has_retention = readValue(ov, tier.retention, diag_);
        } else if (name == "legal_hold") {
          readValue(ov, tier.legal_hold, diag_);
        } else {
          diag_.error(ok.location(),
                      "unknown option '" + name + "' (known: retention, legal_hold)");
        }
      }
      if (!has_retention)
        diag_.error(value.location(), "tier '" + tier.name + "' needs a retention");
      if (config_.global.tierIndex(tier.name) >= 0) {
        diag_.error(k.location(), "tier '" + tier.name + "' is defined twice");
      } else if (config_.global.tiers.size() >= 250) {
        diag_.error(k.location(), "too many tiers (at most 250)");
      } else {
        config_.global.tiers.push_back(std::move(tier));
      }
    }
  }

  // lists: {NAME: {path, format: plain | csv, column, reload_interval}}. The files are read where
  // the lists are used (conditions), which report what is wrong in them.
  void readLists(const ConfigNode& v) {
    if (!v.isMap()) {
      diag_.error(v.location(),
                  "lists must be a map like {blocked: {path: /etc/logship/blocked.txt}}");
      return;
    }
    for (auto& [k, value] : v.entries()) {
      SharedListSpec list;
      list.name = k.yaml().Scalar();
      if (!value.isMap()) {
        diag_.error(value.location(), "list '" + list.name + "' must be a map like {path: FILE}");
        continue;
      }
      for (auto& [ok, ov] : value.entries()) {
        const std::string name = ok.yaml().Scalar();
        if (name == "path") {
          readValue(ov, list.path, diag_);
          list.where = ov.location();
        } else if (name == "format") {
          if (readValue(ov, list.format, diag_) && list.format != "plain" && list.format != "csv") {
            diag_.error(ov.location(), "'" + list.format + "' is not one of: plain, csv");
          }
        } else if (name == "column") {
          readValue(ov, list.column, diag_);
        } else if (name == "reload_interval") {
          readValue(ov, list.reload_interval, diag_);
        } else {
          diag_.error(ok.location(), "unknown option '" + name +
                                         "' (known: path, format, column, reload_interval)");
        }
      }
      if (list.path.empty()) diag_.error(value.location(), "list '" + list.name + "' needs a path");
      if (!list.column.empty() && list.format != "csv") {
        diag_.error(value["column"].location(), "column is for format: csv");
      }
      bool twice = false;
      for (const SharedListSpec& other : config_.global.lists) {
        twice = twice || other.name == list.name;
      }
      if (twice) {
        diag_.error(k.location(), "list '" + list.name + "' is defined twice");
      } else {
        config_.global.lists.push_back(std::move(list));
      }
    }
  }

  void addComponents(const ConfigNode& section, ComponentKind kind, const Bindings& bindings) {
    if (!section.defined()) return;
    if (!section.isMap()) {
      diag_.error(section.location(), std::string("'") + toString(kind) +
                                          "s' must be a map of component ids to components");
      return;
    }
    for (auto& [key, value] : section.entries()) {
      ComponentConfig c;
      c.id = key.yaml().Scalar();
      c.kind = kind;
      c.node = value;
      c.id_node = key;
      if (c.id.empty() || c.id.find('.') != std::string::npos) {
        diag_.error(key.location(),
                    "component id '" + c.id + "' must be non-empty and without '.'");
        continue;
      }
      if (auto it = ids_.find(c.id); it != ids_.end()) {
        diag_.error(key.location(), "component id '" + c.id + "' is already used at " + it->second);
        continue;
      }
      ids_[c.id] = key.location().str();
      if (!value.isMap()) {
        diag_.error(value.location(), "component '" + c.id + "' must be a map with a type");
        continue;
      }
      ConfigNode type = value["type"];
      if (!type.defined()) {
        diag_.error(value.location(), "component '" + c.id + "' has no type");
        continue;
      }
      if (!readValue(type, c.type, diag_)) continue;
      ConfigNode inputs = value["inputs"];
      if (kind == ComponentKind::kSource) {
        if (inputs.defined()) diag_.error(inputs.location(), "a source takes no inputs");
      } else if (!inputs.defined()) {
        diag_.error(value.location(), std::string(toString(kind)) + " '" + c.id +
                                          "' needs inputs: [ids of sources or transforms]");
      } else if (inputs.isScalar() || inputs.isSequence()) {
        for (const ConfigNode& item : inputs.isSequence() ? inputs.items() : std::vector{inputs}) {
          auto s = item.scalar(diag_);
          if (!s) continue;
          auto bound = bindings.find(*s);
          if (bound == bindings.end()) {
            c.inputs.push_back({*s, item});
          } else {
            c.inputs.insert(c.inputs.end(), bound->second.begin(), bound->second.end());
          }
        }
        if (c.inputs.empty()) diag_.error(inputs.location(), "inputs must not be empty");
      } else {
        diag_.error(inputs.location(), "inputs must be a list of component ids");
      }
      config_.components.push_back(std::move(c));
    }
  }

  Diagnostics& diag_;
  PipelineConfig config_;
  std::set<std::string> set_;
  std::map<std::string, std::string> ids_;
  std::vector<std::string> including_;  // the includes being read, outermost first
};

bool readFile(const std::string& path, std::string& out, Diagnostics& diag) {
  std::optional<std::string> text = readWholeFile(path);
  if (!text) {
    diag.error(Location{std::make_shared<const std::string>(path), 0, 0},
               std::string("cannot read: ") + std::strerror(errno));
    return false;
  }
  out = std::move(*text);
  return true;
}

}  // namespace

PipelineConfig loadPipelineConfig(const std::string& path, Diagnostics& diag) {
  Loader loader(diag);
  std::error_code ec;
  std::vector<std::string> files = fs::is_directory(path, ec) ? yamlFilesOf(path)
                                                              : std::vector<std::string>{path};
  if (files.empty()) {
    diag.error(Location{std::make_shared<const std::string>(path), 0, 0},
               "directory holds no *.yaml files");
  }
  for (auto& f : files) {
    std::string text;
    if (readFile(f, text, diag)) loader.addText(text, f);
  }
  return loader.finish();
}

PipelineConfig parsePipelineConfig(const std::string& text, const std::string& name,
                                   Diagnostics& diag) {
  Loader loader(diag);
  loader.addText(text, name);
  return loader.finish();
}

}  // namespace logship
