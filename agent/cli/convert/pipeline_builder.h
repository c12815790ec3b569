// The logship pipeline a conversion builds, and the list of what it could not carry over. The
// converters of each tool (promtail.cc, filebeat.cc, fluent_bit.cc) add components to it; render()
// writes the pipeline file with a comment per component naming where it came from.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace logship::convert {

// A place in an input file: the one the converted file or an included one.
struct Where {
  std::string file;  // as shown: the path given on the command line or the include's
  int line = 0;      // from 1; 0 when the whole file is meant
  int column = 0;
  std::string
      path;  // the setting's path in its tool's terms: "scrape_configs[0].pipeline_stages[2]"

  std::string text() const;  // "file:line:column"
};

// The place of a yaml-cpp node in `file`, with its setting path.
Where whereOf(const std::string& file, const YAML::Node& node, std::string path);

struct Component {
  std::string id;
  std::string origin;  // comment above it: "promtail.yaml:12 scrape_configs[0]"
  YAML::Node options;  // type, inputs and the rest, in the order they are written
};

class PipelineBuilder {
 public:
  explicit PipelineBuilder(std::string tool) : tool_(std::move(tool)) {}

  // An id not used yet, from `base` cleaned to [a-z0-9_] ("scrape 0" -> scrape_0, then scrape_0_2).
  std::string uniqueId(const std::string& base);

  // Adds a component whose options hold at least `type`; returns its id (made unique).
  std::string addSource(const std::string& base, const Where& from, YAML::Node options);
  std::string addTransform(const std::string& base, const Where& from, YAML::Node options,
                           const std::vector<std::string>& inputs);
  std::string addOutput(const std::string& base, const Where& from, YAML::Node options,
                        const std::vector<std::string>& inputs);
  // The options of a component added before, to extend (a source's multiline, a parser's
  // timestamp_format); nullptr when there is none of that id.
  YAML::Node* options(const std::string& id);
  void setGlobal(const std::string& key, YAML::Node value, const Where& from);

  // Something of the input that the pipeline does not do: listed, and the exit code is 1.
  void notTranslated(const Where& where, const std::string& why);
  // Something translated with a difference worth knowing, or deliberately left out.
  void note(const Where& where, const std::string& what);

  bool complete() const { return untranslated_ == 0; }
  // The pipeline file, headed by where it came from.
  std::string render(const std::string& input_name) const;
  // One line per problem, "file:line:column: not translated: path: why", in the input's order.
  std::string problems() const;

 private:
  // A transform or output: its options get `inputs`.
  std::string addReader(std::vector<Component>& group, const std::string& base, const Where& from,
                        YAML::Node options, const std::vector<std::string>& inputs);

  struct Problem {
    Where where;
    bool untranslated;
    std::string text;
  };
  std::string tool_;
  std::vector<std::pair<std::string, YAML::Node>> globals_;
  std::vector<std::string> global_origins_;
  std::vector<Component> sources_, transforms_, outputs_;
  std::vector<std::string> ids_;
  std::vector<Problem> problems_;
  int untranslated_ = 0;
};

// YAML in flow style on one line ({a: b, c: [d]}), as the rendered file writes option values.
std::string flowYaml(const YAML::Node& node);

// The entries of a sequence; 0 when the node is missing or no sequence.
inline size_t count(const YAML::Node& node) { return node && node.IsSequence() ? node.size() : 0; }
// [a, b, ...] of strings.
YAML::Node list(const std::vector<std::string>& values);

// A tool's listen address ("localhost:9000", ":514") as the IP:port logship's network sources
// take ("127.0.0.1:9000", "0.0.0.0:514").
std::string ipListenAddress(const std::string& host_port);

// An Authorization header value for credentials a tool's file holds inline ("Basic <base64 of
// user:password>", "Bearer <token>", "ApiKey <base64 of id:key>"): logship reads secrets from
// files in auth, so an inline one goes to headers as it was, and the conversion notes it.
std::string basicAuthorization(const std::string& user, const std::string& password);
std::string base64(const std::string& bytes);
inline constexpr const char* kInlineSecretNote =
    "the secret written inline goes into an Authorization header as it was; better: write it to "
    "a file and use auth: {strategy: basic | bearer, user, password_file | token_file}";

// Tool regular expressions (Go's RE2 syntax for Promtail and Filebeat, Onigmo for Fluent Bit) as
// RE2: `(?<name>` becomes `(?P<name>`; constructs RE2 lacks (look-around, back-references,
// possessive and atomic groups) are named in `unsupported`, empty when none.
std::string toRe2(const std::string& pattern, std::string& unsupported);

// Renames the named group `from` of an RE2 pattern to `to`; false when it has no such group.
bool renameGroup(std::string& pattern, const std::string& from, const std::string& to);
// The named groups of an RE2 pattern, in order.
std::vector<std::string> groupNames(const std::string& pattern);

}  // namespace logship::convert
