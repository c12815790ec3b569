#include "parsers/substrate/parse_substrate.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "agent/core/line_reader.h"
#include "agent/sources/file/line_assembler.h"
#include "parsers/substrate/substrate_line.h"
#include "tests/parsers/parser_test_support.h"
#include "tests/requirements.h"

namespace logship {
namespace {

using testing::boolean;
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
  // This format prints no level: the node logs this kind at info.
  EXPECT_EQ(e.severity, Severity::kInfo);
  EXPECT_EQ(e.findField("process.thread.name"), nullptr);
}

TEST_F(ParseSubstrateLineTest, PlainParachainLine) {
  const Event& e = line(2);
  EXPECT_EQ(str(e, "substrate.chain"), "Parachain");
  EXPECT_EQ(str(e, "substrate.message"), "Unable to listen on 127.0.0.1:9945");
  EXPECT_EQ(e.findField("event.action"), nullptr);
  EXPECT_EQ(e.severity, Severity::kUnset);  // neither printed nor known from a kind
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
  // Before 2023 the line said neither the parent nor whether the block became the best.
  EXPECT_EQ(e.findField("substrate.parent_hash"), nullptr);
  EXPECT_EQ(e.findField("substrate.block.best"), nullptr);
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

TEST(ParseSubstrateTest, LevelsFollowTheKindWhenNoneIsPrinted) {
  auto transform = buildOrFail("parse_substrate");
  ASSERT_NE(transform, nullptr);
  auto batch = runLines(
      *transform,
      {"2024-01-10 12:00:12 Proposing failed: Import failed: Error at calling runtime api",
       "2022-12-08 19:14:31 [Relaychain] Essential task `grandpa-voter` failed. Shutting down "
       "service.",
       "2024-01-10 12:00:12 Slot author is equivocating at slot 284225602 with headers 0x1e5b and "
       "0x7c2d",
       "2024-01-10 12:00:12.100  INFO tokio-runtime-worker aura: Slot author is equivocating at "
       "slot 284225602 with headers 0x1e5b and 0x7c2d",
       "2024-01-10 12:00:13.000  WARN tokio-runtime-worker slots: Proposing failed: timeout",
       "2024-01-10 12:00:14 \xF0\x9F\x8F\x86 Imported #2817 (0x2f31 \xE2\x86\x92 0x9a1c)"});
  ASSERT_NE(batch, nullptr);
  const auto& events = batch->events();
  EXPECT_EQ(events[0].severity, Severity::kMedium);
  EXPECT_EQ(str(events[0], "event.action"), "proposal_failed");
  EXPECT_EQ(events[1].severity, Severity::kHigh);
  EXPECT_EQ(str(events[1], "substrate.task"), "grandpa-voter");
  EXPECT_EQ(events[2].severity, Severity::kCritical);
  EXPECT_EQ(events[3].severity, Severity::kCritical);  // printed at INFO, critical all the same
  EXPECT_EQ(events[4].severity, Severity::kMedium);    // the printed level
  EXPECT_EQ(events[5].severity, Severity::kInfo);
  EXPECT_EQ(boolean(events[5], "substrate.block.best"), true);
  EXPECT_EQ(str(events[5], "substrate.block.hash"), "0x9a1c");
  EXPECT_EQ(str(events[5], "substrate.parent_hash"), "0x2f31");
}

// Runs `first` then `second` on `lines` as one batch.
std::unique_ptr<Batch> runTwo(Transform& first, Transform& second,
                              const std::vector<std::string>& lines, int64_t read_time_ns) {
  auto parsed = runLines(first, lines, read_time_ns);
  if (parsed == nullptr) return nullptr;
  FakeContext context;
  second.start(context);
  testing::CapturingEmitter out;
  second.process(*parsed, out);
  if (out.batches.size() != 1u) return nullptr;
  return std::move(out.batches[0]);
}

// Docker's json-file driver: each line of the node's stderr is a JSON document's "log".
TEST(ParseSubstrateFieldTest, DockerJsonFileLogField) {
  auto json = buildOrFail("parse_json");
  auto node = buildOrFail("parse_substrate", "field: log");
  ASSERT_NE(json, nullptr);
  ASSERT_NE(node, nullptr);
  auto batch = runTwo(
      *json, *node,
      {R"({"log":"2025-02-11 09:12:30 )"
       "\xF0\x9F\x8F\x86 Imported #2817 (0x2f31\xE2\x80\xA6"
       "0b2e \xE2\x86\x92 0x9a1c\xE2\x80\xA6"
       R"(77d4)\n","stream":"stderr","time":"2025-02-11T09:12:30.481936210Z"})",
       R"({"log":"2025-02-11 09:12:31 Report 12D3KooWSCufgHzV4fCwRijfH2k3abrpAJxTKxEvN1FDuRXA2U9x: -2147483648 to -2147483643. Reason: Same block request multiple times. Banned, disconnecting.\n","stream":"stderr","time":"2025-02-11T09:12:31.002Z"})",
       R"({"stream":"stderr","time":"2025-02-11T09:12:32Z"})"},
      0);
  ASSERT_NE(batch, nullptr);
  const auto& events = batch->events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_FALSE(parseFailed(events[0]));
  EXPECT_EQ(events[0].timestamp_ns, utcNs(2025, 2, 11, 9, 12, 30));  // the node's own time
  EXPECT_EQ(str(events[0], "event.action"), "block_imported");
  EXPECT_EQ(integer(events[0], "substrate.block.number"), 2817);
  EXPECT_EQ(str(events[0], "substrate.block.hash"),
            "0x9a1c\xE2\x80\xA6"
            "77d4");
  EXPECT_EQ(boolean(events[0], "substrate.block.best"), true);
  EXPECT_EQ(str(events[1], "event.action"), "peer_banned");
  EXPECT_EQ(events[1].severity, Severity::kMedium);
  EXPECT_EQ(str(events[1], "substrate.ban_reason"), "Same block request multiple times");
  EXPECT_TRUE(parseFailed(events[2]));
  EXPECT_EQ(str(events[2], "event.parse_error"), "field to parse is missing");
}

// journalctl / syslog: the node's line is the syslog message body.
TEST(ParseSubstrateFieldTest, SyslogMessageField) {
  auto syslog = buildOrFail("parse_syslog");
  auto node = buildOrFail("parse_substrate", "field: syslog.message");
  ASSERT_NE(syslog, nullptr);
  ASSERT_NE(node, nullptr);
  auto batch = runTwo(
      *syslog, *node,
      {"Dec  8 19:14:31 ns3159483 robonomics[1019836]: 2022-12-08 19:14:31 [Relaychain] GRANDPA "
       "voter error: could not complete a round on disk: Database",
       "Dec  8 19:14:31 ns3159483 robonomics[1019836]: 2022-12-08 19:14:31 [Relaychain] Essential "
       "task `grandpa-voter` failed. Shutting down service."},
      utcNs(2022, 12, 8, 19, 14, 40));
  ASSERT_NE(batch, nullptr);
  const auto& events = batch->events();
  EXPECT_EQ(str(events[0], "event.action"), "grandpa_error");
  EXPECT_EQ(str(events[0], "substrate.chain"), "Relaychain");
  EXPECT_EQ(events[0].severity, Severity::kHigh);
  EXPECT_EQ(str(events[0], "error.message"), "could not complete a round on disk: Database");
  EXPECT_EQ(str(events[1], "event.action"), "essential_task_failed");
  EXPECT_EQ(str(events[1], "substrate.task"), "grandpa-voter");
  EXPECT_EQ(str(events[1], "process.name"), "robonomics");  // parse_syslog's fields stay
}

// The multiline rule shipped for node logs: its start pattern read from the example pipelines.
std::string shippedNodeStartPattern(const std::string& relative_path) {
  const YAML::Node config = YAML::LoadFile(std::string(LOGSHIP_SOURCE_DIR) + "/" + relative_path);
  return config["sources"]["node"]["multiline"]["start"].as<std::string>();
}

// The node's output around a panic: the report has no timestamp and spans many lines.
std::vector<std::string> nodeOutputWithPanic() {
  return {
      "2021-06-10 12:00:00 [Relaychain] \xE2\x9C\xA8 Imported #4200 (0x1234\xE2\x80\xA6"
      "abcd)",
      "",
      "====================",
      "",
      "Version: 0.9.3-7a0b4f1-x86_64-linux-gnu",
      "",
      "   0: sp_panic_handler::set::{{closure}}",
      "   1: std::panicking::rust_panic_with_hook",
      "   2: sc_state_db::noncanonical::NonCanonicalOverlay<BlockHash,Key>::pin",
      "",
      "Thread 'tokio-runtime-worker' panicked at 'Trying to pin pending state', "
      "client/state-db/src/noncanonical.rs:527",
      "",
      "This is a bug. Please report it at:",
      "",
      "\thttps://github.com/paritytech/polkadot/issues/new",
      "",
      "2021-06-10 12:00:09 [Relaychain] \xF0\x9F\x92\xA4 Idle (3 peers), best: #4200 "
      "(0x1234\xE2\x80\xA6"
      "abcd), finalized #4198 (0x5678\xE2\x80\xA6"
      "ef01), \xE2\xAC\x87 1.2kiB/s \xE2\xAC\x86 0.9kiB/s"};
}

// The lines as a file source reads them, joined by the multiline rule whose start is `pattern`.
Batch assembled(const std::string& pattern, const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  auto raw = std::make_unique<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  Batch batch(std::move(raw), text.size(), AckToken());
  splitLines(batch.raw(), 0, utcNs(2021, 6, 10, 10, 0, 9), batch.events());
  MultilineConfig config;
  config.start = pattern;
  MultilineAssembler assembler(std::make_shared<const MultilineRule>(config), 1 << 20);
  assembler.assemble(batch, true);
  return batch;
}

TEST(ParseSubstrateMultilineTest, TheShippedRuleMakesThePanicReportOneEvent) {
  for (const char* path :
       {"conf/examples/detections.yaml", "packaging/examples/security-metrics.yaml"}) {
    SCOPED_TRACE(path);
    Batch batch = assembled(shippedNodeStartPattern(path), nodeOutputWithPanic());
    ASSERT_EQ(batch.events().size(), 3u);
    auto transform = buildOrFail("parse_substrate");
    ASSERT_NE(transform, nullptr);
    FakeContext context;
    transform->start(context);
    testing::CapturingEmitter out;
    transform->process(batch, out);
    ASSERT_EQ(out.batches.size(), 1u);
    const auto& events = out.batches[0]->events();
    EXPECT_EQ(str(events[0], "event.action"), "block_imported");
    EXPECT_EQ(integer(events[0], "substrate.block.number"), 4200);

    const Event& panic = events[1];
    EXPECT_FALSE(parseFailed(panic));
    EXPECT_EQ(str(panic, "event.action"), "node_panic");
    EXPECT_EQ(panic.severity, Severity::kCritical);
    EXPECT_EQ(panic.timestamp_ns, utcNs(2021, 6, 10, 10, 0, 9));  // when it was read
    EXPECT_EQ(str(panic, "process.thread.name"), "tokio-runtime-worker");
    EXPECT_EQ(str(panic, "error.message"), "Trying to pin pending state");
    EXPECT_EQ(str(panic, "log.origin.file.name"), "client/state-db/src/noncanonical.rs");
    EXPECT_EQ(integer(panic, "log.origin.file.line"), 527);
    EXPECT_EQ(str(panic, "substrate.version"), "0.9.3-7a0b4f1-x86_64-linux-gnu");
    EXPECT_NE(str(panic, "error.stack_trace").value_or("").find("sp_panic_handler::set"),
              std::string::npos);
    EXPECT_NE(panic.message.find("This is a bug."), std::string_view::npos);

    EXPECT_EQ(str(events[2], "event.action"), "idle");
    EXPECT_EQ(context.counting().discarded_by_reason.count("parse_error"), 0u);
  }
}

TEST(ParseSubstrateMultilineTest, ATimestampOnlyRuleGluesThePanicOntoTheImport) {
  // What the rule was before: the report became the tail of the line before it.
  Batch batch = assembled(R"(^\d{4}-\d{2}-\d{2} )", nodeOutputWithPanic());
  ASSERT_EQ(batch.events().size(), 2u);
  EXPECT_NE(batch.events()[0].message.find("panicked at"), std::string_view::npos);
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
