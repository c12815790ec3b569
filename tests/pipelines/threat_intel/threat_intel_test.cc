#include "pipelines/threat_intel/threat_intel.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

namespace fs = std::filesystem;
using testing::CapturingEmitter;
using testing::makeBatch;

class ThreatIntelTest : public testing::TransformTest {
 protected:
  ThreatIntelTest() {
    dir_ = fs::temp_directory_path() /
           ("threat_intel_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  ~ThreatIntelTest() override { fs::remove_all(dir_); }

  // Writes `content` to `name` in the test's directory, replacing it by rename as feed updaters
  // do; returns its path.
  std::string write(const std::string& name, const std::string& content) {
    const fs::path tmp = dir_ / (name + ".tmp");
    std::ofstream(tmp) << content;
    fs::rename(tmp, dir_ / name);
    return (dir_ / name).string();
  }

  std::unique_ptr<Batch> run(Transform& t, const std::vector<std::string>& values,
                             const std::string& field = "source.ip") {
    std::vector<std::string> lines(values.size(), "line");
    Batch b = makeBatch(lines);
    for (size_t i = 0; i < values.size(); ++i) testing::addString(b, i, field, values[i]);
    CapturingEmitter out;
    t.process(b, out);
    EXPECT_EQ(out.batches.size(), 1u);
    return std::move(out.batches.at(0));
  }

  static std::string text(const Batch& b, size_t i, std::string_view key) {
    const Field* f = b.findField(b.events()[i], key);
    return f == nullptr ? "<missing>" : std::string(f->value.string_value);
  }

  double matches(const std::string& list) {
    return testing::metricValue(context_->registry_, "logship_threat_intel_matches_total",
                                {{"list", list}});
  }

  fs::path dir_;
};

TEST_F(ThreatIntelTest, PlainListsInFireholAndSpamhausDropStyle) {
  const std::string firehol = write("firehol.netset",
                                    "#\n# firehol_level1\n#\n"
                                    "5.188.10.0/23\n"
                                    "192.0.2.66\n"
                                    "2001:db8:bad::/48\n");
  const std::string drop = write("drop.txt",
                                 "; Spamhaus DROP List\n"
                                 "1.2.3.0/24 ; SBL123\n"
                                 "45.9.20.0/22 ; SBL456\n");
  auto t = build("threat_intel", "{type: threat_intel, lists: [{name: firehol, path: '" + firehol +
                                     "'}, {name: spamhaus_drop, path: '" + drop + "'}]}");
  ASSERT_NE(t, nullptr) << firstError();
  auto b = run(*t, {"5.188.11.200", "1.2.3.4", "45.9.23.255", "45.9.24.0", "192.0.2.66",
                    "2001:db8:bad:1::7", "8.8.8.8", "not an address"});
  EXPECT_EQ(text(*b, 0, "threat.indicator.type"), "ipv4-addr");
  EXPECT_EQ(text(*b, 0, "threat.indicator.ip"), "5.188.11.200");
  EXPECT_EQ(text(*b, 0, "threat.feed.name"), "firehol");
  EXPECT_EQ(text(*b, 1, "threat.feed.name"), "spamhaus_drop");
  EXPECT_EQ(text(*b, 2, "threat.feed.name"), "spamhaus_drop");
  EXPECT_EQ(text(*b, 3, "threat.feed.name"), "<missing>");
  EXPECT_EQ(text(*b, 4, "threat.feed.name"), "firehol");
  EXPECT_EQ(text(*b, 5, "threat.indicator.type"), "ipv6-addr");
  EXPECT_EQ(text(*b, 5, "threat.feed.name"), "firehol");
  for (size_t i : {6, 7}) EXPECT_EQ(b->events()[i].field_count, 1u) << i;
  EXPECT_EQ(matches("firehol"), 3);
  EXPECT_EQ(matches("spamhaus_drop"), 2);
}

TEST_F(ThreatIntelTest, AnAddressOnSeveralListsNamesThemAllInListOrder) {
  const std::string a = write("a.txt", "203.0.113.0/24\n");
  const std::string b = write("b.txt", "203.0.113.9\n");
  const std::string c = write("c.txt", "198.51.100.1\n");
  auto t =
      build("threat_intel", "{type: threat_intel, lists: [{name: a, path: '" + a +
                                "'}, {name: b, path: '" + b + "'}, {name: c, path: '" + c + "'}]}");
  ASSERT_NE(t, nullptr) << firstError();
  auto out = run(*t, {"203.0.113.9", "203.0.113.10"});
  EXPECT_EQ(text(*out, 0, "threat.feed.name"), "a,b");
  EXPECT_EQ(text(*out, 1, "threat.feed.name"), "a");
  EXPECT_EQ(matches("a"), 2);
  EXPECT_EQ(matches("b"), 1);
  EXPECT_EQ(matches("c"), 0);
}

TEST_F(ThreatIntelTest, DomainsMatchWithTheirSubdomains) {
  const std::string list = write("domains.txt", "evil.example\n*.phish.test\n# comment\n");
  auto t =
      build("threat_intel",
            "{type: threat_intel, field: url.domain, lists: [{name: d, path: '" + list + "'}]}");
  ASSERT_NE(t, nullptr) << firstError();
  auto b = run(
      *t, {"evil.example", "WWW.Evil.Example.", "login.phish.test", "notevil.example", "example"},
      "url.domain");
  EXPECT_EQ(text(*b, 0, "threat.indicator.type"), "domain-name");
  EXPECT_EQ(text(*b, 0, "threat.indicator.url.domain"), "evil.example");
  EXPECT_EQ(text(*b, 1, "threat.indicator.url.domain"), "WWW.Evil.Example.");
  EXPECT_EQ(text(*b, 2, "threat.feed.name"), "d");
  EXPECT_EQ(text(*b, 3, "threat.feed.name"), "<missing>");
  EXPECT_EQ(text(*b, 4, "threat.feed.name"), "<missing>");
}

TEST_F(ThreatIntelTest, CsvByHeaderNameOrColumnNumberWithHashes) {
  const std::string sha = std::string(64, 'a');
  const std::string md5 = "44d88612fea8a8f36de82e1278abb02f";
  const std::string by_name = write("hashes.csv",
                                    "# abuse.ch style export\n"
                                    "first_seen,sha256_hash,signature\n"
                                    "2024-01-01,\"" +
                                        sha + "\",Emotet\n");
  const std::string by_number = write("md5.csv", "md5,name\n" + md5 + ",eicar\n");
  auto t = build("threat_intel",
                 "{type: threat_intel, field: file.hash, lists: [{name: bazaar, path: '" + by_name +
                     "', format: csv, column: sha256_hash}, {name: eicar, path: '" + by_number +
                     "', format: csv, column: 1}]}");
  ASSERT_NE(t, nullptr) << firstError();
  std::string upper = sha;
  for (char& c : upper) c = 'A';
  std::string md5_upper = md5;
  for (char& c : md5_upper) c = static_cast<char>(std::toupper(c));
  auto b = run(*t, {upper, md5_upper, std::string(64, 'b')}, "file.hash");
  EXPECT_EQ(text(*b, 0, "threat.indicator.type"), "file");
  EXPECT_EQ(text(*b, 0, "threat.indicator.file.hash.sha256"), upper);
  EXPECT_EQ(text(*b, 0, "threat.feed.name"), "bazaar");
  EXPECT_EQ(text(*b, 1, "threat.indicator.file.hash.md5"), md5_upper);
  EXPECT_EQ(text(*b, 1, "threat.feed.name"), "eicar");
  EXPECT_EQ(text(*b, 2, "threat.feed.name"), "<missing>");
}

TEST_F(ThreatIntelTest, AListOfTheTopLevelListsByNameAlone) {
  const std::string path = write("blocked.txt", "198.51.100.0/24\n");
  global_.lists.push_back(
      SharedListSpec{"blocked", path, "plain", "", std::chrono::seconds(10), {}});
  auto t = build("threat_intel", "{type: threat_intel, lists: [{name: blocked}]}");
  ASSERT_NE(t, nullptr) << firstError();
  EXPECT_EQ(text(*run(*t, {"198.51.100.9"}), 0, "threat.feed.name"), "blocked");
  EXPECT_EQ(build("threat_intel", "{type: threat_intel, lists: [{name: allowed}]}"), nullptr);
  EXPECT_EQ(firstError(),
            "t.yaml:1:30: a list needs a path (or only the name of a top-level list)");
}

TEST_F(ThreatIntelTest, ABadLineAtStartIsAConfigErrorWithFileAndLine) {
  const std::string list = write("bad.txt", "10.0.0.0/8\n10.0.0.0/33\nnot a domain!\n");
  EXPECT_EQ(build("threat_intel", "type: threat_intel\nlists: [{name: x, path: '" + list + "'}]\n"),
            nullptr);
  ASSERT_EQ(diag_.errors().size(), 2u);
  EXPECT_EQ(diag_.errors()[0],
            "t.yaml:2:25: " + list + ":2: '10.0.0.0/33': prefix length must be 0-32");
  EXPECT_EQ(diag_.errors()[1],
            "t.yaml:2:25: " + list + ":3: 'not' is not an IP address, CIDR, domain or file hash");

  EXPECT_EQ(build("threat_intel", "type: threat_intel\nlists: [{name: x, path: /nonexistent}]\n"),
            nullptr);
  EXPECT_EQ(firstError(), "t.yaml:2:25: /nonexistent: No such file or directory");
  EXPECT_EQ(build("threat_intel", "type: threat_intel\nlists: [{name: x, path: a, colour: red}]\n"),
            nullptr);
  EXPECT_EQ(firstError(),
            "t.yaml:2:28: unknown option 'colour' (known: name, path, format, column)");
  const std::string csv = write("x.csv", "a,b\n1.2.3.4,x\n");
  EXPECT_EQ(build("threat_intel", "type: threat_intel\nlists: [{name: x, path: '" + csv +
                                      "', format: csv, column: ip}]\n"),
            nullptr);
  EXPECT_EQ(firstError(), "t.yaml:2:25: " + csv + ":1: no column 'ip' in the header");
}

TEST_F(ThreatIntelTest, ARewrittenListIsSwappedInAndABadLineThenIsOnlyCounted) {
  const std::string list = write("feed.txt", "198.51.100.7\n");
  auto t = build(
      "threat_intel",
      "{type: threat_intel, reload_interval: 0s, lists: [{name: feed, path: '" + list + "'}]}");
  ASSERT_NE(t, nullptr) << firstError();
  auto& intel = dynamic_cast<ThreatIntel&>(*t);
  EXPECT_FALSE(intel.reloadIfChanged());
  auto before = run(*t, {"198.51.100.7", "198.51.100.8"});
  EXPECT_EQ(text(*before, 0, "threat.feed.name"), "feed");
  EXPECT_EQ(text(*before, 1, "threat.feed.name"), "<missing>");

  write("feed.txt", "198.51.100.8\nthis is no indicator\n");
  EXPECT_TRUE(intel.reloadIfChanged());
  auto after = run(*t, {"198.51.100.7", "198.51.100.8"});
  EXPECT_EQ(text(*after, 0, "threat.feed.name"), "<missing>");
  EXPECT_EQ(text(*after, 1, "threat.feed.name"), "feed");
  EXPECT_EQ(testing::metricValue(context_->registry_, "logship_threat_intel_bad_lines_total",
                                 {{"list", "feed"}}),
            1);

  // Gone for a moment (a replace by delete and create): what is loaded stays.
  fs::remove(list);
  EXPECT_FALSE(intel.reloadIfChanged());
  EXPECT_EQ(text(*run(*t, {"198.51.100.8"}), 0, "threat.feed.name"), "feed");
  EXPECT_EQ(testing::metricValue(context_->registry_, "logship_threat_intel_reloads_total",
                                 {{"result", "ok"}}),
            1);
}

}  // namespace
}  // namespace logship
