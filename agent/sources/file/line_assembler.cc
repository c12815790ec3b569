#include "agent/sources/file/line_assembler.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstring>

#include "agent/support/timestamp.h"

namespace logship {

bool readMultiline(const ConfigNode& node, MultilineConfig& out, Diagnostics& diag) {
  if (!node.isMap()) {
    diag.error(node.location(), "multiline must be a map like {start: '^\\d{4}-', timeout: 1s}");
    return false;
  }
  size_t errors = diag.errors().size();
  for (auto& [key, value] : node.entries()) {
    std::string name = key.yaml().Scalar();
    if (name == "start") {
      readValue(value, out.start, diag);
    } else if (name == "continue") {
      readValue(value, out.continue_, diag);
    } else if (name == "timeout") {
      readValue(value, out.timeout, diag);
    } else if (name == "max_lines") {
      readValue(value, out.max_lines, diag);
    } else if (name == "max_bytes") {
      readValue(value, out.max_bytes, diag);
    } else {
      diag.error(key.location(), "unknown option '" + name +
                                     "' (known: start, continue, timeout, max_lines, max_bytes)");
    }
  }
  if (out.start.empty() == out.continue_.empty()) {
    diag.error(node.location(), "multiline needs exactly one of start or continue");
  }
  std::string pattern = out.start.empty() ? out.continue_ : out.start;
  if (!pattern.empty()) {
    RE2 re(pattern, RE2::Quiet);
    if (!re.ok()) {
      diag.error(node[out.start.empty() ? "continue" : "start"].location(),
                 "bad regular expression: " + re.error());
    }
  }
  if (out.max_lines < 1) diag.error(node["max_lines"].location(), "max_lines must be at least 1");
  return diag.errors().size() == errors;
}

MultilineRule::MultilineRule(const MultilineConfig& c)
    : config(c),
      pattern(std::make_unique<const RE2>(c.start.empty() ? c.continue_ : c.start)),
      is_start(!c.start.empty()) {}

MultilineRule::~MultilineRule() = default;

MultilineAssembler::MultilineAssembler(std::shared_ptr<const MultilineRule> rule,
                                       size_t max_event_bytes)
    : rule_(std::move(rule)),
      max_bytes_(std::min(max_event_bytes, rule_->config.max_bytes.bytes)) {}

bool MultilineAssembler::continues(std::string_view message) const {
  const bool matches = RE2::PartialMatch(message, *rule_->pattern);
  return rule_->is_start ? !matches : matches;
}

namespace {

// Joins events [first, last] into `first`: a view when they are adjacent in one buffer (lines of a
// file are), otherwise a copy in the arena.
void join(Batch& batch, std::vector<Event>& events, size_t first, size_t last) {
  Event& head = events[first];
  const Event& tail = events[last];
  const char* begin = head.message.data();
  const char* end = tail.message.data() + tail.message.size();
  bool adjacent = end > begin;
  for (size_t i = first + 1; adjacent && i <= last; ++i) {
    const Event& prev = events[i - 1];
    const char* gap = prev.message.data() + prev.message.size();
    const char* next = events[i].message.data();
    adjacent = next >= gap && next - gap <= 2 && std::memchr(gap, '\n', next - gap) != nullptr;
  }
  if (adjacent) {
    head.message = std::string_view(begin, end - begin);
  } else {
    size_t size = 0;
    for (size_t i = first; i <= last; ++i) size += events[i].message.size() + 1;
    char* out = static_cast<char*>(batch.arena().allocate(size, 1));
    size_t at = 0;
    for (size_t i = first; i <= last; ++i) {
      std::memcpy(out + at, events[i].message.data(), events[i].message.size());
      at += events[i].message.size();
      if (i != last) out[at++] = '\n';
    }
    head.message = std::string_view(out, at);
  }
  for (size_t i = first + 1; i <= last; ++i) head.flags |= events[i].flags;
}

}  // namespace

LineAssembler::Result MultilineAssembler::assemble(Batch& batch, bool final) {
  std::vector<Event>& events = batch.events();
  Result result;
  size_t i = 0;
  // The rest of a group cut in an earlier read.
  if (dropping_) {
    while (i < events.size() && continues(events[i].message)) ++i;
    result.dropped_lines += i;
    if (i < events.size()) dropping_ = false;
  }
  if (i == events.size()) {
    events.clear();
    return result;
  }
  const size_t max_lines = static_cast<size_t>(rule_->config.max_lines);
  size_t out = 0;
  size_t group = i;
  size_t last = i;  // the group's last line kept
  size_t group_bytes = events[i].message.size();
  bool cut = false;
  auto close = [&] {
    if (last > group) join(batch, events, group, last);
    if (cut) {
      events[group].flags |= Event::kTruncated;
      ++result.truncated_events;
    }
    events[out++] = events[group];
  };
  for (size_t j = i + 1; j < events.size(); ++j) {
    if (!continues(events[j].message)) {
      close();
      group = last = j;
      group_bytes = events[j].message.size();
      cut = false;
      continue;
    }
    // What the joined message would be: a view from the group's first byte, CRs of CRLF line
    // ends included, when the lines are adjacent in the buffer (see join()), else a copy.
    const char* begin = events[group].message.data();
    const char* end = events[j].message.data() + events[j].message.size();
    const size_t copied = group_bytes + events[j].message.size() + 1;
    const size_t joined = end > begin && static_cast<size_t>(end - begin) <= copied + (j - group)
                              ? end - begin
                              : copied;
    if (cut) {
      ++result.dropped_lines;
    } else if (last - group + 1 >= max_lines) {
      // max_lines starts a new group, as Promtail's does; only bytes cut an event.
      close();
      group = last = j;
      group_bytes = events[j].message.size();
    } else if (joined <= max_bytes_) {
      group_bytes = joined;
      last = j;
    } else {
      cut = true;
      ++result.dropped_lines;
    }
  }
  // The last group may go on in data not read yet: held back (at most max_bytes of it) unless
  // it is final, or was cut, in which case what follows it is dropped.
  if (final || cut) {
    close();
    dropping_ = cut && !final;
  } else {
    result.held = events[group].offset;
  }
  events.resize(out);
  return result;
}

namespace {

// "<time> <stream> <tag> <message>" of a CRI line.
struct CriLine {
  int64_t ts = 0;
  std::string_view stream;
  char tag = 'F';
  std::string_view body;

  bool parse(std::string_view line) {
    size_t n = timestamp::scanRfc3339(line, 0, ts);
    if (n == 0 || n >= line.size() || line[n] != ' ') return false;
    std::string_view rest = line.substr(n + 1);
    size_t sp = rest.find(' ');
    if (sp == std::string_view::npos) return false;
    stream = rest.substr(0, sp);
    rest = rest.substr(sp + 1);
    if (rest.empty() || (rest[0] != 'P' && rest[0] != 'F')) return false;
    tag = rest[0];
    body = rest.size() > 1 && rest[1] == ' ' ? rest.substr(2) : rest.substr(1);
    return true;
  }
};

}  // namespace

LineAssembler::Result CriAssembler::assemble(Batch& batch, bool final) {
  std::vector<Event>& events = batch.events();
  Result result;
  size_t out = 0;
  size_t i = 0;
  while (i < events.size()) {
    CriLine line;
    if (!line.parse(events[i].message)) {
      Event& e = events[out++] = events[i];
      batch.addField(e, "event.parse_error", FieldValue::string("not a CRI log line"));
      e.flags |= Event::kParseError;
      ++i;
      continue;
    }
    if (!dropping_.empty() && line.stream == dropping_) {
      // A piece of a message cut in an earlier read.
      ++result.dropped_lines;
      if (line.tag == 'F') dropping_.clear();
      ++i;
      continue;
    }
    // The pieces up to the closing F line, as many as fit in max_bytes.
    size_t end = i;   // the last piece of this message in the batch
    size_t kept = i;  // the last piece (partly) kept
    size_t bytes = line.body.size();
    bool cut = bytes > max_bytes_;
    char tag = line.tag;
    CriLine next;
    while (tag == 'P' && end + 1 < events.size() && next.parse(events[end + 1].message) &&
           next.stream == line.stream) {
      ++end;
      tag = next.tag;
      if (cut) {
        ++result.dropped_lines;
        continue;
      }
      bytes += next.body.size();
      kept = end;
      if (bytes > max_bytes_) cut = true;
    }
    if (tag == 'P' && end + 1 == events.size() && !final && !cut) {
      // The rest of this message is not written yet: hold its pieces back, unless they are so
      // many that their prefixes alone outgrow twice the limit (pieces of a few bytes each).
      const size_t held_bytes = static_cast<size_t>(events[end].offset - events[i].offset) +
                                events[end].message.size() + 1;
      if (held_bytes <= 2 * max_bytes_) {
        result.held = events[i].offset;
        break;
      }
      cut = true;
    }
    Event e = events[i];
    e.timestamp_ns = line.ts;
    const size_t size = std::min(bytes, max_bytes_);
    if (kept == i) {
      e.message = line.body.substr(0, size);
    } else {
      char* buf = static_cast<char*>(batch.arena().allocate(size, 1));
      size_t at = 0;
      CriLine piece;
      for (size_t k = i; k <= kept && at < size; ++k) {
        piece.parse(events[k].message);
        const size_t n = std::min(piece.body.size(), size - at);
        std::memcpy(buf + at, piece.body.data(), n);
        at += n;
      }
      e.message = std::string_view(buf, at);
    }
    if (cut) {
      e.flags |= Event::kTruncated;
      ++result.truncated_events;
      if (tag == 'P' && !final) dropping_ = std::string(line.stream);  // its F line comes later
    }
    batch.addField(e, "stream", FieldValue::string(line.stream));
    events[out++] = e;
    i = end + 1;
  }
  events.resize(out);
  return result;
}

void addPodFields(Batch& batch, std::string_view path) {
  // /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log
  constexpr std::string_view kRoot = "/var/log/pods/";
  size_t at = path.find(kRoot);
  if (at == std::string_view::npos) return;
  std::string_view rest = path.substr(at + kRoot.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return;
  std::string_view pod_dir = rest.substr(0, slash);
  std::string_view container = rest.substr(slash + 1);
  container = container.substr(0, container.find('/'));
  size_t first = pod_dir.find('_');
  size_t last = pod_dir.rfind('_');
  if (first == std::string_view::npos || last == first) return;
  batch.addSharedString("kubernetes.namespace", pod_dir.substr(0, first));
  batch.addSharedString("kubernetes.pod.name", pod_dir.substr(first + 1, last - first - 1));
  batch.addSharedString("kubernetes.pod.uid", pod_dir.substr(last + 1));
  batch.addSharedString("kubernetes.container.name", container);
}

}  // namespace logship
