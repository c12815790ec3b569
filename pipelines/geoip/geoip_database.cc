#include "pipelines/geoip/geoip_database.h"

#include <arpa/inet.h>
#include <maxminddb.h>

#include <cstring>
#include <limits>

namespace logship::geoip {
namespace {

std::vector<std::string> splitPath(const std::string& dotted) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    parts.push_back(dotted.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

void addPath(std::vector<Mapping>& mappings, const std::string& path, const std::string& target) {
  for (Mapping& m : mappings) {
    if (m.target == target) {
      m.paths.push_back(splitPath(path));
      return;
    }
  }
  mappings.push_back(Mapping{target, {splitPath(path)}});
}

// Reads the scalar at `path` of `entry` into `value`; false when absent or not a scalar.
bool readScalar(MMDB_entry_s& entry, const std::vector<std::string>& path, GeoValue& value) {
  const char* parts[16];
  if (path.size() >= std::size(parts)) return false;
  for (size_t i = 0; i < path.size(); ++i) parts[i] = path[i].c_str();
  parts[path.size()] = nullptr;
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(&entry, &data, parts) != MMDB_SUCCESS || !data.has_data) return false;
  switch (data.type) {
    case MMDB_DATA_TYPE_UTF8_STRING:
      if (data.data_size == 0) return false;
      value.kind = FieldValue::Kind::kString;
      value.text.assign(data.utf8_string, data.data_size);
      return true;
    case MMDB_DATA_TYPE_DOUBLE:
      value.kind = FieldValue::Kind::kDouble;
      value.real = data.double_value;
      return true;
    case MMDB_DATA_TYPE_FLOAT:
      value.kind = FieldValue::Kind::kDouble;
      value.real = data.float_value;
      return true;
    case MMDB_DATA_TYPE_UINT16:
      value.kind = FieldValue::Kind::kInt;
      value.integer = data.uint16;
      return true;
    case MMDB_DATA_TYPE_UINT32:
      value.kind = FieldValue::Kind::kInt;
      value.integer = data.uint32;
      return true;
    case MMDB_DATA_TYPE_INT32:
      value.kind = FieldValue::Kind::kInt;
      value.integer = data.int32;
      return true;
    case MMDB_DATA_TYPE_UINT64:
      if (data.uint64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
      value.kind = FieldValue::Kind::kInt;
      value.integer = static_cast<int64_t>(data.uint64);
      return true;
    case MMDB_DATA_TYPE_BOOLEAN:
      value.kind = FieldValue::Kind::kBool;
      value.boolean = data.boolean;
      return true;
    default:
      return false;
  }
}

const IpPrefixSet& reservedRanges() {
  static const IpPrefixSet set = [] {
    IpPrefixSet s;
    for (const char* p :
         {"0.0.0.0/8",       "10.0.0.0/8",     "100.64.0.0/10", "127.0.0.0/8",    "169.254.0.0/16",
          "172.16.0.0/12",   "192.0.0.0/24",   "192.0.2.0/24",  "192.168.0.0/16", "198.18.0.0/15",
          "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",   "240.0.0.0/4",    "::/128",
          "::1/128",         "64:ff9b:1::/48", "100::/64",      "2001:db8::/32",  "fc00::/7",
          "fe80::/10",       "ff00::/8"}) {
      s.add(p);
    }
    s.finish();
    return s;
  }();
  return set;
}

}  // namespace

std::vector<Mapping> defaultMappings() {
  std::vector<Mapping> m;
  // GeoIP2 / GeoLite2 City and Country
  addPath(m, "country.iso_code", "geo.country_iso_code");
  addPath(m, "country.names.en", "geo.country_name");
  addPath(m, "continent.code", "geo.continent_code");
  addPath(m, "continent.names.en", "geo.continent_name");
  addPath(m, "subdivisions.0.names.en", "geo.region_name");
  addPath(m, "city.names.en", "geo.city_name");
  addPath(m, "postal.code", "geo.postal_code");
  addPath(m, "location.latitude", "geo.location.lat");
  addPath(m, "location.longitude", "geo.location.lon");
  addPath(m, "location.time_zone", "geo.timezone");
  // GeoLite2 ASN, and ip-location-db's ASN files, which use the same names
  addPath(m, "autonomous_system_number", "as.number");
  addPath(m, "autonomous_system_organization", "as.organization.name");
  // Flat layouts (ip-location-db: country_code, state1, city, postcode, latitude, ...)
  addPath(m, "country_code", "geo.country_iso_code");
  addPath(m, "state1", "geo.region_name");
  addPath(m, "city", "geo.city_name");
  addPath(m, "postcode", "geo.postal_code");
  addPath(m, "latitude", "geo.location.lat");
  addPath(m, "longitude", "geo.location.lon");
  addPath(m, "timezone", "geo.timezone");
  return m;
}

std::vector<Mapping> mergeMappings(const std::vector<std::pair<std::string, std::string>>& user) {
  std::vector<Mapping> m;
  for (const auto& [path, target] : user) addPath(m, path, target);
  for (const Mapping& d : defaultMappings()) {
    for (const auto& path : d.paths) {
      std::string dotted;
      for (const std::string& p : path) dotted += (dotted.empty() ? "" : ".") + p;
      addPath(m, dotted, d.target);
    }
  }
  return m;
}

bool isReservedAddress(const IpAddress& address) { return reservedRanges().contains(address); }

std::shared_ptr<const GeoDatabases> GeoDatabases::open(const std::vector<std::string>& paths,
                                                       std::string& error) {
  std::shared_ptr<GeoDatabases> set(new GeoDatabases());
  for (const std::string& path : paths) {
    auto db = std::make_unique<MMDB_s>();
    const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, db.get());
    if (status != MMDB_SUCCESS) {
      error = path + ": " + MMDB_strerror(status);
      if (status == MMDB_IO_ERROR) error += std::string(" (") + std::strerror(errno) + ")";
      return nullptr;
    }
    set->dbs_.push_back(std::move(db));
  }
  return set;
}

GeoDatabases::~GeoDatabases() {
  for (auto& db : dbs_) MMDB_close(db.get());
}

bool GeoDatabases::lookup(const IpAddress& address, const std::vector<Mapping>& mappings,
                          std::vector<GeoValue>& out) const {
  // v4 (held as ::ffff:a.b.c.d) goes in as AF_INET, which libmaxminddb maps into IPv6 databases
  // itself and which IPv4-only databases accept.
  sockaddr_storage storage{};
  const bool v4 = address.high == 0 && (address.low >> 32) == 0xffff;
  if (v4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(static_cast<uint32_t>(address.low));
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
    sin6->sin6_family = AF_INET6;
    for (int i = 0; i < 8; ++i) {
      sin6->sin6_addr.s6_addr[i] = static_cast<uint8_t>(address.high >> (56 - 8 * i));
      sin6->sin6_addr.s6_addr[8 + i] = static_cast<uint8_t>(address.low >> (56 - 8 * i));
    }
  }
  std::vector<bool> filled(mappings.size(), false);
  bool found = false;
  for (const auto& db : dbs_) {
    int mmdb_error = MMDB_SUCCESS;
    MMDB_lookup_result_s result =
        MMDB_lookup_sockaddr(db.get(), reinterpret_cast<const sockaddr*>(&storage), &mmdb_error);
    // An IPv6 address in an IPv4-only database is simply not there.
    if (mmdb_error != MMDB_SUCCESS || !result.found_entry) continue;
    found = true;
    for (size_t i = 0; i < mappings.size(); ++i) {
      if (filled[i]) continue;
      for (const auto& path : mappings[i].paths) {
        GeoValue value;
        if (!readScalar(result.entry, path, value)) continue;
        value.mapping = static_cast<uint16_t>(i);
        out.push_back(std::move(value));
        filled[i] = true;
        break;
      }
    }
  }
  return found;
}

}  // namespace logship::geoip
