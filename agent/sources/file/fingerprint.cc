#include "agent/sources/file/fingerprint.h"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <vector>

namespace logship {

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string Head::str() const {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%u:%016llx", length, static_cast<unsigned long long>(hash));
  return buf;
}

bool Head::parse(std::string_view text, Head& out) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  auto a = std::from_chars(text.data(), text.data() + colon, out.length);
  auto b = std::from_chars(text.data() + colon + 1, text.data() + text.size(), out.hash, 16);
  return a.ec == std::errc() && b.ec == std::errc() && b.ptr == text.data() + text.size();
}

namespace {
ssize_t preadFully(int fd, char* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, buf + done, n - done, static_cast<off_t>(done));
    if (r < 0) return -1;
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(done);
}
}  // namespace

bool readHead(int fd, uint32_t max_bytes, Head& out) {
  std::vector<char> buf(max_bytes);
  ssize_t n = preadFully(fd, buf.data(), max_bytes);
  if (n < 0) return false;
  out.length = static_cast<uint32_t>(n);
  out.hash = fnv1a64(std::string_view(buf.data(), static_cast<size_t>(n)));
  return true;
}

bool hasHead(int fd, const Head& head) {
  std::vector<char> buf(head.length);
  ssize_t n = preadFully(fd, buf.data(), head.length);
  return n == static_cast<ssize_t>(head.length) &&
         fnv1a64(std::string_view(buf.data(), head.length)) == head.hash;
}

bool FileStart::read(int fd, uint32_t max_bytes) {
  fd_ = fd;
  max_bytes_ = max_bytes;
  bytes_.resize(max_bytes);
  ssize_t n = preadFully(fd, bytes_.data(), max_bytes);
  if (n < 0) return false;
  bytes_.resize(static_cast<size_t>(n));
  head_ = Head{static_cast<uint32_t>(n), fnv1a64(bytes_)};
  return true;
}

bool FileStart::has(const Head& head) const {
  if (head.length == head_.length) return head.hash == head_.hash;
  if (head.length < head_.length) {
    return fnv1a64(std::string_view(bytes_).substr(0, head.length)) == head.hash;
  }
  // Longer than what was read: a head saved with a larger fingerprint size.
  return head_.length == max_bytes_ && hasHead(fd_, head);
}

}  // namespace logship
