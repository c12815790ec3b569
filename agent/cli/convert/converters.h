// One converter per tool: each reads the tool's configuration file and adds what it means to a
// PipelineBuilder, listing what it cannot carry over. They return false, with `error` set
// ("file:line:column: why"), when the file cannot be read or parsed at all; a value of a shape
// the tool does not take throws YAML::Exception.
#pragma once

#include <string>

#include "agent/cli/convert/pipeline_builder.h"

namespace logship::convert {

bool convertPromtail(const std::string& path, PipelineBuilder& out, std::string& error);
bool convertFilebeat(const std::string& path, PipelineBuilder& out, std::string& error);
bool convertFluentBit(const std::string& path, PipelineBuilder& out, std::string& error);

// Loads a YAML file, or sets `error` to "file:line:column: why".
bool loadYaml(const std::string& path, YAML::Node& root, std::string& error);

// Loads the YAML file `path` and has a Converter (constructed from the path and `out`) convert it.
template <class Converter>
bool convertYamlFile(const std::string& path, PipelineBuilder& out, std::string& error) {
  YAML::Node root;
  if (!loadYaml(path, root, error)) return false;
  Converter(path, out).convert(root);
  return true;
}

// Whether a field name is one logship parsers take into the event itself (time, level, message,
// trace and span ids) instead of keeping it as a field; converters rename such captures so that
// the tool's extracted value stays a field of that name.
bool isWellKnownParserKey(const std::string& name);

// After a syslog source: the message body (syslog.message) becomes the message, as the three tools
// ship it, instead of the whole line. Returns the transform's id.
std::string syslogBodyAsMessage(PipelineBuilder& out, const std::string& source, const Where& from);

// RE2 text matching `literal` exactly.
std::string quoteRegex(const std::string& literal);

}  // namespace logship::convert
