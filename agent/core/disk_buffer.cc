#include "agent/core/disk_buffer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "agent/core/batch_codec.h"
#include "agent/core/crc32c.h"
#include "agent/support/files.h"

namespace logship {

namespace fs = std::filesystem;

namespace {

constexpr uint32_t kMagic = 0x3142534c;        // "LSB1": a zstd payload
constexpr uint32_t kSealedMagic = 0x3242534c;  // "LSB2": key id length, key id, sealed zstd
// Naturally aligned, no padding: read and written as it is.
struct FrameHeader {
  uint32_t magic;
  uint32_t length;  // compressed payload bytes
  uint32_t crc;     // CRC32C of the payload
  uint32_t events;
  uint64_t seq;
  int64_t appended_ns;
};
static_assert(sizeof(FrameHeader) == 32);
constexpr uint64_t kMaxFrame = 256u << 20;

std::string segmentName(uint64_t first_seq) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%020llu.seg", static_cast<unsigned long long>(first_seq));
  return buf;
}

bool preadFully(int fd, void* buf, size_t n, uint64_t at) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, static_cast<char*>(buf) + done, n - done, static_cast<off_t>(at + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

// Reads and checks the frame at `at`: header, length bound and CRC of the payload.
bool readFrame(int fd, uint64_t at, uint64_t file_size, FrameHeader& h, std::string& payload) {
  if (at + sizeof h > file_size || !preadFully(fd, &h, sizeof h, at)) return false;
  if ((h.magic != kMagic && h.magic != kSealedMagic) || h.length > kMaxFrame ||
      at + sizeof h + h.length > file_size) {
    return false;
  }
  payload.resize(h.length);
  if (!preadFully(fd, payload.data(), h.length, at + sizeof h)) return false;
  return crc32c(payload.data(), payload.size()) == h.crc;
}

// The next offset after `at` where a frame header's magic appears, or file_size.
uint64_t resync(int fd, uint64_t at, uint64_t file_size) {
  char buf[1 << 16];
  for (uint64_t pos = at + 1; pos < file_size;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof buf, file_size - pos));
    if (!preadFully(fd, buf, n, pos)) break;
    for (size_t i = 0; i + 4 <= n; ++i) {
      uint32_t m;
      std::memcpy(&m, buf + i, 4);
      if (m == kMagic || m == kSealedMagic) return pos + i;
    }
    pos += n > 3 ? n - 3 : n;
  }
  return file_size;
}

uint64_t fileSize(int fd) {
  off_t end = ::lseek(fd, 0, SEEK_END);
  return end < 0 ? 0 : static_cast<uint64_t>(end);
}

}  // namespace

DiskBuffer::DiskBuffer(Options options)
    : options_(std::move(options)), cctx_(ZSTD_createCCtx()), dctx_(ZSTD_createDCtx()) {
  // A negative (fast) level: the buffer is on the hot path and short-lived (ARCHITECTURE.md).
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, -3);
}

DiskBuffer::~DiskBuffer() {
  if (writer_fd_ >= 0) ::close(writer_fd_);
  ZSTD_freeCCtx(cctx_);
  ZSTD_freeDCtx(dctx_);
}

bool DiskBuffer::open(std::string* error) {
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec) {
    *error = "cannot create " + options_.dir + ": " + ec.message();
    return false;
  }
  state_ = std::make_unique<CheckpointStore>(options_.dir + "/state.json");
  auto loaded = state_->load();
  uint64_t done = 0;
  if (auto it = loaded.checkpoints.find("done"); it != loaded.checkpoints.end()) {
    done = it->second.offset;
  }
  saved_done_ = done;
  done_ = std::make_unique<OrderedAckTracker>(done);
  read_seq_ = done;
  for (auto& entry : fs::directory_iterator(options_.dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(".seg")) continue;
    Segment s;
    s.first_seq = std::strtoull(name.c_str(), nullptr, 10);
    s.path = entry.path().string();
    segments_[s.first_seq] = s;
  }
  next_seq_ = done + 1;
  for (auto& [first, s] : segments_) {
    scanSegment(s);
    if (s.last_seq >= next_seq_) next_seq_ = s.last_seq + 1;
  }
  // Segments whose frames are all done (a crash before their deletion) go now.
  for (auto it = segments_.begin(); it != segments_.end();) {
    if (it->second.last_seq != 0 && it->second.last_seq <= done) {
      ::unlink(it->second.path.c_str());
      it = segments_.erase(it);
    } else {
      ++it;
    }
  }
  if (!missing_key_.empty()) {
    // Replaying without the key would lose those batches: refuse to start instead.
    *error = "the disk buffer in " + options_.dir + " holds frames encrypted with key '" +
             missing_key_ + "', which its encryption_key_file lacks";
    return false;
  }
  stats_.frames_replayed = frames_.size();
  read_segment_ = segments_.empty() ? next_seq_ : segments_.begin()->first;
  read_offset_ = 0;
  // Never append to a segment that may end in a torn frame: start a new one.
  return openWriter(next_seq_) || (*error = "cannot create a segment in " + options_.dir, false);
}

void DiskBuffer::scanSegment(Segment& s) {
  int fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  uint64_t size = fileSize(fd);
  s.bytes = size;
  FrameHeader h{};
  std::string payload;
  for (uint64_t at = 0; at < size;) {
    if (!readFrame(fd, at, size, h, payload)) {
      ++stats_.corrupt_frames;
      at = resync(fd, at, size);
      continue;
    }
    s.last_seq = std::max(s.last_seq, h.seq);
    if (h.magic == kSealedMagic && h.seq > done_->checkpoint() && !payload.empty()) {
      const std::string id = payload.substr(1, static_cast<unsigned char>(payload[0]));
      if (!options_.keys || !options_.keys->key(id)) missing_key_ = id;
    }
    if (h.seq > done_->checkpoint()) {
      frames_[h.seq] = FrameInfo{h.events, sizeof h + h.length, h.appended_ns};
      stats_.bytes += sizeof h + h.length;
      stats_.events += h.events;
    }
    at += sizeof h + h.length;
  }
  ::close(fd);
}

bool DiskBuffer::openWriter(uint64_t first_seq) {
  if (writer_fd_ >= 0) ::close(writer_fd_);
  Segment s;
  s.first_seq = first_seq;
  s.path = options_.dir + "/" + segmentName(first_seq);
  writer_fd_ = ::open(s.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (writer_fd_ < 0) return false;
  s.bytes = fileSize(writer_fd_);
  segments_[first_seq] = s;
  return true;
}

DiskBuffer::Append DiskBuffer::append(const Batch& batch, int64_t now_ns) {
  scratch_.clear();
  encodeBatch(batch, scratch_);
  compressed_.resize(sizeof(FrameHeader) + ZSTD_compressBound(scratch_.size()));
  size_t n = ZSTD_compress2(cctx_, compressed_.data() + sizeof(FrameHeader),
                            compressed_.size() - sizeof(FrameHeader), scratch_.data(),
                            scratch_.size());
  if (ZSTD_isError(n) || n > kMaxFrame) return Append::kError;
  uint32_t magic = kMagic;
  if (options_.keys) {
    const std::string& id = options_.keys->currentId();
    std::string sealed = aeadSeal(*options_.keys->key(id),
                                  std::string_view(compressed_.data() + sizeof(FrameHeader), n),
                                  std::to_string(next_seq_));
    compressed_.resize(sizeof(FrameHeader));
    compressed_ += static_cast<char>(id.size());
    compressed_ += id;
    compressed_ += sealed;
    n = compressed_.size() - sizeof(FrameHeader);
    magic = kSealedMagic;
  }
  {
    std::lock_guard lock(mutex_);
    if (stats_.bytes + n + sizeof(FrameHeader) > options_.max_bytes && !frames_.empty()) {
      return Append::kFull;
    }
  }
  if (writer_fd_ < 0 && !openWriter(next_seq_)) return Append::kError;
  FrameHeader h{magic, static_cast<uint32_t>(n), crc32c(compressed_.data() + sizeof h, n),
                static_cast<uint32_t>(batch.events().size()), next_seq_, now_ns};
  std::memcpy(compressed_.data(), &h, sizeof h);
  Segment& seg = segments_.rbegin()->second;
  size_t total = sizeof h + n;
  if (writeAll(writer_fd_, std::string_view(compressed_.data(), total)) != total) {
    // Disk full or gone: cut the segment back so no half frame stays behind.
    int ignored = ::ftruncate(writer_fd_, static_cast<off_t>(seg.bytes));
    (void)ignored;
    return Append::kError;
  }
  seg.bytes += total;
  seg.last_seq = next_seq_;
  {
    std::lock_guard lock(mutex_);
    frames_[next_seq_] = FrameInfo{batch.events().size(), total, now_ns};
    stats_.bytes += total;
    stats_.events += batch.events().size();
  }
  ++next_seq_;
  if (seg.bytes >= options_.segment_bytes) {
    ::fdatasync(writer_fd_);
    openWriter(next_seq_);
  }
  return Append::kOk;
}

std::optional<std::string> DiskBuffer::unseal(const std::string& payload, uint64_t seq) const {
  if (payload.empty() || !options_.keys) return std::nullopt;
  const size_t id_len = static_cast<unsigned char>(payload[0]);
  if (payload.size() < 1 + id_len) return std::nullopt;
  const std::string* key = options_.keys->key(std::string_view(payload).substr(1, id_len));
  if (key == nullptr) return std::nullopt;
  return aeadOpen(*key, std::string_view(payload).substr(1 + id_len), std::to_string(seq));
}

bool DiskBuffer::sync() { return writer_fd_ < 0 || ::fdatasync(writer_fd_) == 0; }

std::optional<Batch> DiskBuffer::next() {
  while (true) {
    auto it = segments_.lower_bound(read_segment_);
    if (it == segments_.end()) return std::nullopt;
    Segment& s = it->second;
    int fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    uint64_t size = fileSize(fd);
    FrameHeader h{};
    std::string payload;
    bool got = false;
    while (read_offset_ < size) {
      if (!readFrame(fd, read_offset_, size, h, payload)) {
        // Only segments from before a restart can hold a bad frame; open() counted it.
        read_offset_ = resync(fd, read_offset_, size);
        continue;
      }
      read_offset_ += sizeof h + h.length;
      if (h.seq <= read_seq_) continue;  // already done or handed out
      got = true;
      break;
    }
    ::close(fd);
    if (!got) {
      bool writer = std::next(it) == segments_.end();
      if (writer) return std::nullopt;  // caught up with the writer
      read_segment_ = std::next(it)->first;
      read_offset_ = 0;
      continue;
    }
    if (h.magic == kSealedMagic) {
      // Not opening (a damaged frame, or a wrong key) leaves it empty: counted as corrupt below.
      payload = unseal(payload, h.seq).value_or(std::string());
    }
    unsigned long long raw = ZSTD_getFrameContentSize(payload.data(), payload.size());
    std::optional<Batch> batch;
    if (raw != ZSTD_CONTENTSIZE_ERROR && raw != ZSTD_CONTENTSIZE_UNKNOWN && raw <= kMaxFrame * 8) {
      // Decompressed straight into the buffer the decoded batch owns.
      auto plain = std::make_unique_for_overwrite<char[]>(raw);
      size_t n = ZSTD_decompressDCtx(dctx_, plain.get(), raw, payload.data(), payload.size());
      if (!ZSTD_isError(n) && n == raw) batch = decodeBatch(std::move(plain), raw);
    }
    read_seq_ = h.seq;
    if (!batch) {
      // Intact on disk but not decodable: count it and let its position pass.
      std::lock_guard lock(mutex_);
      ++stats_.corrupt_frames;
      done_->track(h.seq).resolve(AckStatus::kRejected);
      continue;
    }
    batch->ack() = done_->track(h.seq);
    return batch;
  }
}

void DiskBuffer::collect() {
  uint64_t done = done_->checkpoint();
  {
    std::lock_guard lock(mutex_);
    for (auto it = frames_.begin(); it != frames_.end() && it->first <= done;) {
      stats_.bytes -= it->second.bytes;
      stats_.events -= it->second.events;
      it = frames_.erase(it);
    }
    stats_.oldest_ns = frames_.empty() ? 0 : frames_.begin()->second.appended_ns;
  }
  for (auto it = segments_.begin(); it != segments_.end();) {
    bool writer = std::next(it) == segments_.end();
    bool finished = it->second.last_seq != 0 && it->second.last_seq <= done;
    if (finished && !writer) {
      ::unlink(it->second.path.c_str());
      it = segments_.erase(it);
    } else if (finished && writer && read_seq_ == it->second.last_seq) {
      // Everything written was delivered: start the writer afresh so the space comes back now,
      // not only when the segment would have filled up.
      ::close(writer_fd_);
      writer_fd_ = -1;
      ::unlink(it->second.path.c_str());
      segments_.erase(it);
      openWriter(next_seq_);
      read_segment_ = next_seq_;
      read_offset_ = 0;
      break;
    } else {
      ++it;
    }
  }
  if (done != saved_done_) {
    try {
      state_->save({{"done", Checkpoint{done, "", ""}}});
      saved_done_ = done;
    } catch (const std::exception&) {
      // Retried at the next collect; a stale position only replays frames again.
    }
  }
}

DiskBuffer::Stats DiskBuffer::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

bool DiskBuffer::empty() const {
  std::lock_guard lock(mutex_);
  return frames_.empty();
}

}  // namespace logship
