#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "agent/api/batch.h"
#include "agent/api/config.h"

namespace re2 {
class RE2;
}

namespace logship {

// Joins the lines a file source read into events before they leave it: multiline groups (stack
// traces) and CRI partial lines. One per file, as it keeps state between reads. Works on whole
// batches in place; the lines at the end that may still be continued are held back and read
// again with the next data, never more than `max_event_bytes` of them. An event that would grow
// past `max_event_bytes` is cut there, flagged truncated, and the rest of it dropped (counted), so
// one endless line cannot grow memory.
class LineAssembler {
 public:
  struct Result {
    // Unless final: the stream offset of the first line held back (it and all after it were
    // removed from the batch).
    std::optional<uint64_t> held;
    size_t truncated_events = 0;  // cut at max_event_bytes
    size_t dropped_lines = 0;     // lines of cut events dropped
  };
  virtual ~LineAssembler() = default;
  // Rewrites batch.events().
  virtual Result assemble(Batch& batch, bool final) = 0;
};

struct MultilineConfig {
  std::string start;      // a line matching this starts a new event
  std::string continue_;  // a line matching this continues the previous one
  Duration timeout = std::chrono::seconds(1);
  int64_t max_lines = 500;
  ByteSize max_bytes{1u << 20};
};

// Reads `multiline: {start: RE2 | continue: RE2, timeout, max_lines, max_bytes}`.
bool readMultiline(const ConfigNode& node, MultilineConfig& out, Diagnostics& diag);

// The compiled multiline rule of a source, shared by the assemblers of its files.
struct MultilineRule {
  explicit MultilineRule(const MultilineConfig& config);
  ~MultilineRule();
  MultilineConfig config;
  std::unique_ptr<const re2::RE2> pattern;
  bool is_start;
};

class MultilineAssembler final : public LineAssembler {
 public:
  // Groups are cut at the smaller of max_event_bytes and the rule's max_bytes.
  MultilineAssembler(std::shared_ptr<const MultilineRule> rule, size_t max_event_bytes);
  Result assemble(Batch& batch, bool final) override;

 private:
  // Whether line `message` continues the group before it.
  bool continues(std::string_view message) const;

  std::shared_ptr<const MultilineRule> rule_;
  size_t max_bytes_;
  bool dropping_ = false;  // a group was cut: its remaining lines are dropped
};

// Container runtime (CRI) log lines: `<RFC 3339 time> <stdout|stderr> <P|F> <message>`. Partial
// (P) lines are joined with what follows up to the final (F) one; the time becomes the event time
// and the stream a field. Lines that are not CRI are kept as they are, flagged as parse errors.
class CriAssembler final : public LineAssembler {
 public:
  explicit CriAssembler(size_t max_event_bytes) : max_bytes_(max_event_bytes) {}
  Result assemble(Batch& batch, bool final) override;

 private:
  size_t max_bytes_;
  std::string dropping_;  // the stream whose cut message's pieces are dropped up to its F line
};

// Kubernetes metadata from a /var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log path, as
// batch fields; nothing for other paths.
void addPodFields(Batch& batch, std::string_view path);

}  // namespace logship
