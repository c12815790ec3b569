#include "agent/support/files.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace logship {

std::optional<std::string> readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(text).str();
}

size_t writeAll(int fd, std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

void cutEnd(int fd, size_t bytes) {
  if (bytes == 0) return;
  const int saved = errno;
  off_t end = ::lseek(fd, 0, SEEK_END);
  if (end >= static_cast<off_t>(bytes)) {
    int ignored = ::ftruncate(fd, end - static_cast<off_t>(bytes));
    (void)ignored;
  }
  errno = saved;
}

bool appendWhole(int fd, std::string_view data) {
  const size_t done = writeAll(fd, data);
  if (done == data.size()) return true;
  cutEnd(fd, done);
  return false;
}

bool appendWhole(int fd, std::span<const std::string_view> pieces) {
  std::vector<iovec> iov;
  iov.reserve(std::min<size_t>(pieces.size(), IOV_MAX));
  size_t done = 0;
  size_t next = 0;  // the first piece not yet in `iov`
  while (next < pieces.size() || !iov.empty()) {
    while (iov.size() < IOV_MAX && next < pieces.size()) {
      std::string_view p = pieces[next++];
      if (!p.empty()) iov.push_back({const_cast<char*>(p.data()), p.size()});
    }
    if (iov.empty()) break;
    ssize_t n = ::writev(fd, iov.data(), static_cast<int>(iov.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      cutEnd(fd, done);
      return false;
    }
    done += static_cast<size_t>(n);
    // Drops what was written: whole pieces, then the start of a partly written one.
    size_t left = static_cast<size_t>(n), whole = 0;
    while (whole < iov.size() && left >= iov[whole].iov_len) left -= iov[whole++].iov_len;
    iov.erase(iov.begin(), iov.begin() + static_cast<std::ptrdiff_t>(whole));
    if (left > 0) {
      iov.front().iov_base = static_cast<char*>(iov.front().iov_base) + left;
      iov.front().iov_len -= left;
    }
  }
  return true;
}

bool writeFileAtomically(const std::string& path, std::string_view content, std::string* error) {
  const std::filesystem::path target(path);
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  const std::string tmp = path + ".tmp";
  auto fail = [&](const char* what) {
    if (error) *error = std::string(what) + " " + tmp + ": " + std::strerror(errno);
    return false;
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return fail("cannot open");
  if (writeAll(fd, content) != content.size()) {
    ::close(fd);
    return fail("cannot write");
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return fail("cannot sync");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename");
  int dir = ::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return true;
}

bool readSecretFile(const std::string& path, SecretForm form, std::string& secret,
                    std::string& error) {
  std::optional<std::string> text = readWholeFile(path);
  if (!text) {
    error = "cannot read secret file " + path + ": " + std::strerror(errno);
    return false;
  }
  secret = std::move(*text);
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) {
    error = "secret file " + path + " is empty";
    return false;
  }
  if (form == SecretForm::kLine && secret.find_first_of("\r\n") != std::string::npos) {
    error = "secret file " + path + " holds more than one line";
    secret.clear();
    return false;
  }
  return true;
}

}  // namespace logship
