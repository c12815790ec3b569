#include "pipelines/geoip/geoip_config.h"

#include "pipelines/common/event_fields.h"
#include "pipelines/geoip/geoip.h"

namespace logship {

const OptionTable<GeoipConfig>& GeoipConfig::options() {
  static const OptionTable<GeoipConfig> table = [] {
    OptionTable<GeoipConfig> t;
    t.optional("field", &GeoipConfig::field, "The field holding the IPv4 or IPv6 address.")
        .optional("target", &GeoipConfig::target,
                  "Where the results go: <target>.geo.country_iso_code, .geo.country_name, "
                  ".geo.continent_code, .geo.region_name, .geo.city_name, .geo.postal_code, "
                  ".geo.location.lat/.lon, .geo.timezone, .as.number, .as.organization.name. "
                  "Empty: the field's parent (source.ip gives source.geo.*, source.as.*).")
        .required("database", &GeoipConfig::database,
                  "One or more MaxMind DB (.mmdb) files, e.g. City (or Country) and ASN, read in "
                  "this order: the first holding a value for a field gives it. Reads the "
                  "GeoIP2/GeoLite2 layout (country.iso_code, city.names.en, location.latitude, "
                  "autonomous_system_number) and flat ones (country_code, city, latitude, as in "
                  "ip-location-db). A changed file is reopened while events keep flowing.")
        .optional("mappings", &GeoipConfig::mappings,
                  "More record paths to read, as {path: field under target}, e.g. "
                  "{traits.isp: as.organization.name}; tried before the built-in paths of the "
                  "same field. Array elements by index: subdivisions.0.iso_code.")
        .optional("cache_size", &GeoipConfig::cache_size,
                  "Addresses whose results are kept (least recently used dropped first); 0 "
                  "turns the cache off.")
        .optional("reload_interval", &GeoipConfig::reload_interval,
                  "How often the database files are checked for changes; 0s never.")
        .check([](const GeoipConfig& c, const ConfigNode& node, Diagnostics& diag) {
          checkFieldName(c.field, node["field"].defined() ? node["field"] : node, diag);
          if (!c.target.empty()) checkFieldName(c.target, node["target"], diag);
          if (node["database"].defined() && c.database.empty()) {
            diag.error(node["database"].location(), "database needs at least one file");
          }
          for (const auto& [path, target] : c.mappings) {
            if (path.empty() || path.front() == '.' || path.back() == '.') {
              diag.error(node["mappings"].location(), "'" + path + "' is not a record path");
            }
            checkFieldName(target, node["mappings"], diag);
          }
          if (c.cache_size < 0)
            diag.error(node["cache_size"].location(), "cache_size must be >= 0");
          if (c.reload_interval.count() < 0) {
            diag.error(node["reload_interval"].location(), "reload_interval must be >= 0");
          }
        });
    return t;
  }();
  return table;
}

void registerGeoip(Registry& registry) {
  registry.addTransform<GeoipConfig, Geoip>(
      "geoip",
      "Adds country, city, location and autonomous system of an address from MaxMind DB files, "
      "reopened when they change.");
}

}  // namespace logship
