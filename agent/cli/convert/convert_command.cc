// `logship convert --from promtail|filebeat|fluent-bit FILE [-o OUT]`: a Promtail, Filebeat or
// Fluent Bit configuration as a logship pipeline file, with the list of what could not be
// translated on stderr. Exit 0: all translated; 1: some was not (listed); 2: unreadable input.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/convert/converters.h"

namespace logship {

namespace convert {

bool loadYaml(const std::string& path, YAML::Node& root, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ":0:0: cannot read: " + std::strerror(errno);
    return false;
  }
  try {
    root = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    error = path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
            ": " + e.msg;
    return false;
  }
  if (!root.IsMap()) {
    error = path + ":1:1: not a YAML mapping";
    return false;
  }
  return true;
}

bool isWellKnownParserKey(const std::string& name) {
  for (const char* key :
       {"@timestamp", "time", "timestamp", "ts", "level", "lvl", "severity", "log.level", "msg",
        "message", "trace_id", "traceId", "trace.id", "span_id", "spanId", "span.id"}) {
    if (name == key) return true;
  }
  return false;
}

std::string syslogBodyAsMessage(PipelineBuilder& out, const std::string& source,
                                const Where& from) {
  YAML::Node t(YAML::NodeType::Map);
  t["type"] = "parse_regex";
  t["field"] = "syslog.message";
  t["patterns"] = list({"(?s)^(?P<message>.*)$"});
  return out.addTransform(source + "_body", from, t, {source});
}

std::string quoteRegex(const std::string& literal) {
  std::string out;
  for (char c : literal) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace convert

int convertCommand(const CommonOptions& opts) {
  std::string from, output, input;
  for (size_t i = 0; i < opts.args.size(); ++i) {
    const std::string& a = opts.args[i];
    if ((a == "from" || a == "output") && i + 1 < opts.args.size()) {
      (a == "from" ? from : output) = opts.args[++i];
    } else if (input.empty()) {
      input = a;
    } else {
      std::cerr << "logship convert: one input file only ('" << a << "')\n";
      return 2;
    }
  }
  using Converter = bool (*)(const std::string&, convert::PipelineBuilder&, std::string&);
  Converter converter = from == "promtail"     ? convert::convertPromtail
                        : from == "filebeat"   ? convert::convertFilebeat
                        : from == "fluent-bit" ? convert::convertFluentBit
                                               : nullptr;
  if (converter == nullptr || input.empty()) {
    std::cerr << "usage: logship convert --from promtail|filebeat|fluent-bit FILE [-o OUT]\n";
    return 2;
  }
  convert::PipelineBuilder pipeline(from);
  std::string error;
  try {
    if (!converter(input, pipeline, error)) {
      std::cerr << error << "\n";
      return 2;
    }
  } catch (const YAML::Exception& e) {
    // A value of another shape than the tool takes (a list where a map belongs, ...).
    std::cerr << input << ":" << e.mark.line + 1 << ":" << e.mark.column + 1
              << ": a setting is not of the shape " << from << " takes (" << e.msg << ")\n";
    return 2;
  }
  const std::string text = pipeline.render(std::filesystem::path(input).filename().string());
  if (output.empty()) {
    std::cout << text;
  } else {
    std::ofstream out(output, std::ios::trunc);
    out << text;
    if (!out.flush()) {
      std::cerr << output << ": cannot write: " << std::strerror(errno) << "\n";
      return 2;
    }
  }
  std::cerr << pipeline.problems();
  return pipeline.complete() ? 0 : 1;
}

}  // namespace logship
