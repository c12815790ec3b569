#include "pipelines/correlate/correlate.h"

#include <re2/re2.h>

#include <array>
#include <cstring>
#include <random>

#include "pipelines/common/event_fields.h"

namespace logship {

namespace correlation {
namespace {

constexpr std::array<int8_t, 256> kHexValue = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<int8_t>(c - 'A' + 10);
  return t;
}();

bool hexRun(const char* p, size_t n, bool* all_zero) {
  bool zero = true;
  for (size_t i = 0; i < n; ++i) {
    int8_t v = kHexValue[static_cast<unsigned char>(p[i])];
    if (v < 0) return false;
    zero = zero && v == 0;
  }
  if (all_zero != nullptr) *all_zero = zero;
  return true;
}

// Sized for the per-thread generator: xoshiro256** is small, fast and good enough for the random
// bits of an identifier; std::random_device only seeds it.
class Xoshiro256 {
 public:
  Xoshiro256() {
    std::random_device device;
    for (uint64_t& word : s_) {
      word = (static_cast<uint64_t>(device()) << 32) ^ device();
    }
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 0x9e3779b97f4a7c15ull;
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace

TraceContext findTraceContext(std::string_view text) {
  // 2 + 1 + 32 + 1 + 16 + 1 + 2 characters; anchored on the dash after the version.
  constexpr size_t kLength = 55;
  if (text.size() < kLength) return {};
  const char* base = text.data();
  size_t from = 2;
  while (from + kLength - 2 <= text.size()) {
    const void* hit = std::memchr(base + from, '-', text.size() - from - (kLength - 3));
    if (hit == nullptr) return {};
    size_t dash = static_cast<const char*>(hit) - base;
    const char* p = base + dash - 2;
    bool trace_zero = false;
    bool parent_zero = false;
    bool ok = hexRun(p, 2, nullptr) && !(p[0] == 'f' && p[1] == 'f') &&
              hexRun(p + 3, 32, &trace_zero) && p[35] == '-' && hexRun(p + 36, 16, &parent_zero) &&
              p[52] == '-' && hexRun(p + 53, 2, nullptr) && !trace_zero && !parent_zero;
    // A longer hex run around it is some other token (a hash), not a traceparent.
    if (ok && dash >= 3 && kHexValue[static_cast<unsigned char>(p[-1])] >= 0) ok = false;
    if (ok && dash - 2 + kLength < text.size() &&
        kHexValue[static_cast<unsigned char>(p[kLength])] >= 0) {
      ok = false;
    }
    if (ok) return {text.substr(dash + 1, 32), text.substr(dash + 34, 16)};
    from = dash + 1;
  }
  return {};
}

void formatUuidV7(int64_t unix_ns, uint64_t random_high, uint64_t random_low, char (&out)[36]) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t ms = static_cast<uint64_t>(unix_ns < 0 ? 0 : unix_ns / 1'000'000) & 0xffffffffffffull;
  uint8_t bytes[16];
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  bytes[6] = static_cast<uint8_t>(0x70 | ((random_high >> 8) & 0x0f));
  bytes[7] = static_cast<uint8_t>(random_high);
  bytes[8] = static_cast<uint8_t>(0x80 | ((random_low >> 56) & 0x3f));
  for (int i = 9; i < 16; ++i) bytes[i] = static_cast<uint8_t>(random_low >> (8 * (15 - i)));
  size_t o = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = kHex[bytes[i] >> 4];
    out[o++] = kHex[bytes[i] & 0x0f];
  }
}

}  // namespace correlation

namespace {

enum SessionField { kProcessName, kProcessPid, kHostName, kSessionFields };

constexpr size_t kTraceIdHex = 32;
constexpr size_t kSpanIdHex = 16;

std::vector<std::string> lookupNames(const CorrelateConfig& config) {
  std::vector<std::string> names = config.fields;
  names.insert(names.end(), {"process.name", "process.pid", "host.name"});
  names.insert(names.end(), config.trace_fields.begin(), config.trace_fields.end());
  names.insert(names.end(), config.span_fields.begin(), config.span_fields.end());
  names.insert(names.end(), {"trace.id", "span.id"});
  return names;
}

// A string field holding `digits` hex digits, not all zero: an id.
std::string_view hexId(const Field* f, size_t digits) {
  if (f == nullptr || f->value.kind != FieldValue::Kind::kString) return {};
  std::string_view v = f->value.string_value;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  bool zero = true;
  if (v.size() != digits || !correlation::hexRun(v.data(), v.size(), &zero) || zero) return {};
  return v;
}

// Trace and span ids are written in lower case, as OpenTelemetry and W3C do.
std::string_view lowerHex(Batch& batch, std::string_view id) {
  char* out = static_cast<char*>(batch.arena().allocate(id.size(), 1));
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    out[i] = c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return {out, id.size()};
}

}  // namespace

Correlate::Correlate(CorrelateConfig config, BuildContext& ctx, const Clock& clock)
    : lookup_(lookupNames(config)),
      id_fields_(config.fields.size()),
      trace_fields_(config.trace_fields.size()),
      span_fields_(config.span_fields.size()),
      traceparent_(config.traceparent),
      generate_(config.generate),
      overwrite_(config.overwrite),
      host_name_(ctx.global.host_name),
      clock_(clock) {
  std::vector<ConfigNode> pattern_nodes = ctx.node["patterns"].items();
  for (size_t i = 0; i < config.patterns.size(); ++i) {
    ConfigNode where = i < pattern_nodes.size() ? pattern_nodes[i] : ctx.node["patterns"];
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_unique<RE2>(config.patterns[i], options);
    if (!re->ok()) {
      ctx.diag.error(where.location(),
                     "invalid regular expression '" + config.patterns[i] + "': " + re->error());
    } else if (re->NumberOfCapturingGroups() != 1) {
      ctx.diag.error(where.location(), "pattern '" + config.patterns[i] +
                                           "' must have exactly one capture group (the id), "
                                           "it has " +
                                           std::to_string(re->NumberOfCapturingGroups()));
    } else {
      patterns_.push_back(std::move(re));
    }
  }
  for (auto& [process, prefix] : config.session_processes) {
    if (process.empty()) {
      ctx.diag.error(ctx.node["session_processes"].location(), "empty process name");
    }
    sessions_.emplace_back(process, prefix);
  }
}

Correlate::~Correlate() = default;

std::string_view Correlate::sessionId(Batch& batch, const Field* const* found) const {
  const Field* const* session = found + id_fields_;
  const Field* process = session[kProcessName];
  if (process == nullptr || process->value.kind != FieldValue::Kind::kString) return {};
  std::string_view prefix;
  bool known = false;
  for (auto& [name, id_prefix] : sessions_) {
    if (process->value.string_value.starts_with(name)) {
      prefix = id_prefix;
      known = true;
      break;
    }
  }
  if (!known) return {};
  const Field* pid = session[kProcessPid];
  if (pid == nullptr) return {};
  auto pid_number = valueInteger(pid->value);
  if (!pid_number || *pid_number <= 0) return {};
  std::string_view host = host_name_;
  if (const Field* h = session[kHostName];
      h != nullptr && h->value.kind == FieldValue::Kind::kString) {
    host = h->value.string_value;
  }
  // The pid alone repeats across hosts; host and pid together name one sshd process, which
  // handles exactly one connection (preauth, PAM and session lines alike).
  uint64_t hash = stableHash(host, static_cast<uint64_t>(*pid_number));
  static constexpr char kHex[] = "0123456789abcdef";
  char* out = static_cast<char*>(batch.arena().allocate(prefix.size() + 16, 1));
  std::memcpy(out, prefix.data(), prefix.size());
  for (int i = 0; i < 16; ++i) out[prefix.size() + i] = kHex[(hash >> (60 - 4 * i)) & 0x0f];
  return {out, prefix.size() + 16};
}

void Correlate::keepTraceContext(Batch& batch, Event& event, const Field* const* found,
                                 correlation::TraceContext message_context) const {
  const Field* const* trace_fields = found + id_fields_ + kSessionFields;
  const Field* const* span_fields = trace_fields + trace_fields_;
  const Field* const* own = span_fields + span_fields_;  // trace.id, span.id
  const bool need_trace = own[0] == nullptr;
  const bool need_span = own[1] == nullptr;
  if (!need_trace && !need_span) return;
  std::string_view trace = hexId(own[0], kTraceIdHex);
  for (size_t i = 0; i < trace_fields_ && trace.empty(); ++i) {
    trace = hexId(trace_fields[i], kTraceIdHex);
  }
  std::string_view span;
  for (size_t i = 0; i < span_fields_ && span.empty(); ++i) {
    span = hexId(span_fields[i], kSpanIdHex);
  }
  if (trace.empty() || span.empty()) {
    correlation::TraceContext context;
    for (size_t i = 0; i < id_fields_ && context.trace_id.empty(); ++i) {
      if (found[i] != nullptr && found[i]->value.kind == FieldValue::Kind::kString) {
        context = correlation::findTraceContext(found[i]->value.string_value);
      }
    }
    if (context.trace_id.empty()) context = message_context;
    // A traceparent's span belongs to its trace: it is taken only for the same trace.
    if (trace.empty()) trace = context.trace_id;
    if (span.empty() && trace.size() == context.trace_id.size() &&
        std::equal(trace.begin(), trace.end(), context.trace_id.begin(),
                   [](char a, char b) { return (a | 0x20) == (b | 0x20); })) {
      span = context.span_id;
    }
  }
  if (need_trace && !trace.empty()) {
    batch.addField(event, "trace.id", FieldValue::string(lowerHex(batch, trace)));
  }
  if (need_span && !span.empty()) {
    batch.addField(event, "span.id", FieldValue::string(lowerHex(batch, span)));
  }
}

std::string_view Correlate::find(Batch& batch, const Event& event, const Field* const* found,
                                 correlation::TraceContext message_context) const {
  for (size_t i = 0; i < id_fields_; ++i) {
    const Field* f = found[i];
    if (f == nullptr) continue;
    if (f->value.kind != FieldValue::Kind::kString) {
      char buffer[32];
      std::string_view text = valueText(f->value, buffer);
      if (!text.empty()) return batch.arena().copy(text);
      continue;
    }
    std::string_view value = f->value.string_value;
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.empty()) continue;
    if (std::string_view trace = correlation::findTraceparent(value); !trace.empty()) return trace;
    return value;  // already batch memory
  }
  if (!message_context.trace_id.empty()) return message_context.trace_id;
  for (const auto& re : patterns_) {
    re2::StringPiece id;
    if (RE2::PartialMatch(re2::StringPiece(event.message.data(), event.message.size()), *re, &id) &&
        !id.empty()) {
      return {id.data(), id.size()};
    }
  }
  return sessionId(batch, found);
}

void Correlate::process(Batch& batch, Emitter& out) {
  thread_local correlation::Xoshiro256 random;
  int64_t now = 0;
  std::vector<const Field*> found(lookup_.size());
  for (Event& e : batch.events()) {
    lookup_.find(batch, e, found.data());
    // The message is searched for a traceparent once, for both the id and the trace context.
    correlation::TraceContext message_context;
    if (traceparent_) message_context = correlation::findTraceContext(e.message);
    keepTraceContext(batch, e, found.data(), message_context);
    if (!overwrite_ && !e.correlation_id.empty()) continue;
    std::string_view id = find(batch, e, found.data(), message_context);
    if (id.empty() && generate_) {
      if (e.timestamp_ns == 0 && now == 0) now = clock_.nowNs();
      char uuid[36];
      correlation::formatUuidV7(e.timestamp_ns ? e.timestamp_ns : now, random.next(), random.next(),
                                uuid);
      id = batch.arena().copy(std::string_view(uuid, sizeof(uuid)));
    }
    if (!id.empty()) e.correlation_id = id;
  }
  out.emit(std::move(batch));
}

}  // namespace logship
