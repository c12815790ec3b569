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
// traces) and CRI partial lines. Works on whole batches in place; the lines at the end that may
// still be continued are held back and read again with the next data.
class LineAssembler {
 public:
  virtual ~LineAssembler() = default;
  // Rewrites batch.events(). Unless `final`, returns the stream offset of the first line held back
  // (it and all after it were removed from the batch), or nullopt when nothing is held.
  virtual std::optional<uint64_t> assemble(Batch& batch, bool final) = 0;
};

struct MultilineConfig {
  std::string start;     // a line matching this starts a new event
  std::string continue_; // a line matching this continues the previous one
  Duration timeout = std::chrono::seconds(1);
  int64_t max_lines = 500;
  ByteSize max_bytes{1u << 20};
};

// Reads `multiline: {start: RE2 | continue: RE2, timeout, max_lines, max_bytes}`.
bool readMultiline(const ConfigNode& node, MultilineConfig& out, Diagnostics& diag);

class MultilineAssembler final : public LineAssembler {
 public:
  explicit MultilineAssembler(const MultilineConfig& config);
  ~MultilineAssembler() override;
  std::optional<uint64_t> assemble(Batch& batch, bool final) override;

 private:
  MultilineConfig config_;
  std::unique_ptr<re2::RE2> pattern_;
  bool is_start_;
};

// Container runtime (CRI) log lines: `<RFC 3339 time> <stdout|stderr> <P|F> <message>`. Partial
// (P) lines are joined with what follows up to the final (F) one; the time becomes the event time
// and the stream a field. Lines that are not CRI are kept as they are, flagged as parse errors.
class CriAssembler final : public LineAssembler {
 public:
  std::optional<uint64_t> assemble(Batch& batch, bool final) override;
};

// Kubernetes metadata from a /var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log path, as
// batch fields; nothing for other paths.
void addPodFields(Batch& batch, std::string_view path);

}  // namespace logship
