// End to end: YAML pipeline text -> Topology::build with the real registry -> file sources ->
// parse_* transforms -> file output, and the NDJSON that comes out.

#include "parsers/parsers.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/cli/builtin_components.h"
#include "agent/core/metrics.h"
#include "agent/topology/pipeline_config.h"
#include "agent/topology/topology.h"

namespace logship {
namespace {

class ParsersPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/logship-parsers-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    registerBuiltinComponents(registry_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void write(const std::string& name, const std::vector<std::string>& lines) {
    std::ofstream out(dir_ + "/" + name, std::ios::binary);
    for (const std::string& line : lines) out << line << "\n";
  }

  std::vector<std::string> readOutput() {
    std::ifstream in(dir_ + "/out.ndjson", std::ios::binary);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
  }

  std::unique_ptr<Topology> build(const std::string& yaml) {
    diag_ = Diagnostics();
    PipelineConfig config = parsePipelineConfig(yaml, "p.yaml", diag_);
    if (!diag_.ok()) return nullptr;
    return Topology::build(std::move(config), registry_, diag_);
  }

  std::string dir_;
  Registry registry_;
  Diagnostics diag_;
};

TEST_F(ParsersPipelineTest, EveryParserIsARegisteredTransformType) {
  for (const char* type : {"parse_json", "parse_logfmt", "parse_regex", "parse_syslog",
                           "parse_auth", "parse_substrate", "parse_auditd"}) {
    const ComponentFactory* factory = registry_.find(ComponentKind::kTransform, type);
    ASSERT_NE(factory, nullptr) << type;
    EXPECT_FALSE(factory->summary.empty());
    for (const OptionDoc& option : factory->options) {
      EXPECT_FALSE(option.doc.empty()) << type << "." << option.key;
    }
  }
}

TEST_F(ParsersPipelineTest, BadParserOptionsFailTheWholeGraphWithLocations) {
  auto topology = build(
      "sources:\n"
      "  s: {type: stdin}\n"
      "transforms:\n"
      "  j: {type: parse_json, inputs: [s], nestd: keep}\n"
      "  r: {type: parse_regex, inputs: [j], patterns: ['(?P<x']}\n"
      "  n: {type: parse_substrate, inputs: [r], timezone_offset: CEST}\n"
      "outputs:\n"
      "  o: {type: blackhole, inputs: [n]}\n");
  EXPECT_EQ(topology, nullptr);
  ASSERT_EQ(diag_.errors().size(), 3u);
  EXPECT_EQ(diag_.errors()[0].rfind("p.yaml:4:38: unknown option 'nestd'", 0), 0u)
      << diag_.errors()[0];
  EXPECT_EQ(diag_.errors()[1].rfind("p.yaml:5:50: invalid RE2 pattern", 0), 0u)
      << diag_.errors()[1];
  EXPECT_EQ(diag_.errors()[2].rfind("p.yaml:6:60: timezone_offset 'CEST'", 0), 0u)
      << diag_.errors()[2];
}

TEST_F(ParsersPipelineTest, FilesThroughParsersToNdjson) {
  const std::vector<std::string> auth_lines = {
      "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 "
      "euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
      "Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown",
      "Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)",
      "Jun 15 04:06:20 combo logrotate: ALERT exited abnormally with [1]"};
  const std::vector<std::string> app_lines = {
      R"({"time":"2024-05-01T10:00:00Z","level":"error","msg":"db down","user":{"id":7}})",
      R"({"broken": )"};
  const std::vector<std::string> node_lines = {
      "2021-05-30 16:57:48 [Relaychain] \xE2\x9C\xA8 Imported #8 (0xe60b\xE2\x80\xA6"
      "9b0a)"};
  write("auth.log", auth_lines);
  write("app.log", app_lines);
  write("node.log", node_lines);
  auto topology = build(
      "workers: 1\n"
      "data_dir: " +
      dir_ +
      "/data\n"
      "sources:\n"
      "  auth: {type: file, include: [" +
      dir_ +
      "/auth.log], poll_interval: 50ms}\n"
      "  app: {type: file, include: [" +
      dir_ +
      "/app.log], poll_interval: 50ms}\n"
      "  node: {type: file, include: [" +
      dir_ +
      "/node.log], poll_interval: 50ms}\n"
      "transforms:\n"
      "  syslog: {type: parse_syslog, inputs: [auth]}\n"
      "  auth_events: {type: parse_auth, inputs: [syslog]}\n"
      "  json: {type: parse_json, inputs: [app]}\n"
      "  substrate: {type: parse_substrate, inputs: [node]}\n"
      "outputs:\n"
      "  out: {type: file, inputs: [auth_events, json, substrate], path: " +
      dir_ + "/out.ndjson}\n");
  ASSERT_NE(topology, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
  Metrics metrics;
  topology->start(metrics);
  const size_t expected = auth_lines.size() + app_lines.size() + node_lines.size();
  for (int i = 0; i < 500 && readOutput().size() < expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(topology->shutdown(std::chrono::seconds(5)));
  const std::vector<std::string> out = readOutput();
  ASSERT_EQ(out.size(), expected);

  simdjson::dom::parser parser;
  int auth_events = 0;
  bool saw_json = false;
  bool saw_broken = false;
  bool saw_block = false;
  for (const std::string& line : out) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
    std::string_view message;
    ASSERT_EQ(doc["message"].get(message), simdjson::SUCCESS) << line;
    std::string_view action;
    if (doc.at_pointer("/event/action").get(action) == simdjson::SUCCESS) {
      if (action != "block_imported") {
        ++auth_events;
        std::string_view host;
        EXPECT_EQ(doc.at_pointer("/host/name").get(host), simdjson::SUCCESS);
        EXPECT_EQ(host, "combo");
      }
      if (action == "pam_auth_failure") {
        std::string_view ip;
        EXPECT_EQ(doc.at_pointer("/source/ip").get(ip), simdjson::SUCCESS);
        EXPECT_EQ(ip, "218.188.2.4");
        std::string_view ts;
        EXPECT_EQ(doc["@timestamp"].get(ts), simdjson::SUCCESS);
        EXPECT_EQ(ts.substr(5, 14), "06-14T15:16:01");
      }
      if (action == "block_imported") {
        int64_t number = 0;
        EXPECT_EQ(doc.at_pointer("/substrate/block/number").get(number), simdjson::SUCCESS);
        EXPECT_EQ(number, 8);
        saw_block = true;
      }
    }
    if (message == "db down") {
      saw_json = true;
      std::string_view level;
      EXPECT_EQ(doc.at_pointer("/log/level").get(level), simdjson::SUCCESS);
      EXPECT_EQ(level, "high");
      int64_t id = 0;
      EXPECT_EQ(doc.at_pointer("/user/id").get(id), simdjson::SUCCESS);
      EXPECT_EQ(id, 7);
      std::string_view ts;
      EXPECT_EQ(doc["@timestamp"].get(ts), simdjson::SUCCESS);
      EXPECT_EQ(ts.substr(0, 19), "2024-05-01T10:00:00");
      std::string_view original;
      EXPECT_EQ(doc.at_pointer("/event/original").get(original), simdjson::SUCCESS);
      EXPECT_EQ(original, app_lines[0]);
    }
    if (message == app_lines[1]) {
      saw_broken = true;
      std::string_view reason;
      EXPECT_EQ(doc.at_pointer("/event/parse_error").get(reason), simdjson::SUCCESS) << line;
    }
  }
  EXPECT_EQ(auth_events, 3);  // logrotate is not an auth event
  EXPECT_TRUE(saw_json);
  EXPECT_TRUE(saw_broken);
  EXPECT_TRUE(saw_block);
  const std::string rendered = metrics.render();
  EXPECT_NE(rendered.find("logship_component_discarded_events_total{component_id=\"json\","
                          "component_kind=\"transform\",component_type=\"parse_json\","
                          "reason=\"parse_error\"} 1"),
            std::string::npos)
      << rendered;
}

TEST_F(ParsersPipelineTest, AuditLogJoinedAndTheLastOpenEventShippedByTheTimer) {
  write("audit.log",
        {"type=SYSCALL msg=audit(1700000000.123:4567): arch=c000003e syscall=59 success=yes "
         "exit=0 items=1 ppid=1201 pid=1302 auid=1000 uid=0 gid=0 euid=0 tty=pts0 ses=3 "
         "comm=\"ls\" exe=\"/usr/bin/ls\" key=\"exec\"",
         "type=EXECVE msg=audit(1700000000.123:4567): argc=2 a0=\"ls\" a1=\"-la\"",
         "type=PROCTITLE msg=audit(1700000000.123:4567): proctitle=6C73002D6C61",
         "type=EOE msg=audit(1700000000.123:4567): ",
         // No EOE: only the timer ships it, the file having nothing more to say.
         "type=SYSCALL msg=audit(1700000000.200:4568): arch=c000003e syscall=2 success=no "
         "exit=-13 items=1 ppid=2686 pid=3538 auid=500 uid=500 gid=500 euid=500 tty=pts0 ses=1 "
         "comm=\"cat\" exe=\"/bin/cat\" key=\"sshd_config\"",
         "type=PATH msg=audit(1700000000.200:4568): item=0 name=\"/etc/ssh/sshd_config\" "
         "inode=409248 dev=fd:00 mode=0100600 ouid=0 ogid=0 rdev=00:00"});
  auto topology = build(
      "workers: 1\n"
      "data_dir: " +
      dir_ +
      "/data\n"
      "sources:\n"
      "  audit: {type: file, include: [" +
      dir_ +
      "/audit.log], poll_interval: 50ms}\n"
      "transforms:\n"
      "  events: {type: parse_auditd, inputs: [audit], flush_timeout: 200ms}\n"
      "outputs:\n"
      "  out: {type: file, inputs: [events], path: " +
      dir_ + "/out.ndjson}\n");
  ASSERT_NE(topology, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
  Metrics metrics;
  topology->start(metrics);
  for (int i = 0; i < 500 && readOutput().size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(topology->shutdown(std::chrono::seconds(5)));
  const std::vector<std::string> out = readOutput();
  ASSERT_EQ(out.size(), 2u);
  simdjson::dom::parser parser;
  simdjson::dom::element exec;
  ASSERT_EQ(parser.parse(out[0]).get(exec), simdjson::SUCCESS) << out[0];
  std::string_view text;
  EXPECT_EQ(exec.at_pointer("/event/action").get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, "execve");
  EXPECT_EQ(exec.at_pointer("/process/title").get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, "ls -la");
  EXPECT_EQ(exec["@timestamp"].get(text), simdjson::SUCCESS);
  EXPECT_EQ(text.substr(0, 23), "2023-11-14T22:13:20.123");
  simdjson::dom::element open;
  ASSERT_EQ(parser.parse(out[1]).get(open), simdjson::SUCCESS) << out[1];
  EXPECT_EQ(open.at_pointer("/file/path").get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, "/etc/ssh/sshd_config");
  EXPECT_EQ(open.at_pointer("/event/outcome").get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, "failure");
}

}  // namespace
}  // namespace logship
