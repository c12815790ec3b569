#include "agent/sources/file/line_assembler.h"

#include <re2/re2.h>

#include <cstring>

#include "parsers/timestamp/timestamp.h"

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

MultilineAssembler::MultilineAssembler(const MultilineConfig& config)
    : config_(config),
      pattern_(std::make_unique<RE2>(config.start.empty() ? config.continue_ : config.start)),
      is_start_(!config.start.empty()) {}

MultilineAssembler::~MultilineAssembler() = default;

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

std::optional<uint64_t> MultilineAssembler::assemble(Batch& batch, bool final) {
  std::vector<Event>& events = batch.events();
  if (events.empty()) return std::nullopt;
  size_t out = 0;
  size_t group = 0;
  size_t group_bytes = events[0].message.size();
  auto close = [&](size_t last) {
    if (last > group) join(batch, events, group, last);
    events[out++] = events[group];
  };
  for (size_t i = 1; i < events.size(); ++i) {
    bool matches = RE2::PartialMatch(events[i].message, *pattern_);
    bool joins = is_start_ ? !matches : matches;
    size_t lines = i - group;
    if (joins && lines < static_cast<size_t>(config_.max_lines) &&
        group_bytes + events[i].message.size() + 1 <= config_.max_bytes.bytes) {
      group_bytes += events[i].message.size() + 1;
      continue;
    }
    close(i - 1);
    group = i;
    group_bytes = events[i].message.size();
  }
  // The last group may go on in data not read yet: hold it back unless it is complete or final.
  size_t lines = events.size() - group;
  bool full = lines >= static_cast<size_t>(config_.max_lines) ||
              group_bytes >= config_.max_bytes.bytes;
  std::optional<uint64_t> held;
  if (final || full) {
    close(events.size() - 1);
  } else {
    held = events[group].offset;
  }
  events.resize(out);
  return held;
}

std::optional<uint64_t> CriAssembler::assemble(Batch& batch, bool final) {
  std::vector<Event>& events = batch.events();
  size_t out = 0;
  size_t i = 0;
  std::optional<uint64_t> held;
  while (i < events.size()) {
    // Parse "<time> <stream> <tag> <message>" of line i.
    auto parse = [](std::string_view line, int64_t& ts, std::string_view& stream, char& tag,
                    std::string_view& body) {
      int64_t ns = 0;
      size_t n = timestamp::scanRfc3339(line, 0, ns);
      if (n == 0 || n >= line.size() || line[n] != ' ') return false;
      std::string_view rest = line.substr(n + 1);
      size_t sp = rest.find(' ');
      if (sp == std::string_view::npos) return false;
      stream = rest.substr(0, sp);
      rest = rest.substr(sp + 1);
      if (rest.empty() || (rest[0] != 'P' && rest[0] != 'F')) return false;
      tag = rest[0];
      body = rest.size() > 1 && rest[1] == ' ' ? rest.substr(2) : rest.substr(1);
      ts = ns;
      return true;
    };
    int64_t ts = 0;
    std::string_view stream, body;
    char tag = 'F';
    if (!parse(events[i].message, ts, stream, tag, body)) {
      Event& e = events[out++] = events[i];
      batch.addField(e, "event.parse_error", FieldValue::string("not a CRI log line"));
      e.flags |= Event::kParseError;
      ++i;
      continue;
    }
    // Collect P lines up to the closing F line.
    size_t end = i;
    std::string_view piece_stream = stream;
    while (tag == 'P' && end + 1 < events.size()) {
      int64_t t2;
      std::string_view s2, b2;
      char tag2;
      if (!parse(events[end + 1].message, t2, s2, tag2, b2) || s2 != piece_stream) break;
      ++end;
      tag = tag2;
    }
    if (tag == 'P' && end + 1 == events.size() && !final) {
      held = events[i].offset;  // the rest of this line is not written yet
      break;
    }
    Event e = events[i];
    e.timestamp_ns = ts;
    if (end == i) {
      e.message = body;
    } else {
      size_t size = 0;
      std::string_view pieces[2];
      for (size_t k = i; k <= end; ++k) {
        int64_t t;
        char g;
        parse(events[k].message, t, pieces[0], g, pieces[1]);
        size += pieces[1].size();
      }
      char* buf = static_cast<char*>(batch.arena().allocate(size, 1));
      size_t at = 0;
      for (size_t k = i; k <= end; ++k) {
        int64_t t;
        char g;
        parse(events[k].message, t, pieces[0], g, pieces[1]);
        std::memcpy(buf + at, pieces[1].data(), pieces[1].size());
        at += pieces[1].size();
      }
      e.message = std::string_view(buf, at);
    }
    batch.addField(e, "stream", FieldValue::string(stream));
    events[out++] = e;
    i = end + 1;
  }
  events.resize(out);
  return held;
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
