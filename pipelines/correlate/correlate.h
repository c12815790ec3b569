#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "pipelines/common/clock.h"
#include "pipelines/common/event_fields.h"
#include "pipelines/correlate/correlate_config.h"

namespace re2 {
class RE2;
}

namespace logship {

namespace correlation {
// The ids of a W3C traceparent `<2 hex version>-<32 hex trace id>-<16 hex parent id>-<2 hex
// flags>` found anywhere in `text` (version ff and all-zero ids are invalid); empty if none. The
// parent id is the span of the caller that sent it.
struct TraceContext {
  std::string_view trace_id;
  std::string_view span_id;
};
TraceContext findTraceContext(std::string_view text);
inline std::string_view findTraceparent(std::string_view text) {
  return findTraceContext(text).trace_id;
}
// 36 characters: a UUIDv7 (48-bit Unix milliseconds, version 7, 74 random bits).
void formatUuidV7(int64_t unix_ns, uint64_t random_high, uint64_t random_low, char (&out)[36]);
}  // namespace correlation

// Gives every event a correlation_id so that one request, trace or login can be followed across
// lines and outputs: an id field (a traceparent gives its trace id), a traceparent in the message,
// a configured pattern, for sshd/PAM lines a session id from host and pid (every line of one login
// attempt comes from one sshd process), else a time-ordered UUIDv7. It also keeps the trace
// context: an event without `trace.id` / `span.id` gets them (lower-case hex) from a trace or span
// id field, else from a traceparent in an id field or the message.
class Correlate final : public Transform {
 public:
  Correlate(CorrelateConfig config, BuildContext& ctx, const Clock& clock = systemClock());
  ~Correlate() override;
  void process(Batch& batch, Emitter& out) override;

 private:
  // `found`: the event's fields named by lookup_.
  std::string_view find(Batch& batch, const Event& event, const Field* const* found,
                        correlation::TraceContext message_context) const;
  std::string_view sessionId(Batch& batch, const Field* const* found) const;
  void keepTraceContext(Batch& batch, Event& event, const Field* const* found,
                        correlation::TraceContext message_context) const;

  // The id fields in their order; process.name, process.pid and host.name for session ids; the
  // trace id fields, the span id fields, then trace.id and span.id themselves.
  FieldLookup lookup_;
  size_t id_fields_;
  size_t trace_fields_;
  size_t span_fields_;
  bool traceparent_;
  std::vector<std::unique_ptr<re2::RE2>> patterns_;
  std::vector<std::pair<std::string, std::string>> sessions_;  // process prefix, id prefix
  bool generate_;
  bool overwrite_;
  std::string host_name_;
  const Clock& clock_;
};

}  // namespace logship
