#include "agent/sources/file_integrity/file_integrity_source.h"

#include <fnmatch.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <simdjson.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "agent/core/log.h"
#include "agent/support/digest.h"
#include "agent/support/files.h"
#include "agent/support/json_writer.h"
#include "agent/support/timestamp.h"

namespace logship {

namespace {

namespace fs = std::filesystem;

constexpr uint32_t kWatchMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB |
                                IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
                                IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;
// A directory tree deeper than this is not descended (a loop through bind mounts, a mistake).
constexpr int kMaxDepth = 32;

bool hasGlob(const std::string& p) { return p.find_first_of("*?[") != std::string::npos; }

std::string parentOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::vector<std::string> expand(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  return out;
}

std::string octal(uint32_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

std::string userName(uint32_t uid) {
  char buf[4096];
  passwd pw{}, *found = nullptr;
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found) return pw.pw_name;
  return {};
}

std::string groupName(uint32_t gid) {
  char buf[4096];
  group gr{}, *found = nullptr;
  if (::getgrgid_r(gid, &gr, buf, sizeof buf, &found) == 0 && found) return gr.gr_name;
  return {};
}

const char* typeName(char type) {
  return type == 'f' ? "file" : type == 'l' ? "symlink" : "other";
}

// Content (or what a link points to) differs: a modification rather than new attributes.
bool contentDiffers(const FileFacts& a, const FileFacts& b) {
  return a.type != b.type || a.sha256 != b.sha256 ||
         (a.sha256.empty() && (a.size != b.size || a.mtime_ns != b.mtime_ns));
}
bool attributesDiffer(const FileFacts& a, const FileFacts& b) {
  return a.mode != b.mode || a.uid != b.uid || a.gid != b.gid;
}

}  // namespace

const OptionTable<FileIntegrityConfig>& FileIntegrityConfig::options() {
  static const OptionTable<FileIntegrityConfig> table = [] {
    OptionTable<FileIntegrityConfig> t;
    t.required("paths", &FileIntegrityConfig::paths,
               "Files, directories and glob patterns to watch, e.g. [/etc/ssh/sshd_config, "
               "/etc/sudoers, /etc/sudoers.d].")
        .optional("exclude", &FileIntegrityConfig::exclude,
                  "Glob patterns of paths left out (e.g. [\"*.swp\", \"*~\"]).")
        .optional("recursive", &FileIntegrityConfig::recursive,
                  "Watch the files of subdirectories of a watched directory too.")
        .optional("rescan_interval", &FileIntegrityConfig::rescan_interval,
                  "Every this often every watched path is examined again, beside inotify (which "
                  "can overflow or miss a directory created before its watch).")
        .optional("max_file_bytes", &FileIntegrityConfig::max_file_bytes,
                  "Larger files are not hashed (size and mtime tell their changes instead); "
                  "counted as errors{reason=\"too_large_to_hash\"}.")
        .optional("settle", &FileIntegrityConfig::settle,
                  "How long after a change its file is examined, so an editor's burst of "
                  "writes gives one event.")
        .check([](const FileIntegrityConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.paths.empty()) diag.error(node["paths"].location(), "paths must not be empty");
          for (const std::string& p : c.paths) {
            if (p.empty() || p[0] != '/') {
              diag.error(node["paths"].location(), "'" + p + "' is not an absolute path");
            }
          }
          if (c.rescan_interval.count() <= 0) {
            diag.error(node["rescan_interval"].location(), "must be positive");
          }
        });
    return t;
  }();
  return table;
}

FileIntegritySource::FileIntegritySource(FileIntegrityConfig config, BuildContext& ctx)
    : config_(std::move(config)), id_(ctx.id) {
  for (std::string& p : config_.paths) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
  }
}

FileIntegritySource::~FileIntegritySource() {
  if (inotify_) inotify_->close();
}

bool FileIntegritySource::wanted(const std::string& path) const {
  for (const std::string& pattern : config_.exclude) {
    if (::fnmatch(pattern.c_str(), path.c_str(), 0) == 0) return false;
  }
  for (const std::string& p : config_.paths) {
    // The path itself, or one under a watched directory (its direct children unless recursive).
    std::string at = path;
    for (int up = 0; up <= kMaxDepth; ++up) {
      if (at == p || (hasGlob(p) && ::fnmatch(p.c_str(), at.c_str(), FNM_PATHNAME) == 0)) {
        return up == 0 || config_.recursive || up == 1;
      }
      if (at == "/" || at == ".") break;
      at = parentOf(at);
    }
  }
  return false;
}

std::optional<FileFacts> FileIntegritySource::observe(const std::string& path) const {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  FileFacts f;
  f.type = S_ISREG(st.st_mode) ? 'f' : S_ISLNK(st.st_mode) ? 'l' : 'o';
  f.size = static_cast<uint64_t>(st.st_size);
  f.mode = st.st_mode & 07777;
  f.uid = st.st_uid;
  f.gid = st.st_gid;
  f.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  f.inode = st.st_ino;
  if (f.type == 'f') {
    if (auto sha = fileSha256(path, nullptr, config_.max_file_bytes.bytes)) {
      f.sha256 = std::move(*sha);
    } else if (f.size > config_.max_file_bytes.bytes && context_ != nullptr) {
      context_->metrics().error("too_large_to_hash");
    }
  } else if (f.type == 'l') {
    std::error_code ec;
    f.target = fs::read_symlink(path, ec).string();
  }
  return f;
}

void FileIntegritySource::scanInto(const std::string& path, Snapshot& out, int depth) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || depth > kMaxDepth) return;
  if (!S_ISDIR(st.st_mode)) {
    if (wanted(path)) {
      if (auto facts = observe(path)) out[path] = std::move(*facts);
    }
    return;
  }
  if (depth > 0 && !config_.recursive) return;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    scanInto(entry.path().string(), out, depth + 1);
  }
}

FileIntegritySource::Snapshot FileIntegritySource::scanAll() {
  Snapshot out;
  for (const std::string& p : config_.paths) {
    if (!hasGlob(p)) {
      scanInto(p, out, 0);
      continue;
    }
    for (const std::string& match : expand(p)) scanInto(match, out, 0);
  }
  return out;
}

void FileIntegritySource::addWatch(const std::string& dir) {
  if (inotify_fd_ < 0 || watched_dirs_.count(dir)) return;
  const int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), kWatchMask);
  if (wd < 0) {
    if (errno != ENOENT && errno != ENOTDIR) {
      context_->metrics().error("watch_failed");
      logWarn("file_integrity source '" + id_ + "': cannot watch " + dir + ": " +
              std::strerror(errno) + "; it is rescanned every " +
              formatDuration(config_.rescan_interval));
    }
    return;
  }
  watches_[wd] = dir;
  watched_dirs_.insert(dir);
}

void FileIntegritySource::watchDirectories() {
  // Every watched file's directory, every watched directory, and their subdirectories.
  std::function<void(const std::string&, int)> tree = [&](const std::string& dir, int depth) {
    addWatch(dir);
    if ((depth > 0 && !config_.recursive) || depth > kMaxDepth) return;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.is_directory(ec) && !entry.is_symlink(ec)) tree(entry.path().string(), depth + 1);
    }
  };
  for (const std::string& p : config_.paths) {
    std::vector<std::string> targets = hasGlob(p) ? expand(p) : std::vector<std::string>{p};
    // The parent sees the path (or a pattern's match) appear, go and come back.
    const std::string parent = parentOf(p);
    for (const std::string& dir : hasGlob(parent) ? expand(parent) : std::vector{parent}) {
      addWatch(dir);
    }
    std::error_code ec;
    for (const std::string& t : targets) {
      if (fs::is_directory(fs::symlink_status(t, ec))) tree(t, 0);
    }
  }
}

void FileIntegritySource::start(SourceContext& context) {
  context_ = &context;
  settle_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  rescan_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  checkpoint_timer_ = std::make_unique<boost::asio::steady_timer>(context.io());
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    context.metrics().error("inotify_failed");
    logWarn("file_integrity source '" + id_ + "': no inotify (" + std::strerror(errno) +
            "); changes are found by the rescan every " + formatDuration(config_.rescan_interval));
  } else {
    inotify_ = std::make_unique<boost::asio::posix::stream_descriptor>(context.io(), inotify_fd_);
  }
  // Watches first, then the scan: a change between the two is seen twice, never missed.
  watchDirectories();
  Snapshot now = scanAll();
  Snapshot saved;
  if (loadBaseline(saved)) {
    // Changes made while the agent was down, or not delivered before it stopped.
    std::erase_if(saved, [&](const auto& entry) { return !wanted(entry.first); });
    {
      std::lock_guard lock(baseline_mutex_);
      baseline_ = saved;
    }
    known_ = std::move(saved);
    report(changesTo(now));
  } else {
    logInfo("file_integrity source '" + id_ + "': baseline of " + std::to_string(now.size()) +
            " file(s) recorded");
    {
      std::lock_guard lock(baseline_mutex_);
      baseline_ = now;
      baseline_dirty_ = true;
    }
    known_ = std::move(now);
    saveState();
  }
  readInotify();
  scheduleRescan();
  scheduleCheckpoint();
}

void FileIntegritySource::stop() {
  stopped_ = true;
  for (auto* timer : {settle_timer_.get(), rescan_timer_.get(), checkpoint_timer_.get()}) {
    if (timer) timer->cancel();
  }
  if (inotify_) inotify_->cancel();
}

void FileIntegritySource::readInotify() {
  if (!inotify_ || stopped_) return;
  inotify_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [this](const boost::system::error_code& ec) {
                         if (ec || stopped_) return;
                         alignas(inotify_event) char buf[16384];
                         bool overflow = false;
                         for (;;) {
                           const ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
                           if (n <= 0) break;
                           for (ssize_t at = 0; at < n;) {
                             const auto* ev = reinterpret_cast<const inotify_event*>(buf + at);
                             at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
                             overflow |= (ev->mask & IN_Q_OVERFLOW) != 0;
                             auto it = watches_.find(ev->wd);
                             if (it == watches_.end()) continue;
                             if (ev->mask & IN_IGNORED) {  // the directory went away
                               watched_dirs_.erase(it->second);
                               watches_.erase(it);
                               continue;
                             }
                             if (ev->len > 0) dirty_.insert(it->second + "/" + ev->name);
                           }
                         }
                         if (overflow) {
                           // Events were lost: look at everything.
                           context_->metrics().error("inotify_overflow");
                           rescan_timer_->cancel();
                           scheduleRescan(std::chrono::nanoseconds(0));
                         }
                         scheduleSettle();
                         readInotify();
                       });
}

void FileIntegritySource::scheduleSettle() {
  if (settle_armed_ || dirty_.empty()) return;
  settle_armed_ = true;
  settle_timer_->expires_after(config_.settle);
  settle_timer_->async_wait([this](const boost::system::error_code& ec) {
    settle_armed_ = false;
    if (ec || stopped_) return;
    std::set<std::string> paths;
    paths.swap(dirty_);
    examine(paths);
  });
}

void FileIntegritySource::scheduleRescan(std::chrono::nanoseconds after) {
  rescan_timer_->expires_after(after);
  rescan_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    watchDirectories();  // directories created since, and ones inotify lost
    report(changesTo(scanAll()));
    scheduleRescan(config_.rescan_interval);
  });
}

void FileIntegritySource::scheduleRescan() { scheduleRescan(config_.rescan_interval); }

void FileIntegritySource::scheduleCheckpoint() {
  checkpoint_timer_->expires_after(std::chrono::seconds(1));
  checkpoint_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    saveState();
    scheduleCheckpoint();
  });
}

FileIntegritySource::Changes FileIntegritySource::changesTo(const Snapshot& now) const {
  Changes changes;
  for (const auto& [path, facts] : now) {
    auto it = known_.find(path);
    if (it == known_.end() || !(it->second == facts)) changes.emplace_back(path, facts);
  }
  for (const auto& [path, facts] : known_) {
    if (!now.count(path)) changes.emplace_back(path, std::nullopt);
  }
  return changes;
}

void FileIntegritySource::examine(const std::set<std::string>& paths) {
  Changes changes;
  std::set<std::string> seen;
  auto consider = [&](const std::string& path, std::optional<FileFacts> facts) {
    if (!seen.insert(path).second) return;
    auto it = known_.find(path);
    if (!facts && it == known_.end()) return;
    if (facts && it != known_.end() && it->second == *facts) return;
    changes.emplace_back(path, std::move(facts));
  };
  for (const std::string& path : paths) {
    struct stat st {};
    const bool exists = ::lstat(path.c_str(), &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
      // A directory appeared (or moved in): watch it and take in what it already holds.
      bool inside = false;
      for (const std::string& p : config_.paths) {
        inside |= path.rfind(p + "/", 0) == 0 || path == p ||
                  (hasGlob(p) && ::fnmatch(p.c_str(), path.c_str(), FNM_PATHNAME) == 0);
      }
      if (inside && (config_.recursive || wanted(path + "/x"))) {
        addWatch(path);
        Snapshot found;
        scanInto(path, found, 0);
        for (auto& [file, facts] : found) consider(file, std::move(facts));
      }
      continue;
    }
    // What was known under a path that is gone (a directory removed or moved away) went with it.
    const std::string prefix = path + "/";
    for (auto it = known_.lower_bound(prefix); it != known_.end() && it->first.rfind(prefix, 0) == 0;
         ++it) {
      if (::access(it->first.c_str(), F_OK) != 0) consider(it->first, std::nullopt);
    }
    if (!wanted(path)) continue;
    consider(path, exists ? observe(path) : std::nullopt);
  }
  report(changes);
}

void FileIntegritySource::report(const Changes& changes) {
  struct Out {
    std::string message;
    const char* action;
    const char* type;
    Severity severity;
    const std::string* path;
    const FileFacts* before;
    const FileFacts* after;
  };
  std::vector<Out> outs;
  Changes applied;
  for (const auto& [path, after] : changes) {
    auto it = known_.find(path);
    const FileFacts* before = it == known_.end() ? nullptr : &it->second;
    const char* action = nullptr;
    const char* type = "change";
    if (!before && after) {
      action = "file_created";
      type = "creation";
    } else if (before && !after) {
      action = "file_deleted";
      type = "deletion";
    } else if (before && after && contentDiffers(*before, *after)) {
      action = "file_modified";
    } else if (before && after && attributesDiffer(*before, *after)) {
      action = "file_attributes_changed";
    }
    applied.emplace_back(path, after);
    if (action == nullptr) continue;  // only mtime or inode moved: nothing to tell
    const std::string verb = std::string(action).substr(5);  // "created", ...
    outs.push_back(Out{"file " + verb + ": " + path, action, type,
                       std::strcmp(action, "file_attributes_changed") == 0 ? Severity::kLow
                                                                           : Severity::kMedium,
                       &path, before, after ? &*after : nullptr});
  }
  if (applied.empty()) return;
  if (outs.empty()) {
    // Nothing worth an event, but the baseline follows (no acknowledgement to wait for).
    std::lock_guard lock(baseline_mutex_);
    for (auto& [path, after] : applied) {
      if (after) {
        baseline_[path] = *after;
        known_[path] = *after;
      } else {
        baseline_.erase(path);
        known_.erase(path);
      }
    }
    baseline_dirty_ = true;
    return;
  }
  std::string text;
  for (const Out& o : outs) text += o.message + "\n";
  auto raw = std::make_unique_for_overwrite<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  uint64_t seq;
  {
    std::lock_guard lock(baseline_mutex_);
    seq = ++batches_;
    unacknowledged_.emplace_back(seq, applied);
  }
  Batch batch(std::move(raw), text.size(), tracker_.track(seq));
  Arena& arena = batch.arena();
  const int64_t now = timestamp::nowNs();
  size_t at = 0;
  for (const Out& o : outs) {
    Event& e = batch.events().emplace_back();
    e.message = batch.raw().substr(at, o.message.size());
    e.offset = seq;
    e.timestamp_ns = now;
    e.severity = o.severity;
    at += o.message.size() + 1;
    auto str = [&](std::string_view key, std::string_view value) {
      if (!value.empty()) batch.addField(e, key, FieldValue::string(arena.copy(value)));
    };
    str("event.action", o.action);
    str("event.category", "file");
    str("event.type", o.type);
    str("event.module", "file_integrity");
    const std::string& path = *o.path;
    str("file.path", path);
    str("file.name", path.substr(path.rfind('/') + 1));
    str("file.directory", parentOf(path));
    const FileFacts& now_or_last = o.after ? *o.after : *o.before;
    str("file.type", typeName(now_or_last.type));
    if (o.after) {
      const FileFacts& f = *o.after;
      batch.addField(e, "file.size", FieldValue::integer(static_cast<int64_t>(f.size)));
      str("file.mode", octal(f.mode));
      str("file.uid", std::to_string(f.uid));
      str("file.gid", std::to_string(f.gid));
      str("file.owner", userName(f.uid));
      str("file.group", groupName(f.gid));
      str("file.inode", std::to_string(f.inode));
      char when[40];
      str("file.mtime", std::string_view(when, timestamp::formatRfc3339(f.mtime_ns, when)));
      str("file.hash.sha256", f.sha256);
      str("file.target_path", f.target);
    }
    if (o.before) {
      const FileFacts& f = *o.before;
      str("file_integrity.previous.hash.sha256", f.sha256);
      str("file_integrity.previous.mode", octal(f.mode));
      str("file_integrity.previous.uid", std::to_string(f.uid));
      str("file_integrity.previous.gid", std::to_string(f.gid));
      batch.addField(e, "file_integrity.previous.size",
                     FieldValue::integer(static_cast<int64_t>(f.size)));
      str("file_integrity.previous.target_path", f.target);
    }
  }
  for (auto& [path, after] : applied) {
    if (after) {
      known_[path] = *after;
    } else {
      known_.erase(path);
    }
  }
  context_->metrics().received(batch.events().size(), text.size());
  context_->emit(std::move(batch));
}

std::string FileIntegritySource::statusJson() const {
  std::lock_guard lock(baseline_mutex_);
  return "{\"files\":" + std::to_string(baseline_.size()) +
         ",\"unacknowledged_batches\":" + std::to_string(unacknowledged_.size()) + "}";
}

void registerFileIntegritySource(Registry& registry) {
  registry.addSource<FileIntegrityConfig, FileIntegritySource>(
      "file_integrity",
      "Watches files (inotify and a periodic rescan) and reports their creation, modification, "
      "deletion and attribute changes with SHA-256 before and after; the baseline survives "
      "restarts.");
}

}  // namespace logship
