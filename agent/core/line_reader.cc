#include "agent/core/line_reader.h"

#include <unistd.h>

#include <cstring>

namespace logship {

size_t splitLines(std::string_view text, uint64_t base_offset, int64_t timestamp_ns,
                  std::vector<Event>& out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  const char* line = begin;
  size_t added = 0;
  while (line < end) {
    const char* nl = static_cast<const char*>(std::memchr(line, '\n', end - line));
    if (nl == nullptr) break;
    Event& e = out.emplace_back();
    e.timestamp_ns = timestamp_ns;
    // CRLF line ends are line ends too; the CR is not part of the message.
    const char* line_end = (nl > line && nl[-1] == '\r') ? nl - 1 : nl;
    e.message = std::string_view(line, line_end - line);
    e.offset = base_offset + (line - begin);
    ++added;
    line = nl + 1;
  }
  return added;
}

std::optional<LineReader::Chunk> LineReader::read(int fd, size_t want, int64_t now_ns,
                                                  ssize_t* bytes_read) {
  size_t carried = carry_.size();
  auto buffer = std::make_unique_for_overwrite<char[]>(carried + want);
  ssize_t n = ::read(fd, buffer.get() + carried, want);
  *bytes_read = n;
  if (n <= 0) return std::nullopt;
  std::memcpy(buffer.get(), carry_.data(), carried);
  carry_.clear();
  read_ += n;
  return process(std::move(buffer), carried + n, now_ns);
}

std::optional<LineReader::Chunk> LineReader::process(std::unique_ptr<char[]> buffer, size_t size,
                                                     int64_t now_ns) {
  // Stream offset of buffer[0]: everything read so far minus what this buffer holds.
  uint64_t base = read_ - size;
  char* data = buffer.get();
  size_t start = 0;
  if (discarding_) {
    const char* nl = static_cast<const char*>(std::memchr(data, '\n', size));
    if (nl == nullptr) return Chunk{Batch(), consumed_, 0};
    start = nl - data + 1;
    discarding_ = false;
  }
  const char* last_nl = nullptr;
  if (size > start) {
    last_nl = static_cast<const char*>(memrchr(data + start, '\n', size - start));
  }
  size_t complete_end = last_nl ? (last_nl - data + 1) : start;
  size_t tail = size - complete_end;

  Chunk chunk{Batch(), 0, 0};
  std::vector<Event> events;
  events.reserve((complete_end - start) / 96 + 4);
  splitLines(std::string_view(data + start, complete_end - start), base + start, now_ns, events);
  consumed_ = base + complete_end;

  // Over-long lines among the complete ones are cut here; the over-long tail is cut below.
  for (Event& e : events) {
    if (e.message.size() > max_line_bytes_) {
      e.message = e.message.substr(0, max_line_bytes_);
      e.flags |= Event::kTruncated;
      ++chunk.truncated_lines;
    }
  }
  if (tail > max_line_bytes_) {
    Event& e = events.emplace_back();
    e.timestamp_ns = now_ns;
    e.message = std::string_view(data + complete_end, max_line_bytes_);
    e.offset = base + complete_end;
    e.flags |= Event::kTruncated;
    ++chunk.truncated_lines;
    // The checkpoint stays at the start of this line until its end is found: after a restart the
    // line is shipped again (duplicated, never lost).
    discarding_ = true;
  } else if (tail > 0) {
    carry_.assign(data + complete_end, tail);
  }
  chunk.batch = Batch(std::move(buffer), size, AckToken());
  chunk.batch.events() = std::move(events);
  chunk.end_offset = consumed_;
  return chunk;
}

std::optional<LineReader::Chunk> LineReader::flushPartial(int64_t now_ns) {
  if (carry_.empty()) return std::nullopt;
  size_t size = carry_.size();
  auto buffer = std::make_unique_for_overwrite<char[]>(size);
  std::memcpy(buffer.get(), carry_.data(), size);
  carry_.clear();
  Chunk chunk{Batch(std::move(buffer), size, AckToken()), read_, 0};
  std::string_view text = chunk.batch.raw();
  uint64_t base = read_ - size;
  splitLines(text, base, now_ns, chunk.batch.events());
  size_t last_nl = text.rfind('\n');
  size_t tail_start = last_nl == std::string_view::npos ? 0 : last_nl + 1;
  if (tail_start < size) {
    Event& e = chunk.batch.events().emplace_back();
    e.timestamp_ns = now_ns;
    e.message = text.substr(tail_start);
    e.offset = base + tail_start;
  }
  consumed_ = read_;
  return chunk;
}

void LineReader::unread(std::string_view bytes) {
  carry_.insert(0, bytes);
  consumed_ -= bytes.size();
}

void LineReader::reset(uint64_t offset) {
  carry_.clear();
  discarding_ = false;
  consumed_ = read_ = offset;
}

}  // namespace logship
