#include "pipelines/common/shared_list.h"

#include <charconv>
#include <map>
#include <vector>

#include "agent/core/log.h"

namespace logship {
namespace {

// What one thread holds of each list it reads: the version it took and a reference keeping it.
struct Held {
  uint64_t list = 0;
  std::weak_ptr<const SharedList> owner;  // expired: the entry is garbage
  uint64_t version = 0;
  std::shared_ptr<const indicators::Indicators> indicators;
};
thread_local std::vector<Held> t_held;

constexpr size_t kReportedBadLines = 10;

}  // namespace

uint64_t SharedList::nextId() {
  static std::atomic<uint64_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed) + 1;
}

std::shared_ptr<const SharedList> SharedList::open(const SharedListSpec& spec, Diagnostics& diag) {
  // One loaded copy (and one watch thread) per file and options, for as long as anyone uses it.
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const SharedList>> open_lists;
  const std::string key = spec.path + '\n' + spec.format + '\n' + spec.column + '\n' +
                          std::to_string(spec.reload_interval.count());
  std::lock_guard lock(mutex);
  if (auto existing = open_lists[key].lock()) return existing;

  std::shared_ptr<SharedList> list(new SharedList());
  list->spec_.name = spec.name;
  list->spec_.path = spec.path;
  list->spec_.csv = spec.format == "csv";
  if (list->spec_.csv && !spec.column.empty()) {
    size_t n = 0;
    auto [end, ec] =
        std::from_chars(spec.column.data(), spec.column.data() + spec.column.size(), n);
    if (ec == std::errc() && end == spec.column.data() + spec.column.size() && n > 0) {
      list->spec_.column_index = n - 1;
    } else {
      list->spec_.column_name = spec.column;
    }
  }
  list->watch_ = std::make_unique<FileWatch>(
      std::vector<std::string>{spec.path},
      std::chrono::duration_cast<std::chrono::milliseconds>(spec.reload_interval),
      [raw = list.get()] { return raw->reload(); });
  std::vector<FileStamp> stamps = list->watch_->stamps();
  std::vector<indicators::BadLine> bad;
  std::string error;
  size_t failed = 0;
  list->loaded_ = indicators::Indicators::load({list->spec_}, bad, error, failed);
  if (!list->loaded_) {
    diag.error(spec.where, "list '" + spec.name + "': " + error);
    return nullptr;
  }
  for (size_t i = 0; i < bad.size() && i < kReportedBadLines; ++i) {
    diag.error(spec.where, "list '" + spec.name + "': " + bad[i].where + ": " + bad[i].why);
  }
  if (!bad.empty()) return nullptr;
  list->watch_->markLoaded(std::move(stamps));
  list->watch_->start();
  open_lists[key] = list;
  return list;
}

SharedList::~SharedList() { watch_.reset(); }  // joins the watch thread first

bool SharedList::reload() {
  std::vector<FileStamp> stamps = watch_->stamps();
  std::vector<indicators::BadLine> bad;
  std::string error;
  size_t failed = 0;
  std::shared_ptr<const indicators::Indicators> fresh =
      indicators::Indicators::load({spec_}, bad, error, failed);
  watch_->markLoaded(std::move(stamps));
  if (!fresh) {
    logError("list '" + spec_.name + "': keeping what was loaded before: " + error);
    return false;
  }
  // After the first load a bad line is skipped and reported, never fatal.
  for (size_t i = 0; i < bad.size() && i < kReportedBadLines; ++i) {
    logWarn("list '" + spec_.name + "': " + bad[i].where + ": " + bad[i].why);
  }
  {
    std::lock_guard lock(mutex_);
    loaded_ = std::move(fresh);
    version_.fetch_add(1, std::memory_order_release);
  }
  logInfo("list '" + spec_.name + "': reloaded " + spec_.path);
  return true;
}

const indicators::Indicators& SharedList::current() const {
  const uint64_t version = version_.load(std::memory_order_acquire);
  for (Held& held : t_held) {
    if (held.list != id_) continue;
    if (held.version != version) {
      std::lock_guard lock(mutex_);
      held.indicators = loaded_;
      held.version = version_.load(std::memory_order_relaxed);
    }
    return *held.indicators;
  }
  // A thread first reading this list also lets go of lists no one uses any more (replaced by a
  // configuration reload), whose last versions it would otherwise keep.
  std::erase_if(t_held, [](const Held& h) { return h.owner.expired(); });
  std::lock_guard lock(mutex_);
  t_held.push_back(Held{id_, weak_from_this(), version_.load(std::memory_order_relaxed), loaded_});
  return *t_held.back().indicators;
}

bool SharedList::contains(std::string_view value) const {
  indicators::IndicatorKind kind;
  return current().match(value, kind) != 0;
}

}  // namespace logship
