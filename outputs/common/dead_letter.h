#pragma once

#include <string>
#include <string_view>

#include "agent/api/batch.h"
#include "agent/api/config.h"
#include "agent/core/log.h"
#include "outputs/common/ndjson_encoder.h"

namespace logship {

// Appends events a destination refused for good to `<data_dir>/dead_letter/<output id>.ndjson`:
// the event as the NDJSON encoder renders it, plus `error: {code, message, output}`. Written and
// synced before the events are acknowledged as Rejected, so a refusal never loses data silently,
// and each commit is logged at WARN with the destination's answer (at most one line per 10 s per
// output, the next one counting those left out).
class DeadLetterFile {
 public:
  DeadLetterFile(const GlobalConfig& global, std::string_view output_id);
  ~DeadLetterFile();
  DeadLetterFile(const DeadLetterFile&) = delete;
  DeadLetterFile& operator=(const DeadLetterFile&) = delete;

  // Buffers one event; `code` is the HTTP status (or 0).
  void add(const Batch& batch, const Event& event, int code, std::string_view reason);
  // Writes and syncs what was added; false (and nothing acknowledged) if the disk refused.
  bool commit();
  const std::string& path() const { return path_; }

 private:
  bool writeBuffer();

  NdjsonEncoder encoder_;
  LogThrottle warnings_;
  size_t pending_events_ = 0;
  int last_code_ = 0;
  std::string last_reason_;
  std::string path_;
  std::string output_id_;
  std::string buffer_;
  int fd_ = -1;
};

}  // namespace logship
