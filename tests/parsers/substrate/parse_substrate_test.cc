#include "parsers/substrate/parse_substrate.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "parsers/substrate/substrate_line.h"
#include "tests/parsers/parser_test_support.h"
#include "tests/requirements.h"

namespace logship {
namespace {

using testing::buildOrFail;
using testing::FakeContext;
using testing::integer;
using testing::parseFailed;
using testing::real;
using testing::runLines;
using testing::str;
using testing::utcNs;

// The action each leading emoji announces, as the test reads the corpus.
const std::map<std::string, std::string>& emojiActions() {
  static const std::map<std::string, std::string> kTable = {
      {"\xE2\x9C\xA8", "block_imported"},         {"\xF0\x9F\x92\xA4", "idle"},
      {"\xF0\x9F\x91\xB6", "new_epoch"},          {"\xF0\x9F\x94\x8D", "discovered_address"},
      {"\xE3\x80\xBD", "prometheus_started"},     {"\xF0\x9F\x8F\xB7", "local_identity"},
      {"\xF0\x9F\x93\xA6", "highest_known_block"}};
  return kTable;
}

TEST(ParseSubstrateCorpusTest, EveryLineParsesAndEmojiLinesGetTheirAction) {
  const std::vector<std::string> lines = testing::readLines("substrate_node_sample.log");
  LOGSHIP_REQUIRE(!(lines.empty()), "corpus not readable under " << LOGSHIP_CORPUS_DIR);
  auto transform = buildOrFail("parse_substrate");
  ASSERT_NE(transform, nullptr);
  FakeContext context;
  auto batch = runLines(*transform, lines, 0, &context);
  ASSERT_NE(batch, nullptr);
  int actions = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Event& e = batch->events()[i];
    const std::string& line = lines[i];
    ASSERT_FALSE(parseFailed(e)) << line;
    EXPECT_EQ(e.message, line);
    EXPECT_GT(e.timestamp_ns, utcNs(2020, 1, 1, 0, 0, 0));
    // A bracketed tag right after the timestamp is the chain.
    const size_t open = line.find(" [");
    if (open != std::string::npos && open < 24) {
      EXPECT_EQ(str(e, "substrate.chain"), line.substr(open + 2, line.find(']') - open - 2));
    }
    std::string expected_action;
    for (const auto& [emoji, action] : emojiActions()) {
      if (line.find(" " + emoji) != std::string::npos) expected_action = action;
    }
    EXPECT_EQ(str(e, "event.action").value_or(""), expected_action) << line;
    actions += !expected_action.empty();
  }
  EXPECT_GE(actions, 10);
  EXPECT_TRUE(context.counting().discarded_by_reason.empty());
}

class ParseSubstrateLineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lines_ = testing::readLines("substrate_node_sample.log");
    LOGSHIP_REQUIRE(!(lines_.size() < 14), "corpus not readable under " << LOGSHIP_CORPUS_DIR);
    transform_ = buildOrFail("parse_substrate");
    ASSERT_NE(transform_, nullptr);
    batch_ = runLines(*transform_, lines_);
    ASSERT_NE(batch_, nullptr);
  }
  const Event& line(size_t number) {
    return batch_->events()[number - 1];
  }  // 1-based, as in an editor

  std::vector<std::string> lines_;
  std::unique_ptr<Transform> transform_;
  std::unique_ptr<Batch> batch_;
};

TEST_F(ParseSubstrateLineTest, PrometheusStarted) {
  const Event& e = line(1);
  EXPECT_EQ(e.timestamp_ns, utcNs(2021, 5, 30, 16, 57, 44));
  EXPECT_EQ(str(e, "substrate.chain"), "Relaychain");
  EXPECT_EQ(str(e, "event.action"), "prometheus_started");
  EXPECT_EQ(str(e, "substrate.address"), "127.0.0.1:9616");
  EXPECT_EQ(e.severity, Severity::kUnset);  // this format prints no level
  EXPECT_EQ(e.findField("process.thread.name"), nullptr);
}

TEST_F(ParseSubstrateLineTest, PlainParachainLine) {
  const Event& e = line(2);
  EXPECT_EQ(str(e, "substrate.chain"), "Parachain");
  EXPECT_EQ(str(e, "substrate.message"), "Unable to listen on 127.0.0.1:9945");
  EXPECT_EQ(e.findField("event.action"), nullptr);
}

TEST_F(ParseSubstrateLineTest, DiscoveredAddress) {
  const Event& e = line(4);
  EXPECT_EQ(str(e, "event.action"), "discovered_address");
  EXPECT_EQ(str(e, "substrate.address"),
            "/ip4/192.168.42.204/tcp/30334/ws/p2p/"
            "12D3KooWBjYK2W4dsBfsrFA9tZCStb5ogPb6STQqi2AK9awXfXyG");
}

TEST_F(ParseSubstrateLineTest, BlockImported) {
  const Event& e = line(5);
  EXPECT_EQ(e.timestamp_ns, utcNs(2021, 5, 30, 16, 57, 48));
  EXPECT_EQ(str(e, "event.action"), "block_imported");
  EXPECT_EQ(integer(e, "substrate.block.number"), 8);
  EXPECT_EQ(str(e, "substrate.block.hash"),
            "0xe60b\xE2\x80\xA6"
            "9b0a");
  EXPECT_EQ(integer(line(9), "substrate.block.number"), 31);
}

TEST_F(ParseSubstrateLineTest, Idle) {
  const Event& e = line(6);
  EXPECT_EQ(str(e, "event.action"), "idle");
  EXPECT_EQ(integer(e, "substrate.peers"), 2);
  EXPECT_EQ(integer(e, "substrate.best"), 8);
  EXPECT_EQ(str(e, "substrate.best_hash"),
            "0xe60b\xE2\x80\xA6"
            "9b0a");
  EXPECT_EQ(integer(e, "substrate.finalized"), 5);
  EXPECT_EQ(str(e, "substrate.finalized_hash"),
            "0x1e6f\xE2\x80\xA6"
            "567c");
  EXPECT_EQ(integer(e, "substrate.finality_lag"), 3);
  EXPECT_EQ(str(e, "substrate.network.download"), "4.5kiB/s");
  EXPECT_EQ(str(e, "substrate.network.upload"), "2.2kiB/s");
  const Event& parachain = line(7);
  EXPECT_EQ(str(parachain, "substrate.chain"), "Parachain");
  EXPECT_EQ(integer(parachain, "substrate.peers"), 0);
  EXPECT_EQ(integer(parachain, "substrate.best"), 0);
}

TEST_F(ParseSubstrateLineTest, NewEpoch) {
  const Event& e = line(8);
  EXPECT_EQ(str(e, "event.action"), "new_epoch");
  EXPECT_EQ(integer(e, "substrate.epoch"), 3);
  EXPECT_EQ(str(e, "substrate.block.hash"),
            "0x68bc\xE2\x80\xA6"
            "0605");
  EXPECT_EQ(integer(e, "substrate.slot"), 270402601);
}

TEST_F(ParseSubstrateLineTest, DetailedFormatWithThreadLevelAndTarget) {
  const Event& e = line(10);
  EXPECT_EQ(e.timestamp_ns, utcNs(2020, 9, 2, 11, 9, 35, 81));
  EXPECT_EQ(str(e, "process.thread.name"), "main");
  EXPECT_EQ(e.severity, Severity::kMedium);  // WARN
  EXPECT_EQ(str(e, "log.logger"), "sc_service::builder");
  EXPECT_EQ(str(e, "substrate.message"),
            "Using default protocol ID \"sup\" because none is configured in the chain specs");
  EXPECT_EQ(e.findField("substrate.chain"), nullptr);

  const Event& identity = line(11);
  EXPECT_EQ(identity.severity, Severity::kInfo);
  EXPECT_EQ(str(identity, "log.logger"), "sub-libp2p");
  EXPECT_EQ(str(identity, "event.action"), "local_identity");
  EXPECT_EQ(str(identity, "substrate.peer_id"),
            "12D3KooWC8iNnJqM64qiurVSA3mRFGE4LPj99QPVtUE6whyxFAJy");

  EXPECT_EQ(str(line(12), "event.action"), "highest_known_block");
  EXPECT_EQ(integer(line(12), "substrate.block.number"), 0);

  const Event& prometheus = line(13);
  EXPECT_EQ(str(prometheus, "process.thread.name"), "tokio-runtime-worker");
  EXPECT_EQ(str(prometheus, "log.logger"), "substrate_prometheus_endpoint::known_os");
  EXPECT_EQ(str(prometheus, "substrate.address"), "127.0.0.1:9615");

  const Event& idle = line(14);
  EXPECT_EQ(str(idle, "log.logger"), "substrate");
  EXPECT_EQ(str(idle, "substrate.network.download"), "0");
  EXPECT_EQ(str(idle, "substrate.network.upload"), "0");
}

TEST(ParseSubstrateTest, MoreKindsLevelsAndFormats) {
  auto transform = buildOrFail("parse_substrate", "timezone_offset: '+02:00'");
  ASSERT_NE(transform, nullptr);
  FakeContext context;
  auto batch = runLines(
      *transform,
      {"2021-05-30 16:57:50 [Parachain] \xF0\x9F\x8E\x81 Prepared block for proposing at 9 "
       "(5 ms) [hash: 0xabcdef; parent_hash: 0x1234; extrinsics (1): [0x5678]]",
       "2021-05-30 16:57:50 \xF0\x9F\x94\x96 Pre-sealed block for proposal at 9. Hash now "
       "0xabcdef, previously 0x9999.",
       "2021-05-30 16:57:51 \xE2\x9A\x99\xEF\xB8\x8F  Syncing 12.5 bps, target=#1234 (5 peers), "
       "best: #100 (0xaa\xE2\x80\xA6"
       "bb), finalized #98 (0xcc\xE2\x80\xA6"
       "dd), "
       "\xE2\xAC\x87 1.2kiB/s \xE2\xAC\x86 0.5kiB/s",
       "2021-05-30 16:57:52.999 main ERROR sc_service  Essential task failed",
       "2023-06-01 10:00:00.123  INFO tokio-runtime-worker substrate: [Parachain] "
       "\xE2\x9C\xA8 Imported #77 (0x1111\xE2\x80\xA6"
       "2222)",
       "2023-06-01 10:00:01  DEBUG main sync: nothing", "not a node line",
       "2021-05-30T16:57:50Z iso is not what nodes print"},
      0, &context);
  ASSERT_NE(batch, nullptr);
  const auto& events = batch->events();

  EXPECT_EQ(events[0].timestamp_ns, utcNs(2021, 5, 30, 14, 57, 50));  // local +02:00
  EXPECT_EQ(str(events[0], "event.action"), "prepared_block");
  EXPECT_EQ(integer(events[0], "substrate.block.number"), 9);
  EXPECT_EQ(str(events[0], "substrate.block.hash"), "0xabcdef");

  EXPECT_EQ(str(events[1], "event.action"), "block_authored");
  EXPECT_EQ(integer(events[1], "substrate.block.number"), 9);
  EXPECT_EQ(str(events[1], "substrate.block.hash"), "0xabcdef");

  EXPECT_EQ(str(events[2], "event.action"), "syncing");
  EXPECT_EQ(real(events[2], "substrate.sync.bps"), 12.5);
  EXPECT_EQ(integer(events[2], "substrate.sync.target"), 1234);
  EXPECT_EQ(integer(events[2], "substrate.peers"), 5);
  EXPECT_EQ(integer(events[2], "substrate.best"), 100);
  EXPECT_EQ(integer(events[2], "substrate.finalized"), 98);
  EXPECT_EQ(str(events[2], "substrate.network.download"), "1.2kiB/s");

  EXPECT_EQ(events[3].severity, Severity::kHigh);
  EXPECT_EQ(str(events[3], "log.logger"), "sc_service");
  EXPECT_EQ(str(events[3], "substrate.message"), "Essential task failed");

  // Newer nodes print "LEVEL thread target:" and the chain tag after the header.
  EXPECT_EQ(events[4].severity, Severity::kInfo);
  EXPECT_EQ(str(events[4], "process.thread.name"), "tokio-runtime-worker");
  EXPECT_EQ(str(events[4], "log.logger"), "substrate");
  EXPECT_EQ(str(events[4], "substrate.chain"), "Parachain");
  EXPECT_EQ(str(events[4], "event.action"), "block_imported");
  EXPECT_EQ(integer(events[4], "substrate.block.number"), 77);

  EXPECT_EQ(events[5].severity, Severity::kDebug);
  EXPECT_EQ(str(events[5], "log.logger"), "sync");

  for (size_t i : {6u, 7u}) {
    EXPECT_TRUE(parseFailed(events[i]));
    EXPECT_EQ(str(events[i], "event.parse_error"), "no timestamp at the start of the line");
    EXPECT_EQ(events[i].field_count, 1);
  }
  EXPECT_EQ(context.counting().discarded_by_reason["parse_error"], 2u);
}

TEST(SubstrateLineTest, TruncatedLinesNeverReadPastTheirEnd) {
  const std::string line =
      "2021-05-30 16:57:49 [Relaychain] \xF0\x9F\x92\xA4 Idle (2 peers), best: #8 "
      "(0xe60b\xE2\x80\xA6"
      "9b0a), finalized #5 (0x1e6f\xE2\x80\xA6"
      "567c), \xE2\xAC\x87 4.5kiB/s \xE2\xAC\x86 2.2kiB/s";
  for (size_t length = 0; length <= line.size(); ++length) {
    // A separate allocation of exactly `length` bytes, so ASan sees any overread.
    std::unique_ptr<char[]> copy(new char[length == 0 ? 1 : length]);
    std::memcpy(copy.get(), line.data(), length);
    substrate::SubstrateLine parsed;
    const bool ok = substrate::parseSubstrateLine({copy.get(), length}, 0, parsed);
    EXPECT_EQ(ok, length >= 19) << length;
    for (int i = 0; i < parsed.field_count; ++i) {
      const FieldValue& v = parsed.fields[i].value;
      if (v.kind != FieldValue::Kind::kString) continue;
      EXPECT_GE(v.string_value.data(), copy.get());
      EXPECT_LE(v.string_value.data() + v.string_value.size(), copy.get() + length);
    }
  }
}

}  // namespace
}  // namespace logship
