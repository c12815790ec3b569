#include "parsers/auditd/parse_auditd.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>

#include "parsers/auditd/audit_record.h"
#include "parsers/auditd/auditd_event.h"

namespace logship {
namespace {

// Resolves the acknowledgements of the batches whose records a joined event took along with the
// batch that carries it, with that batch's status.
class ChainedAck final : public AckReceiver {
 public:
  ChainedAck(AckToken own, std::vector<AckToken> held)
      : own_(std::move(own)), held_(std::move(held)) {}

  void acknowledge(uint64_t, AckStatus status) override {
    own_.resolve(status);
    for (AckToken& token : held_) token.resolve(status);
    delete this;
  }

 private:
  AckToken own_;
  std::vector<AckToken> held_;
};

// Emptied groups kept for reuse.
constexpr size_t kSpareGroups = 4096;

int64_t steadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct ParseAuditd::Group {
  uint64_t stream = 0;
  uint64_t serial = 0;
  int64_t time_ns = 0;            // the records' own time (msg=audit(...))
  int64_t opened_at = 0;          // clock_ when its first record was read
  std::vector<std::string> held;  // records read in earlier batches
  std::vector<AckToken> acks;     // and those batches' acknowledgements
  std::vector<uint32_t> here;     // records in the batch being processed (event indices)
  bool complete = false;
};

ParseAuditd::ParseAuditd(ParseAuditdConfig config, BuildContext&)
    : config_(std::move(config)), clock_(steadyNowNs) {}

ParseAuditd::~ParseAuditd() = default;

void ParseAuditd::start(ComponentContext& context) {
  errors_.start(context);
  metrics_ = &context.metrics();
}

size_t ParseAuditd::pendingEvents() const {
  std::lock_guard lock(mutex_);
  return open_.size();
}

void ParseAuditd::process(Batch& batch, Emitter& out) {
  std::lock_guard lock(mutex_);
  const int64_t now = clock_();
  const int64_t timeout = config_.flush_timeout.count();
  std::vector<Event>& events = batch.events();
  const size_t n = events.size();
  // Which open group each event is a record of; -1 for lines that are not audit records.
  thread_local std::vector<int32_t> owner;
  owner.assign(n, -1);
  int64_t newest = std::numeric_limits<int64_t>::min();
  uint64_t errors = 0;

  for (size_t i = 0; i < n; ++i) {
    auditd::AuditRecord record;
    if (!auditd::parseAuditRecord(events[i].message, record)) {
      parsers::markParseError(batch, events[i], events[i], "not an audit record");
      ++errors;
      continue;
    }
    newest = std::max(newest, record.time_ns);
    // Records of one event are nearly always adjacent: search from the newest group.
    size_t g = open_.size();
    while (g > 0) {
      const Group& candidate = open_[g - 1];
      if (candidate.serial == record.serial && candidate.time_ns == record.time_ns &&
          candidate.stream == batch.stream()) {
        break;
      }
      --g;
    }
    if (g == 0) {
      // A recycled group keeps the capacity of its vectors: no allocation per event.
      Group& created =
          spare_.empty() ? open_.emplace_back() : open_.emplace_back(std::move(spare_.back()));
      if (!spare_.empty()) spare_.pop_back();
      created.stream = batch.stream();
      created.serial = record.serial;
      created.time_ns = record.time_ns;
      created.opened_at = now;
      created.complete = auditd::isStandaloneType(record.type);
      g = open_.size();
    }
    Group& group = open_[g - 1];
    group.here.push_back(static_cast<uint32_t>(i));
    if (record.type == "EOE") group.complete = true;
    owner[i] = static_cast<int32_t>(g - 1);
  }
  errors_.report(errors);

  // Waited long enough, by the clock or by this stream's own time.
  size_t incomplete = 0;
  for (Group& group : open_) {
    if (group.complete) continue;
    const bool stale =
        now - group.opened_at >= timeout ||
        (group.stream == batch.stream() && newest != std::numeric_limits<int64_t>::min() &&
         newest - group.time_ns >= timeout);
    if (stale) {
      group.complete = true;
    } else {
      ++incomplete;
    }
  }
  for (Group& group : open_) {
    if (incomplete <= static_cast<size_t>(config_.max_pending)) break;
    if (group.complete) continue;
    group.complete = true;
    --incomplete;
    if (metrics_ != nullptr) metrics_->error("pending_overflow");
  }

  thread_local std::vector<Event> rebuilt;
  thread_local std::vector<std::string_view> lines;
  rebuilt.clear();
  std::vector<AckToken> taken;
  const size_t max_fields = static_cast<size_t>(config_.max_fields);
  auto emitGroup = [&](Group& group, const Event* last) {
    lines.clear();
    size_t total = 0;
    for (const std::string& h : group.held) {
      lines.push_back(batch.arena().copy(h));
      total += h.size() + 1;
    }
    for (uint32_t index : group.here) {
      lines.push_back(events[index].message);
      total += events[index].message.size() + 1;
    }
    Event joined;
    if (last != nullptr) {
      joined.offset = last->offset;
      joined.timestamp_ns = last->timestamp_ns;
    }
    // The message keeps every record, one per line, as read.
    char* text = static_cast<char*>(batch.arena().allocate(total, 1));
    size_t pos = 0;
    for (std::string_view line : lines) {
      if (pos != 0) text[pos++] = '\n';
      std::memcpy(text + pos, line.data(), line.size());
      pos += line.size();
    }
    joined.message = {text, pos};
    auditd::buildAuditEvent(batch, joined, lines, max_fields);
    rebuilt.push_back(joined);
    for (AckToken& token : group.acks) taken.push_back(std::move(token));
  };

  // Events completed now without a record in this batch are older than anything in it.
  for (Group& group : open_) {
    if (group.complete && group.here.empty()) emitGroup(group, nullptr);
  }
  for (size_t i = 0; i < n; ++i) {
    if (owner[i] < 0) {
      rebuilt.push_back(events[i]);
      continue;
    }
    Group& group = open_[static_cast<size_t>(owner[i])];
    if (group.complete && group.here.back() == i) emitGroup(group, &events[i]);
  }

  // What stays open is copied out of the batch, which holds the checkpoint until it is joined.
  for (Group& group : open_) {
    if (group.complete || group.here.empty()) continue;
    for (uint32_t index : group.here) group.held.emplace_back(events[index].message);
    group.acks.push_back(batch.ack().fork());
    group.here.clear();
  }
  size_t kept = 0;
  for (size_t g = 0; g < open_.size(); ++g) {
    Group& group = open_[g];
    if (!group.complete) {
      if (kept != g) open_[kept] = std::move(group);
      ++kept;
      continue;
    }
    if (spare_.size() < kSpareGroups) {
      group.here.clear();
      group.held.clear();
      group.acks.clear();
      group.complete = false;
      spare_.push_back(std::move(group));
    }
  }
  open_.resize(kept);

  events.swap(rebuilt);
  if (!taken.empty()) {
    auto* chain = new ChainedAck(batch.takeAck(), std::move(taken));
    batch.ack() = AckToken(chain, 0);
  }
  out.emit(std::move(batch));
}

}  // namespace logship
