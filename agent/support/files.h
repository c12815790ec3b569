#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace logship {

// The whole file, or nullopt (with errno set) when it cannot be read.
std::optional<std::string> readWholeFile(const std::string& path);

// Replaces `path` with `content` so that a crash leaves the old file or the new one, never a torn
// one: a temporary file beside it, synced, renamed over it, and the directory synced. Creates the
// directory when missing. False, with `error`, when the disk refuses.
bool writeFileAtomically(const std::string& path, std::string_view content, std::string* error);

// Writes all of `data` to `fd`, through short writes and EINTR. Returns how many bytes were
// written: data.size(), or fewer (errno set) when the disk or pipe refused the rest.
size_t writeAll(int fd, std::string_view data);

// Appends `data` to the end of `fd` whole or not at all: after a failed write (disk full), the
// part that made it is cut off again, so that a line or frame is never left half written.
bool appendWhole(int fd, std::string_view data);
// The same for pieces written as one (writev): they end up in the file all of them, or none.
bool appendWhole(int fd, std::span<const std::string_view> pieces);
// Cuts the last `bytes` bytes off `fd`: what an append that failed half way had written (errno is
// kept).
void cutEnd(int fd, size_t bytes);

// How a secret file's content may look.
enum class SecretForm {
  kLine,   // a token or password: one line (it goes into headers, where a newline is an attack)
  kBytes,  // a key: any bytes
};

// A secret kept in a file: its bytes without the line ending an editor leaves at the end. False,
// with `error` naming the file and the problem, when it cannot be read, is empty, or (kLine)
// holds more than one line.
bool readSecretFile(const std::string& path, SecretForm form, std::string& secret,
                    std::string& error);

}  // namespace logship
