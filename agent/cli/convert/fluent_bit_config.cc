#include "agent/cli/convert/fluent_bit_config.h"

#include <glob.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "agent/cli/convert/converters.h"

namespace logship::convert {

namespace {

bool sameKey(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

bool readClassic(const std::string& path, std::vector<FluentBitSection>& sections,
                 std::map<std::string, std::string>& variables, int depth, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ":0:0: cannot read: " + std::strerror(errno);
    return false;
  }
  if (depth > 8) {
    error = path + ":0:0: @INCLUDE nested more than 8 deep";
    return false;
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string text = trim(line);
    const int column = static_cast<int>(line.find_first_not_of(" \t")) + 1;
    if (text.empty() || text[0] == '#') continue;
    Where where{path, number, column, ""};
    if (text[0] == '[') {
      if (text.back() != ']') {
        error = where.text() + ": a section header is [NAME]";
        return false;
      }
      const std::string kind = upper(trim(text.substr(1, text.size() - 2)));
      where.path = "[" + kind + "]";
      sections.push_back({kind, where, {}});
      continue;
    }
    size_t space = text.find_first_of(" \t");
    std::string key = text.substr(0, space);
    std::string value = space == std::string::npos ? "" : trim(text.substr(space));
    for (auto& [name, v] : variables) {
      const std::string ref = "${" + name + "}";
      for (size_t at = value.find(ref); at != std::string::npos;
           at = value.find(ref, at + v.size())) {
        value.replace(at, ref.size(), v);
      }
    }
    if (sameKey(key, "@INCLUDE")) {
      // A pattern (inputs/*.conf) includes every file it matches, in name order.
      const std::string pattern = besides(path, value);
      std::vector<std::string> files = {pattern};
      if (pattern.find_first_of("*?[") != std::string::npos) {
        files.clear();
        glob_t found{};
        if (::glob(pattern.c_str(), 0, nullptr, &found) == 0) {
          for (size_t i = 0; i < found.gl_pathc; ++i) files.push_back(found.gl_pathv[i]);
        }
        ::globfree(&found);
      }
      for (const std::string& file : files) {
        if (!readClassic(file, sections, variables, depth + 1, error)) return false;
      }
      continue;
    }
    if (sameKey(key, "@SET")) {
      size_t eq = value.find('=');
      if (eq == std::string::npos) {
        error = where.text() + ": @SET takes name=value";
        return false;
      }
      variables[trim(value.substr(0, eq))] = trim(value.substr(eq + 1));
      continue;
    }
    if (sections.empty()) {
      error = where.text() + ": an entry before the first [SECTION]";
      return false;
    }
    sections.back().entries.push_back({key, value, where});
  }
  return true;
}

void yamlSection(const std::string& file, const std::string& kind, const YAML::Node& map,
                 const std::string& path, std::vector<FluentBitSection>& sections,
                 PipelineBuilder& out) {
  FluentBitSection section{kind, whereOf(file, map, path), {}};
  for (const auto& it : map) {
    const std::string key = it.first.as<std::string>();
    const Where w = whereOf(file, it.first, path + "." + key);
    if (it.second.IsScalar()) {
      section.entries.push_back({key, it.second.as<std::string>(), w});
    } else if (it.second.IsSequence() && it.second.size() > 0 && it.second[0].IsScalar()) {
      for (const YAML::Node& item : it.second) {
        section.entries.push_back({key, item.as<std::string>(), whereOf(file, item, w.path)});
      }
    } else if (!it.second.IsNull()) {
      out.notTranslated(w, "nested settings (processors, ...) have no logship equivalent");
    }
  }
  sections.push_back(section);
}

}  // namespace

std::string besides(const std::string& including, const std::string& included) {
  std::filesystem::path p(included);
  if (p.is_absolute()) return included;
  std::filesystem::path dir = std::filesystem::path(including).parent_path();
  return (dir / p).lexically_normal().string();
}

std::string FluentBitSection::get(const std::string& key, const std::string& fallback) const {
  const FluentBitEntry* e = find(key);
  return e ? e->value : fallback;
}

const FluentBitEntry* FluentBitSection::find(const std::string& key) const {
  for (const FluentBitEntry& e : entries) {
    if (sameKey(e.key, key)) return &e;
  }
  return nullptr;
}

std::vector<const FluentBitEntry*> FluentBitSection::all(const std::string& key) const {
  std::vector<const FluentBitEntry*> out;
  for (const FluentBitEntry& e : entries) {
    if (sameKey(e.key, key)) out.push_back(&e);
  }
  return out;
}

bool readFluentBitClassic(const std::string& path, std::vector<FluentBitSection>& sections,
                          std::string& error) {
  std::map<std::string, std::string> variables;
  if (!readClassic(path, sections, variables, 0, error)) return false;
  // Settings are named as "[FILTER] grep" and "[FILTER] grep.Regex".
  for (FluentBitSection& section : sections) {
    const std::string name = section.get("Name");
    if (!name.empty()) section.where.path += " " + name;
    for (FluentBitEntry& entry : section.entries) {
      entry.where.path = section.where.path + (name.empty() ? " " : ".") + entry.key;
    }
  }
  return true;
}

bool readFluentBitYaml(const std::string& path, std::vector<FluentBitSection>& sections,
                       std::string& error, PipelineBuilder& out) {
  YAML::Node root;
  if (!loadYaml(path, root, error)) return false;
  for (const auto& it : root) {
    const std::string key = it.first.as<std::string>();
    const YAML::Node v = it.second;
    if (key == "service") {
      yamlSection(path, "SERVICE", v, key, sections, out);
    } else if (key == "parsers" || key == "multiline_parsers") {
      for (size_t i = 0; i < count(v); ++i) {
        yamlSection(path, key == "parsers" ? "PARSER" : "MULTILINE_PARSER", v[i],
                    key + "[" + std::to_string(i) + "]", sections, out);
      }
    } else if (key == "pipeline") {
      for (auto [part, kind] :
           {std::pair{"inputs", "INPUT"}, {"filters", "FILTER"}, {"outputs", "OUTPUT"}}) {
        const YAML::Node list = v[part];
        for (size_t i = 0; i < count(list); ++i) {
          yamlSection(path, kind, list[i],
                      std::string("pipeline.") + part + "[" + std::to_string(i) + "]", sections,
                      out);
        }
      }
    } else if (key == "includes") {
      for (size_t i = 0; i < count(v); ++i) {
        if (!readFluentBitYaml(besides(path, v[i].as<std::string>()), sections, error, out)) {
          return false;
        }
      }
    } else {
      out.notTranslated(whereOf(path, it.first, key), "no logship equivalent");
    }
  }
  return true;
}

}  // namespace logship::convert
