#include "agent/core/line_reader.h"

#include <unistd.h>

#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace logship {

namespace {

#if defined(__SSE2__)
// Bit k is set when p[k] is '\n', for the 64 bytes from p.
inline uint64_t newlineMask(const char* p) {
  const __m128i nl = _mm_set1_epi8('\n');
  uint64_t mask = 0;
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    mask |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl))))
            << (16 * i);
  }
  return mask;
}
#endif

}  // namespace

size_t splitLines(std::string_view text, uint64_t base_offset, int64_t timestamp_ns,
                  std::vector<Event>& out) {
  const char* begin = text.data();
  const size_t size = text.size();
  size_t line = 0;  // start of the current line
  size_t added = 0;
  auto endLine = [&](size_t nl) {
    Event& e = out.emplace_back();
    e.timestamp_ns = timestamp_ns;
    // CRLF line ends are line ends too; the CR is not part of the message.
    size_t line_end = (nl > line && begin[nl - 1] == '\r') ? nl - 1 : nl;
    e.message = std::string_view(begin + line, line_end - line);
    e.offset = base_offset + line;
    ++added;
    line = nl + 1;
  };
  size_t scanned = 0;
#if defined(__SSE2__)
  // Lines average about a hundred bytes: finding their ends 64 bytes at a time costs less than one
  // memchr call per line.
  for (; scanned + 64 <= size; scanned += 64) {
    for (uint64_t mask = newlineMask(begin + scanned); mask != 0; mask &= mask - 1) {
      endLine(scanned + std::countr_zero(mask));
    }
  }
#endif
  while (scanned < size) {
    const void* nl = std::memchr(begin + scanned, '\n', size - scanned);
    if (nl == nullptr) break;
    endLine(static_cast<const char*>(nl) - begin);
    scanned = line;
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
