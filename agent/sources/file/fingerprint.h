#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace logship {

// The head of a file: a hash of its first `length` bytes (at most the configured fingerprint size;
// fewer for a short file). A file whose first `length` bytes hash the same has the same head, so a
// short file that grew keeps its identity while a truncated and rewritten one does not.
struct Head {
  uint32_t length = 0;
  uint64_t hash = 0;

  bool operator==(const Head&) const = default;
  std::string str() const;  // "<length>:<hash hex>"
  static bool parse(std::string_view text, Head& out);
};

uint64_t fnv1a64(std::string_view bytes);
// Reads up to `max_bytes` from the start of `fd` (pread; the file position is untouched).
// Returns false on a read error.
bool readHead(int fd, uint32_t max_bytes, Head& out);
// True when the first `head.length` bytes of `fd` hash to `head.hash`.
bool hasHead(int fd, const Head& head);

// The first bytes of a file, read once, to compare with many heads (every file read, when a new
// one is placed) without a read for each.
class FileStart {
 public:
  // Reads up to `max_bytes` from the start of `fd`; false on a read error.
  bool read(int fd, uint32_t max_bytes);
  const Head& head() const { return head_; }
  // hasHead(fd, head), from the bytes read where they suffice.
  bool has(const Head& head) const;

 private:
  int fd_ = -1;
  uint32_t max_bytes_ = 0;
  std::string bytes_;
  Head head_;
};

}  // namespace logship
