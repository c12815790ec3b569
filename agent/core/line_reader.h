#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"

namespace logship {

// Appends one event per complete line of `text` (lines end with '\n' or "\r\n", not kept).
// `base_offset` is the stream offset of text[0]. Returns the number of events added.
size_t splitLines(std::string_view text, uint64_t base_offset, int64_t timestamp_ns,
                  std::vector<Event>& out);

// Turns a byte stream into batches of whole lines: carries a partial last line over to the next
// read, cuts lines longer than max_line_bytes (the kept prefix is flagged kTruncated, the rest is
// skipped up to the next newline) and tracks the stream offset up to which every byte was consumed.
class LineReader {
 public:
  LineReader(size_t max_line_bytes, uint64_t start_offset)
      : max_line_bytes_(max_line_bytes), consumed_(start_offset), read_(start_offset) {}

  struct Chunk {
    Batch batch;
    uint64_t end_offset = 0;  // every byte before it is in this or an earlier chunk
    size_t truncated_lines = 0;
  };

  // Reads at most `want` bytes with read(2) semantics from `fd`. Returns nullopt at EOF or when no
  // data was available (errno tells which), otherwise a chunk (possibly with no events, when only a
  // partial line arrived or an over-long line is being skipped). `*bytes_read` receives what
  // read() returned.
  std::optional<Chunk> read(int fd, size_t want, int64_t now_ns, ssize_t* bytes_read);
  // Emits what is held back (a last line with no newline, or lines a multiline group kept back)
  // after the idle timeout: one event per line, the unterminated last one included.
  std::optional<Chunk> flushPartial(int64_t now_ns);
  // Gives back the last `bytes` of what was consumed: they are read again, first, next time.
  void unread(std::string_view bytes);

  bool hasPartial() const { return !carry_.empty(); }
  uint64_t consumedOffset() const { return consumed_; }
  uint64_t readOffset() const { return read_; }
  // Restart from `offset` (after truncation of the file, or a new file).
  void reset(uint64_t offset);

 private:
  std::optional<Chunk> process(std::unique_ptr<char[]> buffer, size_t size, int64_t now_ns);

  size_t max_line_bytes_;
  std::string carry_;        // bytes of an unfinished line
  uint64_t consumed_;        // stream offset after the last consumed byte
  uint64_t read_;            // stream offset after the last byte read
  bool discarding_ = false;  // inside an over-long line whose prefix was already emitted
};

}  // namespace logship
