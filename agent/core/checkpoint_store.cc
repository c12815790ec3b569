#include "agent/core/checkpoint_store.h"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "agent/support/files.h"
#include "agent/support/json_writer.h"

namespace logship {
namespace {

constexpr std::string_view kTrailer = "\ncrc32 ";

uint32_t crcOf(std::string_view text) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
}

void throwErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

std::string CheckpointStore::serialize(const Map& checkpoints, uint64_t seq) {
  std::string body = "{\"version\":1,\"seq\":" + std::to_string(seq) + ",\"checkpoints\":[";
  bool first = true;
  for (auto& [key, cp] : checkpoints) {
    if (!first) body += ',';
    first = false;
    body += "\n{\"key\":";
    json::appendString(body, key);
    body += ",\"offset\":" + std::to_string(cp.offset) + ",\"path\":";
    json::appendString(body, cp.path);
    body += ",\"cursor\":";
    json::appendString(body, cp.cursor);
    body += '}';
  }
  body += "\n]}";
  char trailer[32];
  std::snprintf(trailer, sizeof trailer, "%08x\n", crcOf(body));
  return body + std::string(kTrailer) + trailer;
}

std::optional<CheckpointStore::Map> CheckpointStore::parse(std::string_view text,
                                                           std::string* problem, uint64_t* seq) {
  size_t at = text.rfind(kTrailer);
  if (at == std::string_view::npos) {
    *problem = "no checksum trailer (torn write?)";
    return std::nullopt;
  }
  std::string_view body = text.substr(0, at);
  std::string_view hex = text.substr(at + kTrailer.size());
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.remove_suffix(1);
  char expected[16];
  std::snprintf(expected, sizeof expected, "%08x", crcOf(body));
  if (hex != expected) {
    *problem = "checksum mismatch";
    return std::nullopt;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root)) {
    *problem = "not valid JSON";
    return std::nullopt;
  }
  int64_t version = 0;
  if (root["version"].get(version) || version != 1) {
    *problem = "unknown version";
    return std::nullopt;
  }
  uint64_t sequence = 0;
  if (root["seq"].get(sequence) && root["seq"].error() != simdjson::NO_SUCH_FIELD) {
    *problem = "malformed sequence number";
    return std::nullopt;
  }
  if (seq != nullptr) *seq = sequence;
  simdjson::dom::array list;
  if (root["checkpoints"].get(list)) {
    *problem = "no checkpoints list";
    return std::nullopt;
  }
  Map out;
  for (simdjson::dom::element item : list) {
    std::string_view key, path, cursor;
    uint64_t offset = 0;
    if (item["key"].get(key) || item["offset"].get(offset) || item["path"].get(path) ||
        item["cursor"].get(cursor)) {
      *problem = "malformed checkpoint entry";
      return std::nullopt;
    }
    out[std::string(key)] = Checkpoint{offset, std::string(path), std::string(cursor)};
  }
  return out;
}

CheckpointStore::Loaded CheckpointStore::load() {
  Loaded result;
  // The newest copy killed or crashed processes left: the fast file when it is valid and newer
  // than the synced one (it is not after a power loss, which may tear it).
  uint64_t fast_seq = 0;
  std::optional<Map> fast;
  if (auto text = readWholeFile(path_ + ".fast")) {
    std::string ignored;
    fast = parse(*text, &ignored, &fast_seq);
  }
  auto takeFastIfNewer = [&](uint64_t synced_seq) {
    if (fast && fast_seq > synced_seq) {
      result.checkpoints = std::move(*fast);
      result.from_fast = true;
      seq_ = fast_seq;
    }
  };
  auto current = readWholeFile(path_);
  if (!current) {  // never synced: a first start, or killed before the first synced save
    takeFastIfNewer(0);
    return result;
  }
  uint64_t seq = 0;
  if (auto map = parse(*current, &result.problem, &seq)) {
    result.checkpoints = std::move(*map);
    seq_ = seq;
    takeFastIfNewer(seq);
    return result;
  }
  std::string first_problem = result.problem;
  result.from_previous = true;
  auto previous = readWholeFile(path_ + ".prev");
  std::string prev_problem = "missing";
  if (previous) {
    if (auto map = parse(*previous, &prev_problem, &seq)) {
      result.checkpoints = std::move(*map);
      result.problem = first_problem;
      seq_ = seq;
      takeFastIfNewer(seq);
      return result;
    }
  }
  result.problem = first_problem + "; previous copy: " + prev_problem;
  takeFastIfNewer(0);
  return result;
}

void CheckpointStore::save(const Map& checkpoints, Durability durability) {
  const std::string data = serialize(checkpoints, ++seq_);
  const bool synced = durability == Durability::kSynced;
  const std::string target = synced ? path_ : path_ + ".fast";
  const std::string tmp = target + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) throwErrno("open " + tmp);
  try {
    if (writeAll(fd, data) != data.size()) throwErrno("write " + tmp);
    if (synced && ::fsync(fd) != 0) throwErrno("fsync " + tmp);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (!synced) {
    if (::rename(tmp.c_str(), target.c_str()) != 0) throwErrno("rename " + tmp);
    return;
  }
  // Keep the last good copy: link it aside before the rename replaces it.
  std::string prev = path_ + ".prev";
  if (::access(path_.c_str(), F_OK) == 0) {
    ::unlink(prev.c_str());
    if (::link(path_.c_str(), prev.c_str()) != 0) throwErrno("link " + prev);
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) throwErrno("rename " + tmp);
  std::string dir = path_.substr(0, path_.rfind('/') + 1);
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace logship
