#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/api/event.h"
#include "pipelines/common/ip_prefix_set.h"

struct MMDB_s;

namespace logship::geoip {

// Where one event field comes from: the record paths that may hold it, tried in order
// ("country.iso_code" in MaxMind's layout, "country_code" in flat ones).
struct Mapping {
  std::string target;  // relative to the transform's target: "geo.country_iso_code"
  std::vector<std::vector<std::string>> paths;
};

// The fields read from GeoIP2/GeoLite2 City, Country and ASN databases and from flat layouts such
// as ip-location-db's, with the ECS names they land under.
std::vector<Mapping> defaultMappings();
// `user` (record path -> target) first, then the defaults: a user's path for a target is tried
// before the built-in ones.
std::vector<Mapping> mergeMappings(const std::vector<std::pair<std::string, std::string>>& user);

// One value copied out of a record, so it outlives the database it came from (the cache keeps it
// across a reload).
struct GeoValue {
  uint16_t mapping = 0;  // index into the mappings
  FieldValue::Kind kind = FieldValue::Kind::kString;
  std::string text;
  double real = 0;
  int64_t integer = 0;
  bool boolean = false;
};

// Private, loopback, link-local, documentation and other reserved ranges: no database places them.
bool isReservedAddress(const IpAddress& address);

// A set of open .mmdb files, read-only once opened (memory-mapped), shared by every worker.
class GeoDatabases {
 public:
  // Opens every file; nullptr with `error` naming the file that failed.
  static std::shared_ptr<const GeoDatabases> open(const std::vector<std::string>& paths,
                                                  std::string& error);
  ~GeoDatabases();
  GeoDatabases(const GeoDatabases&) = delete;
  GeoDatabases& operator=(const GeoDatabases&) = delete;

  // Appends a value for every mapping some database holds for `address`, the first database to
  // hold one winning; false when no database has a record for it.
  bool lookup(const IpAddress& address, const std::vector<Mapping>& mappings,
              std::vector<GeoValue>& out) const;

 private:
  GeoDatabases() = default;
  std::vector<std::unique_ptr<MMDB_s>> dbs_;
};

}  // namespace logship::geoip
