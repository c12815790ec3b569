#pragma once

#include <zstd.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/api/batch.h"
#include "agent/core/ack_tracker.h"
#include "agent/core/checkpoint_store.h"
#include "agent/support/aead.h"

namespace logship {

// An output's disk buffer: append-only segment files of frames, each a zstd-compressed batch with
// a CRC32C, under one directory. Batches are appended as they arrive (the output acknowledges its
// sources once they are synced) and replayed in order to the destination; a frame counts as done
// when the destination acknowledged it, and a segment is deleted once all its frames are done.
// Restart replays what was not done. A torn or corrupt frame is skipped and counted.
class DiskBuffer {
 public:
  struct Options {
    std::string dir;
    uint64_t max_bytes = 1ull << 30;
    uint64_t segment_bytes = 32ull << 20;
    // Frames are encrypted at rest (AES-256-GCM, bound to their sequence number) with the ring's
    // current key; older frames open with the key they name.
    std::shared_ptr<const KeyRing> keys;
  };
  struct Stats {
    uint64_t bytes = 0;           // on disk, not yet done
    uint64_t events = 0;          // appended and not yet done
    uint64_t frames_replayed = 0; // handed to the destination after a restart
    uint64_t corrupt_frames = 0;
    int64_t oldest_ns = 0;        // append time of the oldest frame not done, 0 when empty
  };
  enum class Append { kOk, kFull, kError };

  explicit DiskBuffer(Options options);
  ~DiskBuffer();

  // Opens or creates the buffer; returns false (with `error`) when the directory is unusable.
  bool open(std::string* error);
  Append append(const Batch& batch, int64_t now_ns);
  bool sync();
  // The next frame to deliver, decoded, with the token that marks it done; nullopt when every
  // frame was handed out.
  std::optional<Batch> next();
  // Saves the done position and deletes finished segments (cheap; call after acks).
  void collect();
  Stats stats() const;
  bool empty() const;  // nothing appended that is not done

 private:
  struct Segment {
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;  // 0 while empty
    uint64_t bytes = 0;
    std::string path;
  };
  struct FrameInfo {
    uint64_t events;
    uint64_t bytes;
    int64_t appended_ns;
  };

  bool openWriter(uint64_t first_seq);
  void scanSegment(Segment& segment);
  // The zstd frame inside an encrypted payload; nullopt when it does not open.
  std::optional<std::string> unseal(const std::string& payload, uint64_t seq) const;

  Options options_;
  std::map<uint64_t, Segment> segments_;  // by first sequence number
  int writer_fd_ = -1;
  uint64_t next_seq_ = 1;
  // Reader position: segment and byte offset of the next frame to hand out.
  uint64_t read_segment_ = 0;
  uint64_t read_offset_ = 0;
  uint64_t read_seq_ = 0;  // last sequence handed out
  std::unique_ptr<OrderedAckTracker> done_;
  std::unique_ptr<CheckpointStore> state_;
  uint64_t saved_done_ = 0;
  mutable std::mutex mutex_;  // frames_ and stats against acks from other threads
  std::map<uint64_t, FrameInfo> frames_;  // not yet done
  Stats stats_;
  ZSTD_CCtx* cctx_ = nullptr;
  ZSTD_DCtx* dctx_ = nullptr;
  std::string scratch_;
  std::string compressed_;
  std::string missing_key_;  // a key id frames name that the key file lacks
};

}  // namespace logship
