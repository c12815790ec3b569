#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>

#include "agent/api/config.h"
#include "pipelines/common/file_watch.h"
#include "pipelines/common/indicator_lists.h"

namespace logship {

// A list of the top-level `lists` section, loaded once however many conditions test against it
// and reloaded from its own thread when its file changes. contains() takes no lock: each thread
// keeps the version it last used and takes the new one, under a lock, only after a reload, so
// workers never wait for each other or for the reload, and an old version is freed once no
// thread holds it.
class SharedList : public std::enable_shared_from_this<SharedList> {
 public:
  // The list of `spec`, shared with every other user of the same file and options; nullptr after
  // reporting (at spec.where) a file that cannot be read or a line holding no indicator.
  static std::shared_ptr<const SharedList> open(const SharedListSpec& spec, Diagnostics& diag);
  ~SharedList();

  // An address inside one of its prefixes, a domain or a parent of it, a file hash.
  bool contains(std::string_view value) const;
  // Reads the file again if it changed (what the watch thread does every reload_interval).
  bool reloadIfChanged() const { return watch_ && watch_->poll(); }

 private:
  SharedList() = default;
  bool reload();
  const indicators::Indicators& current() const;

  indicators::ListSpec spec_;
  const uint64_t id_ = nextId();  // what threads key their copies by; never reused, unlike `this`
  mutable std::mutex mutex_;
  std::shared_ptr<const indicators::Indicators> loaded_;
  std::atomic<uint64_t> version_{0};
  std::unique_ptr<FileWatch> watch_;

  static uint64_t nextId();
};

}  // namespace logship
