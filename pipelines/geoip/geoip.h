#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "pipelines/common/event_fields.h"
#include "pipelines/common/file_watch.h"
#include "pipelines/common/ip_prefix_set.h"
#include "pipelines/geoip/geoip_config.h"
#include "pipelines/geoip/geoip_database.h"

namespace prometheus {
class Counter;
}

namespace logship {

// Adds where an address is (`<target>.geo.*`) and who routes it (`<target>.as.*`) from MaxMind
// DB files. The files are memory-mapped and shared; a changed file is opened on a thread of its
// own and swapped in, so workers never wait for a reload. Hot addresses are answered from an LRU
// cache.
class Geoip final : public Transform {
 public:
  Geoip(GeoipConfig config, BuildContext& ctx);
  ~Geoip() override;
  void start(ComponentContext& context) override;
  void process(Batch& batch, Emitter& out) override;

  // Looks at the files now and reopens them when they changed (what the watch thread does every
  // reload_interval); true when a new set was swapped in.
  bool reloadIfChanged();

 private:
  struct CacheEntry {
    IpAddress address;
    bool found = false;
    std::vector<geoip::GeoValue> values;
  };
  struct AddressHash {
    size_t operator()(const IpAddress& a) const {
      return std::hash<uint64_t>()(a.high * 0x9e3779b97f4a7c15ULL ^ a.low);
    }
  };

  bool reload();
  std::shared_ptr<const geoip::GeoDatabases> databases() const;
  // The cached entry for `address`, looked up (and cached) when absent. Called under cache_mutex_.
  const CacheEntry& lookup(const geoip::GeoDatabases& dbs, const IpAddress& address, bool& hit);

  FieldRef field_;
  std::vector<std::string> paths_;
  std::vector<geoip::Mapping> mappings_;
  std::vector<std::string> keys_;  // the event field of each mapping
  std::chrono::milliseconds reload_interval_;

  mutable std::mutex databases_mutex_;
  std::shared_ptr<const geoip::GeoDatabases> databases_;

  // Held for a whole batch: batches of different workers take turns, events never wait per event.
  std::mutex cache_mutex_;
  size_t cache_capacity_;
  const geoip::GeoDatabases* cached_from_ = nullptr;  // the cache is dropped when this changes
  std::list<CacheEntry> lru_;                         // most recent first
  std::unordered_map<IpAddress, std::list<CacheEntry>::iterator, AddressHash> cache_;

  std::unique_ptr<FileWatch> watch_;
  ComponentContext* context_ = nullptr;
  prometheus::Counter* found_ = nullptr;
  prometheus::Counter* not_found_ = nullptr;
  prometheus::Counter* reserved_ = nullptr;
  prometheus::Counter* invalid_ = nullptr;
  prometheus::Counter* cache_hits_ = nullptr;
  prometheus::Counter* reloads_ok_ = nullptr;
  prometheus::Counter* reloads_failed_ = nullptr;
};

}  // namespace logship
