// Fluent Bit configuration files, classic ([SECTION] and "Key Value" lines) or YAML, read into one
// shape that keeps where every entry was written.
#pragma once

#include <string>
#include <vector>

#include "agent/cli/convert/pipeline_builder.h"

namespace logship::convert {

struct FluentBitEntry {
  std::string key;  // as written; Fluent Bit compares keys without regard to case
  std::string value;
  Where where;
};

struct FluentBitSection {
  std::string kind;  // upper case: SERVICE, INPUT, FILTER, OUTPUT, PARSER, MULTILINE_PARSER, ...
  Where where;
  std::vector<FluentBitEntry> entries;

  // The first value of `key` (any case), or `fallback`.
  std::string get(const std::string& key, const std::string& fallback = "") const;
  // Every value of `key`, in order (grep's Regex, record_modifier's Record, ... repeat).
  std::vector<const FluentBitEntry*> all(const std::string& key) const;
  const FluentBitEntry* find(const std::string& key) const;
};

// The path of a file named in `including` (@INCLUDE, Parsers_File): relative to its folder.
std::string besides(const std::string& including, const std::string& included);

// Reads the classic format: sections, "Key Value" entries, '#' comments, @INCLUDE (relative to
// the including file) and @SET name=value (${name} replaced in later values). False with `error`
// ("file:line:column: why") when a file cannot be read or a line is not of that shape.
bool readFluentBitClassic(const std::string& path, std::vector<FluentBitSection>& sections,
                          std::string& error);

// Reads the YAML format (service, parsers, pipeline: {inputs, filters, outputs}, includes) into
// the same sections; a list value gives one entry per item.
bool readFluentBitYaml(const std::string& path, std::vector<FluentBitSection>& sections,
                       std::string& error, PipelineBuilder& out);

}  // namespace logship::convert
