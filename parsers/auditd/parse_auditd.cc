#include "parsers/auditd/parse_auditd.h"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
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
// How many of the groups opened last a record is matched against (see process()).
constexpr size_t kSearchWindow = 64;

int64_t steadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct AuditdTimerState {
  std::mutex mutex;
  std::function<void()> tick;  // cleared when the transform goes away
};

namespace {

void armTimer(std::shared_ptr<boost::asio::steady_timer> timer, Duration interval,
              std::weak_ptr<AuditdTimerState> weak) {
  timer->expires_after(interval);
  timer->async_wait([timer, interval, weak](const boost::system::error_code& ec) {
    if (ec) return;
    auto state = weak.lock();
    if (!state) return;
    {
      std::lock_guard lock(state->mutex);
      if (!state->tick) return;
      state->tick();
    }
    armTimer(timer, interval, weak);
  });
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
  uint64_t last_offset = 0;       // of the last record read: the joined event's position
  int64_t read_time_ns = 0;
  std::string_view source_name;
  bool complete = false;
};

ParseAuditd::ParseAuditd(ParseAuditdConfig config, BuildContext&)
    : config_(std::move(config)),
      clock_(steadyNowNs),
      timer_state_(std::make_shared<AuditdTimerState>()) {}

ParseAuditd::~ParseAuditd() {
  std::lock_guard lock(timer_state_->mutex);
  timer_state_->tick = nullptr;
}

void ParseAuditd::start(ComponentContext& context) {
  errors_.start(context);
  metrics_ = &context.metrics();
  {
    std::lock_guard lock(timer_state_->mutex);
    timer_state_->tick = [this] {
      if (Emitter* out = emitter_.load()) poll(*out);
    };
  }
  // Half the timeout: an event waits at most one and a half times it on a quiet stream.
  const Duration interval = std::clamp<Duration>(
      config_.flush_timeout / 2, std::chrono::milliseconds(100), std::chrono::seconds(1));
  armTimer(std::make_shared<boost::asio::steady_timer>(context.io()), interval, timer_state_);
}

size_t ParseAuditd::pendingEvents() const {
  std::lock_guard lock(mutex_);
  return open_.size();
}

void ParseAuditd::process(Batch& batch, Emitter& out) {
  emitter_.store(&out);
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
  const size_t carried = open_.size();  // groups still open from earlier batches

  for (size_t i = 0; i < n; ++i) {
    auditd::AuditRecord record;
    if (!auditd::parseAuditRecord(events[i].message, record)) {
      parsers::markParseError(batch, events[i], events[i], "not an audit record");
      ++errors;
      continue;
    }
    newest = std::max(newest, record.time_ns);
    // The kernel writes an event's records close together, interleaved at most with a few other
    // events': search the groups opened last in this batch, then those carried over from earlier
    // batches (at the front, at most max_pending). Searching every group would make a batch cost
    // the square of its events.
    auto matches = [&](const Group& candidate) {
      return candidate.serial == record.serial && candidate.time_ns == record.time_ns &&
             candidate.stream == batch.stream();
    };
    size_t g = 0;
    const size_t window_begin =
        std::max(carried, open_.size() - std::min(open_.size(), kSearchWindow));
    for (size_t k = open_.size(); k > window_begin && g == 0; --k) {
      if (matches(open_[k - 1])) g = k;
    }
    for (size_t k = 0; k < carried && g == 0; ++k) {
      if (matches(open_[k])) g = k + 1;
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
      created.source_name = batch.sourceName();
      created.complete = auditd::isStandaloneType(record.type);
      g = open_.size();
    }
    Group& group = open_[g - 1];
    group.here.push_back(static_cast<uint32_t>(i));
    group.last_offset = events[i].offset;
    group.read_time_ns = events[i].timestamp_ns;
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
  rebuilt.clear();
  std::vector<AckToken> taken;
  // Events completed now without a record in this batch are older than anything in it.
  for (Group& group : open_) {
    if (group.complete && group.here.empty()) rebuilt.push_back(join(batch, group, taken));
  }
  for (size_t i = 0; i < n; ++i) {
    if (owner[i] < 0) {
      rebuilt.push_back(events[i]);
      continue;
    }
    Group& group = open_[static_cast<size_t>(owner[i])];
    if (group.complete && group.here.back() == i) rebuilt.push_back(join(batch, group, taken));
  }

  // What stays open is copied out of the batch, which holds the checkpoint until it is joined.
  for (Group& group : open_) {
    if (group.complete || group.here.empty()) continue;
    for (uint32_t index : group.here) group.held.emplace_back(events[index].message);
    group.acks.push_back(batch.ack().fork());
    group.here.clear();
  }
  recycleComplete();

  events.swap(rebuilt);
  if (!taken.empty()) {
    auto* chain = new ChainedAck(batch.takeAck(), std::move(taken));
    batch.ack() = AckToken(chain, 0);
  }
  out.emit(std::move(batch));
}

Event ParseAuditd::join(Batch& batch, Group& group, std::vector<AckToken>& taken) const {
  thread_local std::vector<std::string_view> lines;
  lines.clear();
  size_t total = 0;
  for (const std::string& h : group.held) {
    lines.push_back(batch.arena().copy(h));
    total += h.size() + 1;
  }
  for (uint32_t index : group.here) {
    lines.push_back(batch.events()[index].message);
    total += batch.events()[index].message.size() + 1;
  }
  Event joined;
  joined.offset = group.last_offset;
  joined.timestamp_ns = group.read_time_ns;
  // The message keeps every record, one per line, as read.
  char* text = static_cast<char*>(batch.arena().allocate(total, 1));
  size_t pos = 0;
  for (std::string_view line : lines) {
    if (pos != 0) text[pos++] = '\n';
    std::memcpy(text + pos, line.data(), line.size());
    pos += line.size();
  }
  joined.message = {text, pos};
  auditd::buildAuditEvent(batch, joined, lines, static_cast<size_t>(config_.max_fields));
  for (AckToken& token : group.acks) taken.push_back(std::move(token));
  return joined;
}

void ParseAuditd::recycleComplete() {
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
}

void ParseAuditd::poll(Emitter& out) {
  std::vector<Batch> flushed;
  {
    std::lock_guard lock(mutex_);
    const int64_t now = clock_();
    for (Group& group : open_) {
      if (group.complete || now - group.opened_at < config_.flush_timeout.count()) continue;
      group.complete = true;
      // One batch per event: it carries that event's stream and the acknowledgements it holds.
      Batch& batch = flushed.emplace_back();
      batch.setStream(group.stream);
      batch.setSourceName(group.source_name);
      std::vector<AckToken> taken;
      batch.events().push_back(join(batch, group, taken));
      if (!taken.empty()) batch.ack() = AckToken(new ChainedAck(AckToken(), std::move(taken)), 0);
    }
    recycleComplete();
  }
  for (Batch& batch : flushed) out.emit(std::move(batch));
}

}  // namespace logship
