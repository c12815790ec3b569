#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "parsers/auditd/auditd_config.h"
#include "parsers/common/parser_support.h"

namespace logship {

struct AuditdTimerState;

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
// that choice is a checkpoint that trails by up to flush_timeout (on a quiet stream a timer at
// half of it ships what waited long enough); records held when the agent stops are read again at
// the next start.
class ParseAuditd final : public Transform {
 public:
  ParseAuditd(ParseAuditdConfig config, BuildContext& ctx);
  ~ParseAuditd() override;

  void start(ComponentContext& context) override;
  void process(Batch& batch, Emitter& out) override;

  // Ships the events that waited flush_timeout by the clock, each in a batch of its own. A timer
  // calls it on the transform's worker (quiet streams); tests call it after moving the clock.
  void poll(Emitter& out);

  // Monotonic nanoseconds; tests move it by hand.
  void setClock(std::function<int64_t()> clock) { clock_ = std::move(clock); }
  size_t pendingEvents() const;

 private:
  struct Group;

  // The joined event of `group`, its strings in `batch`; moves the group's held
  // acknowledgements to `taken`.
  Event join(Batch& batch, Group& group, std::vector<AckToken>& taken) const;
  // Moves the complete groups out of open_ (emptied, to spare_ for reuse).
  void recycleComplete();

  ParseAuditdConfig config_;
  std::function<int64_t()> clock_;
  parsers::ParseErrorCounter errors_;
  ComponentMetrics* metrics_ = nullptr;
  mutable std::mutex mutex_;                       // per batch: inputs may run on several workers
  std::vector<Group> open_;                        // events still missing records, oldest first
  std::vector<Group> spare_;                       // emptied groups, reused
  std::atomic<Emitter*> emitter_{nullptr};         // the last process() call's, for the timer
  std::shared_ptr<AuditdTimerState> timer_state_;  // what the timer reaches this object through
};

}  // namespace logship
