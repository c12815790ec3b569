#include "agent/sources/file/file_source.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "agent/core/log.h"
#include "agent/support/json_writer.h"
#include "agent/support/stable_hash.h"
#include "agent/support/timestamp.h"

namespace logship {

namespace {

std::string keyOf(const struct stat& st) {
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

}  // namespace

// Acknowledgements arrive on output threads, and trackers may outlive their source (the batches
// of a closed file still in flight): they reach the source through this, which it leaves on
// destruction.
struct FileSource::PositionsChanged {
  boost::asio::io_context* io = nullptr;
  std::atomic<bool> queued{false};
  std::mutex mutex;
  FileSource* source = nullptr;  // under `mutex`

  // Asks the source's worker to write the positions; requests coalesce until it does.
  static void notify(const std::shared_ptr<PositionsChanged>& self) {
    if (self->io == nullptr || self->queued.exchange(true)) return;
    boost::asio::post(*self->io, [self] {
      self->queued = false;
      std::lock_guard lock(self->mutex);
      if (self->source != nullptr) self->source->saveAcknowledged();
    });
  }
};

FileSource::FileSource(FileSourceConfig config, BuildContext& ctx)
    : config_(std::move(config)),
      id_(ctx.id),
      flush_after_(config_.idle_flush),
      positions_changed_(std::make_shared<PositionsChanged>()) {
  if (config_.multiline.defined()) {
    MultilineConfig m;
    Diagnostics ignored;  // validated by the option table already
    readMultiline(config_.multiline, m, ignored);
    multiline_ = std::make_shared<const MultilineRule>(m);
    flush_after_ = m.timeout;
  }
}

FileSource::~FileSource() {
  {
    std::lock_guard lock(positions_changed_->mutex);
    positions_changed_->source = nullptr;
  }
  for (auto& [key, t] : tails_) ::close(t->fd);
}

std::shared_ptr<OrderedAckTracker> FileSource::newTracker(uint64_t offset) {
  return std::make_shared<OrderedAckTracker>(
      offset, [changed = positions_changed_](uint64_t) { PositionsChanged::notify(changed); });
}

void FileSource::start(SourceContext& context) {
  context_ = &context;
  {
    std::lock_guard lock(positions_changed_->mutex);
    positions_changed_->io = &context.io();
    positions_changed_->source = this;
  }
  read_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  checkpoint_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  acknowledged_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  auto& registry = context.metricsRegistry();
  read_bytes_family_ = &prometheus::BuildCounter()
                            .Name("logship_file_read_bytes_total")
                            .Help("Bytes read from each file.")
                            .Register(registry);
  lag_family_ = &prometheus::BuildGauge()
                     .Name("logship_file_lag_bytes")
                     .Help("File size minus the acknowledged position, per file.")
                     .Register(registry);
  open_files_ = &prometheus::BuildGauge()
                     .Name("logship_file_open_files")
                     .Help("Files a file source holds open.")
                     .Register(registry)
                     .Add({{"component_id", id_}});
  rotations_ = &prometheus::BuildCounter()
                    .Name("logship_file_rotations_total")
                    .Help("Rotations seen, by kind: rename, delete, truncate, copy.")
                    .Register(registry);

  std::string dir = context.global().data_dir + "/checkpoints";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  store_ = std::make_unique<CheckpointStore>(dir + "/" + id_ + ".json");
  CheckpointStore::Loaded loaded = store_->load();
  if (!loaded.problem.empty()) {
    context.metrics().error("checkpoint_corrupt");
    logWarn("file source '" + id_ + "': checkpoint file " + store_->path() + " is unusable (" +
            loaded.problem + "); " +
            (loaded.from_fast                                     ? "using the copy written since"
             : loaded.checkpoints.empty() && loaded.from_previous ? "starting without checkpoints"
                                                                  : "using the previous copy"));
  }
  saved_ = std::move(loaded.checkpoints);

  watcher_ =
      std::make_unique<FileWatcher>(context.io(), [this](const std::string& path, bool rescan) {
        rescan_requested_ = rescan_requested_ || rescan;
        if (path.empty()) {
          for (auto& [key, t] : tails_) t->active = true;
        } else if (auto it = key_by_path_.find(path); it != key_by_path_.end()) {
          if (auto t = tails_.find(it->second); t != tails_.end()) t->second->active = true;
        }
        if (!stopped_ && timer_armed_) {
          timer_armed_ = false;
          read_timer_->cancel();
          pumpSoon();
        }
      });
  if (!watcher_->available()) {
    logWarn("file source '" + id_ + "': inotify unavailable; polling every " +
            formatDuration(config_.poll_interval));
  }
  scan();
  pump();
  scheduleCheckpoint();
}

void FileSource::stop() {
  stopped_ = true;
  *alive_ = false;
  timer_armed_ = false;
  if (read_timer_) read_timer_->cancel();
  if (checkpoint_timer_) checkpoint_timer_->cancel();
  if (acknowledged_timer_) acknowledged_timer_->cancel();
  if (watcher_) watcher_->stop();
}

bool FileSource::excluded(const std::string& path) const {
  std::string name = path.substr(path.rfind('/') + 1);
  for (const std::string& pattern : config_.exclude) {
    // A pattern matches the whole path, or the file name ("*.gz"), as users write it.
    if (fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0 ||
        fnmatch(pattern.c_str(), name.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

void FileSource::scan() {
  last_scan_ = Clock::now();
  rescan_requested_ = false;
  std::vector<std::pair<std::string, struct stat>> found;
  std::set<std::string> seen_keys;
  for (const std::string& pattern : config_.include) {
    for (const std::string& dir : directoriesOf(pattern)) watcher_->watch(dir);
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::string path = g.gl_pathv[i];
        struct stat st {};
        if (excluded(path) || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        std::string key = keyOf(st);
        if (!seen_keys.insert(key).second) continue;  // two names of one file
        if (auto it = tails_.find(key); it != tails_.end()) {
          Tail& t = *it->second;
          if (t.path != path && !t.gone) {
            std::lock_guard lock(mutex_);
            key_by_path_.erase(t.path);
            t.path = path;  // renamed to another watched name: same file, same position
            key_by_path_[path] = key;
          }
          continue;
        }
        found.emplace_back(path, st);
      }
    }
    globfree(&g);
  }
  // Known identities first, so a copy is never taken for the file it was copied from.
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& [path, st] : found) place(path, st, first_scan_, pass);
  }
  first_scan_ = false;
  if (open_files_) open_files_->Set(static_cast<double>(tails_.size()));
}

void FileSource::place(const std::string& path, const struct stat& st, bool startup, int pass) {
  std::string key = keyOf(st);
  if (tails_.count(key)) return;
  auto saved = saved_.find(key);
  if (pass == 0 && saved == saved_.end()) return;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (reported_errors_.insert(path).second) {
      logWarn("file source '" + id_ + "': cannot open " + path + ": " + std::strerror(errno) +
              " (will retry)");
      context_->metrics().error("open_failed");
    }
    return;
  }
  reported_errors_.erase(path);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  FileStart start;
  start.read(fd, static_cast<uint32_t>(config_.fingerprint_bytes.bytes));
  const Head& head = start.head();

  if (pass == 0) {
    Head saved_head;
    bool same = Head::parse(saved->second.cursor, saved_head) && start.has(saved_head);
    if (same && size >= saved->second.offset) {
      uint64_t offset = saved->second.offset;
      saved_.erase(saved);
      openTail(path, fd, st, head, offset, newTracker(offset), "resuming at the saved position");
      return;
    }
    ::close(fd);
    return;  // rewritten, truncated or a reused inode: decided in the second pass
  }

  // A copytruncate copy continues the stream of the file it was copied from.
  if (head.length > 0) {
    for (auto it = predecessors_.begin(); it != predecessors_.end(); ++it) {
      if (it->head.length > 0 && start.has(it->head) && size >= it->consumed) {
        Predecessor p = std::move(*it);
        predecessors_.erase(it);
        rotations_->Add({{"component_id", id_}, {"kind", "copy"}}).Increment();
        openTail(path, fd, st, head, p.consumed, std::move(p.tracker),
                 "a copytruncate copy; continuing where its original was read to");
        return;
      }
    }
    for (auto it = saved_.begin(); it != saved_.end(); ++it) {
      Head saved_head;
      if (it->first == key || !Head::parse(it->second.cursor, saved_head) ||
          saved_head.length == 0 || it->second.offset > size || !start.has(saved_head)) {
        continue;
      }
      uint64_t offset = it->second.offset;
      saved_.erase(it);
      openTail(path, fd, st, head, offset, newTracker(offset),
               "a copy of a file read before the restart; resuming at its saved position");
      return;
    }
  }
  // Starts like a file being read, or so far holds only the start of one (a copy still being
  // written, even an empty one): perhaps a copytruncate copy whose truncation comes next. Only a
  // file beside the one read can be its copy: a new file where a rotated one was is read at once,
  // before the next rotation takes it out of reach.
  for (auto& [k, t] : tails_) {
    if (t->head.length == 0) continue;
    Head tail_start;
    bool starts_like = head.length >= t->head.length
                           ? start.has(t->head)
                           : !t->gone && t->path != path &&
                                 readHead(t->fd, head.length, tail_start) && tail_start == head;
    if (!starts_like) continue;
    auto first = candidates_.emplace(path, Clock::now()).first->second;
    if (Clock::now() - first < config_.copy_wait) {
      ::close(fd);
      return;
    }
    break;
  }
  candidates_.erase(path);
  if (saved != saved_.end()) saved_.erase(saved);  // that identity's old content is gone
  uint64_t offset = (startup && config_.start_at == "end") ? size : 0;
  openTail(path, fd, st, head, offset, newTracker(offset),
           offset ? "new; starting at its end" : "new; reading from the start");
}

void FileSource::openTail(const std::string& path, int fd, const struct stat& st, const Head& head,
                          uint64_t offset, std::shared_ptr<OrderedAckTracker> tracker,
                          const char* why) {
  if (offset) ::lseek(fd, static_cast<off_t>(offset), SEEK_SET);
  auto t = std::make_unique<Tail>();
  t->key = keyOf(st);
  t->path = path;
  t->fd = fd;
  t->dev = st.st_dev;
  t->ino = st.st_ino;
  t->head = head;
  t->reader = std::make_unique<LineReader>(config_.max_line_bytes.bytes, offset);
  // CRI pieces are joined first, then multiline groups of the joined lines.
  if (config_.format == "cri") {
    t->assemblers.push_back(std::make_unique<CriAssembler>(config_.max_line_bytes.bytes));
  }
  if (multiline_) {
    t->assemblers.push_back(
        std::make_unique<MultilineAssembler>(multiline_, config_.max_line_bytes.bytes));
  }
  t->tracker = std::move(tracker);
  t->last_growth = Clock::now();
  // A rotated-away file and its successor share one path, and so one set of per-path metrics.
  PathMetrics& m = path_metrics_[path];
  if (m.refs++ == 0) {
    m.read_bytes = &read_bytes_family_->Add({{"component_id", id_}, {"path", path}});
    m.lag_bytes = &lag_family_->Add({{"component_id", id_}, {"path", path}});
  }
  t->metrics_path = path;
  t->read_bytes = m.read_bytes;
  t->lag_bytes = m.lag_bytes;
  logInfo("file source '" + id_ + "': " + path + ": " + why +
          (offset ? " (offset " + std::to_string(offset) + ")" : ""));
  std::lock_guard lock(mutex_);
  key_by_path_[path] = t->key;
  tails_[t->key] = std::move(t);
}

void FileSource::closeTail(const std::string& key) {
  auto it = tails_.find(key);
  Tail& t = *it->second;
  ::close(t.fd);
  if (t.tracker->pending() > 0) retired_.push_back(t.tracker);
  auto m = path_metrics_.find(t.metrics_path);
  if (--m->second.refs == 0) {
    read_bytes_family_->Remove(m->second.read_bytes);
    lag_family_->Remove(m->second.lag_bytes);
    path_metrics_.erase(m);
  }
  std::lock_guard lock(mutex_);
  if (auto p = key_by_path_.find(t.path); p != key_by_path_.end() && p->second == key) {
    key_by_path_.erase(p);
  }
  tails_.erase(it);
}

void FileSource::emitChunk(Tail& tail, LineReader::Chunk& chunk, bool final) {
  // Lines that may still be joined by what comes next are given back to the reader.
  size_t truncated_events = 0;
  size_t dropped_lines = 0;
  for (auto& assembler : tail.assemblers) {
    const LineAssembler::Result result = assembler->assemble(chunk.batch, final);
    truncated_events += result.truncated_events;
    dropped_lines += result.dropped_lines;
    if (auto held = result.held) {
      uint64_t base = tail.reader->readOffset() - chunk.batch.raw().size();
      std::string_view raw = chunk.batch.raw();
      size_t from = static_cast<size_t>(*held - base);
      if (from < raw.size()) {
        // Bytes past the consumed end (a partial line) are already back in the reader.
        size_t consumed_end = static_cast<size_t>(chunk.end_offset - base);
        tail.reader->unread(raw.substr(from, consumed_end - from));
        chunk.end_offset = *held;
      }
    }
  }
  context_->metrics().received(chunk.batch.events().size(), chunk.batch.raw().size());
  if (chunk.truncated_lines) {
    context_->metrics().discarded("truncated_line", chunk.truncated_lines);
  }
  if (truncated_events) {
    context_->metrics().discarded("truncated_event", truncated_events);
    context_->metrics().discarded("truncated_event_rest", dropped_lines);
    cut_events_.log(LogLevel::kWarn, "file source '" + id_ + "': " + tail.path + ": " +
                                         std::to_string(truncated_events) +
                                         " joined event(s) longer than max_line_bytes (" +
                                         describeValue(config_.max_line_bytes) +
                                         ") cut there, the rest dropped");
  } else if (dropped_lines) {
    context_->metrics().discarded("truncated_event_rest", dropped_lines);
  }
  Batch& batch = chunk.batch;
  batch.ack() = tail.tracker->track(chunk.end_offset);
  // The file's identity (inode and head), so a stage that counts events (detect) knows the
  // lines read again after a crash; a new file on a reused inode has another head.
  batch.setStream(stableHash(tail.key, tail.head.hash ^ tail.head.length) | 1);
  batch.addSharedString("log.file.path", tail.path);
  batch.addSharedString("host.name", context_->global().host_name);
  if (config_.format == "cri") addPodFields(batch, tail.path);
  context_->emit(std::move(batch));
}

bool FileSource::readOnce(Tail& tail) {
  // Truncated and written again past the position read to: reading on from that position would
  // ship the middle of other lines. The head tells (the size does not); checked before each read,
  // not only at the end of the file, where that data would already be shipped.
  if (tail.head.length > 0 && tail.reader->readOffset() > 0 && !hasHead(tail.fd, tail.head)) {
    truncated(tail, "truncated and rewritten");
  }
  ssize_t n = 0;
  auto chunk = tail.reader->read(tail.fd, config_.batch_bytes.bytes, timestamp::nowNs(), &n);
  if (!chunk) {
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      context_->metrics().error("read_failed");
      if (reported_errors_.insert(tail.path).second) {
        logWarn("file source '" + id_ + "': read error on " + tail.path + ": " +
                std::strerror(errno));
      }
    }
    tail.at_eof = true;
    return false;
  }
  tail.at_eof = false;
  tail.last_growth = Clock::now();
  tail.read_bytes->Increment(static_cast<double>(n));
  emitChunk(tail, *chunk, false);
  return true;
}

void FileSource::truncated(Tail& tail, const char* how) {
  logInfo("file source '" + id_ + "': " + tail.path + " was " + how +
          "; reading it again from the start");
  rotations_->Add({{"component_id", id_}, {"kind", "truncate"}}).Increment();
  predecessors_.push_back(
      Predecessor{tail.head, tail.reader->consumedOffset(), std::move(tail.tracker), Clock::now()});
  tail.tracker = newTracker(0);
  ::lseek(tail.fd, 0, SEEK_SET);
  tail.reader->reset(0);
  readHead(tail.fd, static_cast<uint32_t>(config_.fingerprint_bytes.bytes), tail.head);
  tail.at_eof = false;
  tail.active = true;
}

void FileSource::checkAtEof(Tail& tail) {
  struct stat by_fd {};
  if (::fstat(tail.fd, &by_fd) != 0) return;
  uint64_t size = static_cast<uint64_t>(by_fd.st_size);
  if (size < tail.reader->readOffset()) {
    truncated(tail, "truncated");
    return;
  }
  if (tail.head.length > 0 && !hasHead(tail.fd, tail.head)) {
    truncated(tail, "truncated and rewritten");
    return;
  }
  if (tail.head.length < config_.fingerprint_bytes.bytes && size > tail.head.length) {
    readHead(tail.fd, static_cast<uint32_t>(config_.fingerprint_bytes.bytes), tail.head);
  }
  uint64_t acked = tail.tracker->checkpoint();
  tail.lag_bytes->Set(size > acked ? static_cast<double>(size - acked) : 0);
  if (tail.reader->hasPartial() && Clock::now() - tail.last_growth >= flush_after_) {
    if (auto chunk = tail.reader->flushPartial(timestamp::nowNs())) emitChunk(tail, *chunk, true);
  }
  if (!tail.gone) {
    struct stat by_path {};
    bool exists = ::stat(tail.path.c_str(), &by_path) == 0;
    if (!exists || by_path.st_ino != tail.ino || by_path.st_dev != tail.dev) {
      tail.gone = true;
      if (auto p = key_by_path_.find(tail.path); p != key_by_path_.end() && p->second == tail.key) {
        key_by_path_.erase(p);
      }
      tail.gone_since = Clock::now();
      rescan_requested_ = true;  // the path may name a new file now
      rotations_->Add({{"component_id", id_}, {"kind", exists ? "rename" : "delete"}}).Increment();
    }
  }
}

void FileSource::pump() {
  if (stopped_) return;
  if (context_->downstreamFull()) {
    scheduleRead(std::chrono::milliseconds(5));
    return;
  }
  // Files held back as possible copies are decided once their wait is over.
  bool candidate_due = false;
  for (auto& [path, since] : candidates_) {
    candidate_due = candidate_due || Clock::now() - since >= config_.copy_wait;
  }
  if (rescan_requested_ || candidate_due || Clock::now() - last_scan_ >= config_.glob_interval) {
    scan();
  }
  // One batch per call, from the files in turn: every file gets its share, and the outputs on this
  // worker run between batches instead of after a whole round. Files at their end are looked at
  // again when inotify reports a change, or on the poll interval (a sweep over all of them).
  // sweepInterval() looks at every file: asked only once the shortest interval it gives is over.
  const Duration since_sweep = Clock::now() - last_sweep_;
  bool sweep = since_sweep >= std::min(config_.poll_interval, flush_after_) &&
               since_sweep >= sweepInterval();
  if (sweep) {
    last_sweep_ = Clock::now();
    for (auto& [key, t] : tails_) t->active = true;
  }
  bool progress = false;
  auto it = tails_.upper_bound(last_read_key_);
  for (size_t visited = 0; visited < tails_.size() && !progress; ++visited) {
    if (it == tails_.end()) it = tails_.begin();
    Tail& t = *it->second;
    std::string key = it->first;
    ++it;
    if (!t.active) continue;
    if (readOnce(t)) {
      progress = true;
      last_read_key_ = key;
      continue;
    }
    t.active = false;
    checkAtEof(t);
    if (t.gone && t.at_eof && !t.reader->hasPartial() &&
        Clock::now() - t.gone_since >= config_.rotate_wait) {
      logInfo("file source '" + id_ + "': released " + t.path + " (rotated away or deleted)");
      it = tails_.upper_bound(key);
      closeTail(key);
      continue;
    }
  }
  // Streams of truncated files wait for their copy a while, and for their acks.
  std::erase_if(predecessors_, [&](const Predecessor& p) {
    return Clock::now() - p.since >= config_.copy_wait + config_.rotate_wait &&
           p.tracker->pending() == 0;
  });
  std::erase_if(retired_, [](auto& tracker) { return tracker->pending() == 0; });
  if (open_files_) open_files_->Set(static_cast<double>(tails_.size()));
  if (progress) {
    pumpSoon();
    return;
  }
  Duration until_sweep = sweepInterval() - (Clock::now() - last_sweep_);
  scheduleRead(std::max<Duration>(until_sweep, std::chrono::milliseconds(1)));
}

Duration FileSource::sweepInterval() const {
  // inotify announces writes, so sweeps are a safety net, except while something waits on time
  // (a partial last line, a rotated file, a possible copy).
  bool waiting = !candidates_.empty() || !predecessors_.empty();
  for (auto& [key, t] : tails_) waiting = waiting || t->gone || t->reader->hasPartial();
  if (waiting) return std::min(config_.poll_interval, flush_after_);
  if (watcher_->available())
    return std::max<Duration>(config_.poll_interval, std::chrono::seconds(5));
  return config_.poll_interval;
}

void FileSource::pumpSoon() {
  if (pump_posted_) return;
  pump_posted_ = true;
  boost::asio::post(context_->io(), [this, alive = alive_] {
    if (!*alive) return;
    pump_posted_ = false;
    pump();
  });
}

void FileSource::scheduleRead(Duration delay) {
  timer_armed_ = true;
  read_timer_->expires_after(delay);
  read_timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive || !timer_armed_) return;
    timer_armed_ = false;
    pump();
  });
}

}  // namespace logship
