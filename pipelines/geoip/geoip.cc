#include "pipelines/geoip/geoip.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include "agent/core/log.h"

namespace logship {

Geoip::Geoip(GeoipConfig config, BuildContext& ctx)
    : field_(config.field, tierNames(ctx.global)),
      paths_(std::move(config.database)),
      reload_interval_(
          std::chrono::duration_cast<std::chrono::milliseconds>(config.reload_interval)),
      cache_capacity_(static_cast<size_t>(std::max<int64_t>(config.cache_size, 0))) {
  std::vector<std::pair<std::string, std::string>> user(config.mappings.begin(),
                                                        config.mappings.end());
  mappings_ = geoip::mergeMappings(user);
  std::string target = config.target;
  if (target.empty()) {
    const size_t dot = config.field.rfind('.');
    if (dot != std::string::npos) target = config.field.substr(0, dot);
  }
  for (const geoip::Mapping& m : mappings_)
    keys_.push_back(target.empty() ? m.target : target + "." + m.target);

  // Opened here so that `validate` reports a missing or corrupt database where it is configured.
  std::vector<FileStamp> stamps;
  for (const std::string& p : paths_) stamps.push_back(fileStamp(p));
  std::string error;
  databases_ = geoip::GeoDatabases::open(paths_, error);
  if (!databases_) {
    ctx.diag.error(ctx.node["database"].location(), error);
    return;
  }
  watch_ = std::make_unique<FileWatch>(paths_, reload_interval_, [this] { return reload(); });
  watch_->markLoaded(std::move(stamps));
}

Geoip::~Geoip() { watch_.reset(); }  // joins the watch thread before the members it uses go

void Geoip::start(ComponentContext& context) {
  context_ = &context;
  const std::string id(context.id());
  auto& lookups = prometheus::BuildCounter()
                      .Name("logship_geoip_lookups_total")
                      .Help(
                          "Addresses geoip read, by result: found, not_found, reserved (private "
                          "and other ranges no database places, skipped) or invalid.")
                      .Register(context.metricsRegistry());
  found_ = &lookups.Add({{"component_id", id}, {"result", "found"}});
  not_found_ = &lookups.Add({{"component_id", id}, {"result", "not_found"}});
  reserved_ = &lookups.Add({{"component_id", id}, {"result", "reserved"}});
  invalid_ = &lookups.Add({{"component_id", id}, {"result", "invalid"}});
  cache_hits_ = &prometheus::BuildCounter()
                     .Name("logship_geoip_cache_hits_total")
                     .Help("geoip lookups answered from the cache of recent addresses.")
                     .Register(context.metricsRegistry())
                     .Add({{"component_id", id}});
  auto& reloads = prometheus::BuildCounter()
                      .Name("logship_geoip_reloads_total")
                      .Help("Database files geoip reopened after they changed, by result.")
                      .Register(context.metricsRegistry());
  reloads_ok_ = &reloads.Add({{"component_id", id}, {"result", "ok"}});
  reloads_failed_ = &reloads.Add({{"component_id", id}, {"result", "failed"}});
  if (watch_) watch_->start();
}

bool Geoip::reloadIfChanged() { return watch_ && watch_->poll(); }

bool Geoip::reload() {
  std::vector<FileStamp> stamps = watch_->stamps();
  std::string error;
  std::shared_ptr<const geoip::GeoDatabases> fresh = geoip::GeoDatabases::open(paths_, error);
  // Marked loaded either way: a broken file is retried when it changes again, not every poll.
  watch_->markLoaded(std::move(stamps));
  if (!fresh) {
    if (reloads_failed_) reloads_failed_->Increment();
    logError("geoip: keeping the databases loaded before: " + error);
    return false;
  }
  {
    std::lock_guard lock(databases_mutex_);
    databases_.swap(fresh);
  }
  // The previous set closes when the last batch using it lets go (here, or on a worker).
  if (reloads_ok_) reloads_ok_->Increment();
  logInfo("geoip: reopened " + std::to_string(paths_.size()) + " database file(s)");
  return true;
}

std::shared_ptr<const geoip::GeoDatabases> Geoip::databases() const {
  std::lock_guard lock(databases_mutex_);
  return databases_;
}

const Geoip::CacheEntry& Geoip::lookup(const geoip::GeoDatabases& dbs, const IpAddress& address,
                                       bool& hit) {
  if (cached_from_ != &dbs) {
    lru_.clear();
    cache_.clear();
    cached_from_ = &dbs;
  }
  auto it = cache_.find(address);
  if (it != cache_.end()) {
    hit = true;
    lru_.splice(lru_.begin(), lru_, it->second);
    return *it->second;
  }
  hit = false;
  CacheEntry entry;
  entry.address = address;
  entry.found = dbs.lookup(address, mappings_, entry.values);
  if (cache_capacity_ == 0) {
    lru_.clear();
    cache_.clear();
  } else if (lru_.size() >= cache_capacity_) {
    cache_.erase(lru_.back().address);
    lru_.pop_back();
  }
  lru_.push_front(std::move(entry));
  cache_.emplace(address, lru_.begin());
  return lru_.front();
}

void Geoip::process(Batch& batch, Emitter& out) {
  std::shared_ptr<const geoip::GeoDatabases> dbs = databases();
  if (!dbs) {
    out.emit(std::move(batch));
    return;
  }
  uint64_t found = 0, not_found = 0, reserved = 0, invalid = 0, hits = 0;
  std::vector<std::string_view> keys(keys_.size());  // copied into the arena when first used
  {
    std::lock_guard lock(cache_mutex_);
    for (Event& event : batch.events()) {
      const std::optional<FieldValue> value = field_.read(batch, event);
      if (!value || value->kind != FieldValue::Kind::kString) continue;
      const std::optional<IpAddress> address = parseIpAddress(value->string_value);
      if (!address) {
        ++invalid;
        continue;
      }
      if (geoip::isReservedAddress(*address)) {
        ++reserved;
        continue;
      }
      bool hit = false;
      const CacheEntry& entry = lookup(*dbs, *address, hit);
      hits += hit;
      if (!entry.found) {
        ++not_found;
        continue;
      }
      ++found;
      for (const geoip::GeoValue& v : entry.values) {
        std::string_view& key = keys[v.mapping];
        if (key.empty()) key = batch.arena().copy(keys_[v.mapping]);
        FieldValue field;
        switch (v.kind) {
          case FieldValue::Kind::kString:
            field = FieldValue::string(batch.arena().copy(v.text));
            break;
          case FieldValue::Kind::kDouble:
            field = FieldValue::real(v.real);
            break;
          case FieldValue::Kind::kInt:
            field = FieldValue::integer(v.integer);
            break;
          case FieldValue::Kind::kBool:
            field = FieldValue::boolean(v.boolean);
            break;
        }
        batch.setField(event, key, field);
      }
    }
  }
  if (found_) {
    found_->Increment(static_cast<double>(found));
    not_found_->Increment(static_cast<double>(not_found));
    reserved_->Increment(static_cast<double>(reserved));
    invalid_->Increment(static_cast<double>(invalid));
    cache_hits_->Increment(static_cast<double>(hits));
  }
  out.emit(std::move(batch));
}

}  // namespace logship
