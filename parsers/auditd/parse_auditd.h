#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "parsers/auditd/auditd_config.h"
#include "parsers/common/parser_support.h"

namespace logship {

// The parse_auditd transform: joins the records of each audit event (one serial) into one event
// and writes its fields (auditd::buildAuditEvent).
//
// When an event is complete: at its EOE record; at once for the single records user space writes
// (USER_*, CRED_*, SERVICE_*, ...); otherwise once flush_timeout has passed, on the clock or on
// the records' own time (a later record of the same stream is that much newer), or when more
// than max_pending events are open. At the end of each batch, complete events are emitted in that
// batch, where their last record was. The records of an open event are copied out and kept, and
// their batch's acknowledgement is held (a fork of its token) until the batch carrying the joined
// event is acknowledged: the checkpoint never passes a record that was not delivered. The cost of
// that choice is that a quiet stream keeps its last open event, and its checkpoint, until the next
// batch arrives or the agent stops (then those records are read again at the next start).
class ParseAuditd final : public Transform {
 public:
  ParseAuditd(ParseAuditdConfig config, BuildContext& ctx);
  ~ParseAuditd() override;

  void start(ComponentContext& context) override;
  void process(Batch& batch, Emitter& out) override;

  // Monotonic nanoseconds; tests move it by hand.
  void setClock(std::function<int64_t()> clock) { clock_ = std::move(clock); }
  size_t pendingEvents() const;

 private:
  struct Group;

  ParseAuditdConfig config_;
  std::function<int64_t()> clock_;
  parsers::ParseErrorCounter errors_;
  ComponentMetrics* metrics_ = nullptr;
  mutable std::mutex mutex_;  // per batch: inputs may run on several workers
  std::vector<Group> open_;   // events still missing records, oldest first
  std::vector<Group> spare_;  // emptied groups, reused
};

}  // namespace logship
