// The line kinds of current polkadot-sdk (and Cere) nodes, each in the form the upstream code
// prints it: sc-informant, sc-consensus-slots, BABE/Aura, GRANDPA, sc-network's peer store and
// litep2p, sc-telemetry, sc-service's task manager and sp-panic-handler.

#include "parsers/substrate/substrate_line.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace logship::substrate {
namespace {

// "…" and "→" as the node prints them.
#define ELLIPSIS "\xE2\x80\xA6"
#define ARROW "\xE2\x86\x92"

const FieldValue* lineField(const SubstrateLine& line, std::string_view key) {
  for (int i = 0; i < line.field_count; ++i) {
    if (line.fields[i].key == key) return &line.fields[i].value;
  }
  return nullptr;
}

std::optional<std::string> lineString(const SubstrateLine& line, std::string_view key) {
  const FieldValue* v = lineField(line, key);
  if (v == nullptr || v->kind != FieldValue::Kind::kString) return std::nullopt;
  return std::string(v->string_value);
}

std::optional<int64_t> lineInteger(const SubstrateLine& line, std::string_view key) {
  const FieldValue* v = lineField(line, key);
  if (v == nullptr || v->kind != FieldValue::Kind::kInt) return std::nullopt;
  return v->int_value;
}

std::optional<double> lineReal(const SubstrateLine& line, std::string_view key) {
  const FieldValue* v = lineField(line, key);
  if (v == nullptr || v->kind != FieldValue::Kind::kDouble) return std::nullopt;
  return v->double_value;
}

std::optional<bool> lineBool(const SubstrateLine& line, std::string_view key) {
  const FieldValue* v = lineField(line, key);
  if (v == nullptr || v->kind != FieldValue::Kind::kBool) return std::nullopt;
  return v->bool_value;
}

SubstrateLine parsed(std::string_view text) {
  SubstrateLine line;
  EXPECT_TRUE(parseSubstrateLine(text, 0, line)) << text;
  return line;
}

// sc-informant since 2023: "{🏆|🆕} Imported #{} ({parent} → {hash})".
TEST(SubstrateImportTest, BestAndNotBestWithParentArrow) {
  const SubstrateLine best =
      parsed("2025-02-11 09:12:30 \xF0\x9F\x8F\x86 Imported #2817 (0x2f31" ELLIPSIS "0b2e " ARROW
             " 0x9a1c" ELLIPSIS "77d4)");
  EXPECT_EQ(best.action, "block_imported");
  EXPECT_EQ(lineInteger(best, "substrate.block.number"), 2817);
  EXPECT_EQ(lineString(best, "substrate.block.hash"), "0x9a1c" ELLIPSIS "77d4");
  EXPECT_EQ(lineString(best, "substrate.parent_hash"), "0x2f31" ELLIPSIS "0b2e");
  EXPECT_EQ(lineBool(best, "substrate.block.best"), true);
  EXPECT_EQ(substrateSeverity(best), Severity::kInfo);

  const SubstrateLine fork = parsed(
      "2025-02-11 09:12:31 [Parachain] \xF0\x9F\x86\x95 Imported #2817 "
      "(0x2f31" ELLIPSIS "0b2e " ARROW " 0x5be0" ELLIPSIS "13aa)");
  EXPECT_EQ(fork.action, "block_imported");
  EXPECT_EQ(fork.chain, "Parachain");
  EXPECT_EQ(lineString(fork, "substrate.block.hash"), "0x5be0" ELLIPSIS "13aa");
  EXPECT_EQ(lineString(fork, "substrate.parent_hash"), "0x2f31" ELLIPSIS "0b2e");
  EXPECT_EQ(lineBool(fork, "substrate.block.best"), false);
}

// With debug logging the informant prints whole hashes (H256's Debug form).
TEST(SubstrateImportTest, FullHashesInTheDetailedFormat) {
  const std::string parent = "0x" + std::string(60, 'a') + "0b2e";
  const std::string hash = "0x" + std::string(60, 'c') + "77d4";
  const std::string text =
      "2025-02-11 09:12:36.004  INFO tokio-runtime-worker substrate: "
      "\xF0\x9F\x8F\x86 Imported #2818 (" +
      parent + " " ARROW " " + hash + ")";
  const SubstrateLine line = parsed(text);
  EXPECT_EQ(line.target, "substrate");
  EXPECT_EQ(line.action, "block_imported");
  EXPECT_EQ(lineInteger(line, "substrate.block.number"), 2818);
  EXPECT_EQ(lineString(line, "substrate.block.hash"), hash);
  EXPECT_EQ(lineString(line, "substrate.parent_hash"), parent);
  EXPECT_EQ(lineBool(line, "substrate.block.best"), true);
}

// Between the two: "{🌟|✨} Imported #{} ({parent} -> {hash})".
TEST(SubstrateImportTest, AsciiArrowWithStarAndSparkle) {
  const SubstrateLine star = parsed(
      "2023-03-01 10:00:00 [Relaychain] \xF0\x9F\x8C\x9F Imported #5 "
      "(0xaaaa" ELLIPSIS "bbbb -> 0xcccc" ELLIPSIS "dddd)");
  EXPECT_EQ(star.action, "block_imported");
  EXPECT_EQ(lineString(star, "substrate.block.hash"), "0xcccc" ELLIPSIS "dddd");
  EXPECT_EQ(lineString(star, "substrate.parent_hash"), "0xaaaa" ELLIPSIS "bbbb");
  EXPECT_EQ(lineBool(star, "substrate.block.best"), true);

  const SubstrateLine sparkle =
      parsed("2023-03-01 10:00:00 \xE2\x9C\xA8 Imported #5 (0xaaaa" ELLIPSIS
             "bbbb -> 0xeeee" ELLIPSIS "ffff)");
  EXPECT_EQ(lineString(sparkle, "substrate.block.hash"), "0xeeee" ELLIPSIS "ffff");
  EXPECT_EQ(lineString(sparkle, "substrate.parent_hash"), "0xaaaa" ELLIPSIS "bbbb");
  EXPECT_EQ(lineBool(sparkle, "substrate.block.best"), false);

  // Before: "✨ Imported #{} ({hash})" for every import, best or not.
  const SubstrateLine old =
      parsed("2021-05-30 16:57:48 \xE2\x9C\xA8 Imported #8 (0xe60b" ELLIPSIS "9b0a)");
  EXPECT_EQ(lineString(old, "substrate.block.hash"), "0xe60b" ELLIPSIS "9b0a");
  EXPECT_EQ(lineField(old, "substrate.parent_hash"), nullptr);
  EXPECT_EQ(lineField(old, "substrate.block.best"), nullptr);
}

TEST(SubstrateImportTest, CutLinesKeepWhatTheyHold) {
  const SubstrateLine no_child =
      parsed("2025-02-11 09:12:30 \xF0\x9F\x8F\x86 Imported #2817 (0x2f31" ELLIPSIS "0b2e " ARROW);
  EXPECT_EQ(lineString(no_child, "substrate.parent_hash"), "0x2f31" ELLIPSIS "0b2e");
  EXPECT_EQ(lineField(no_child, "substrate.block.hash"), nullptr);
  // 🆕 lines always name the parent first: cut before the arrow, the hash is not the block's.
  const SubstrateLine parent_only =
      parsed("2025-02-11 09:12:31 \xF0\x9F\x86\x95 Imported #2817 (0x2f31" ELLIPSIS "0b2e");
  EXPECT_EQ(lineString(parent_only, "substrate.parent_hash"), "0x2f31" ELLIPSIS "0b2e");
  EXPECT_EQ(lineField(parent_only, "substrate.block.hash"), nullptr);
  EXPECT_EQ(lineBool(parent_only, "substrate.block.best"), false);
  const SubstrateLine no_hash = parsed("2025-02-11 09:12:30 \xF0\x9F\x8F\x86 Imported #2817 (");
  EXPECT_EQ(lineInteger(no_hash, "substrate.block.number"), 2817);
  EXPECT_EQ(lineField(no_hash, "substrate.block.hash"), nullptr);
}

// sc-basic-authorship, with and without the emoji and brackets.
TEST(SubstrateAuthorshipTest, PreparedBlock) {
  const SubstrateLine gift = parsed(
      "2025-02-11 09:12:36 \xF0\x9F\x8E\x81 Prepared block for proposing at 2819 (2 ms) [hash: "
      "0x5f6e0a; parent_hash: 0x1b2c" ELLIPSIS "3d4e; extrinsics (2): [0x1a2b" ELLIPSIS
      "3c4d, 0x5e6f" ELLIPSIS "7a8b]]");
  EXPECT_EQ(gift.action, "prepared_block");
  EXPECT_EQ(lineInteger(gift, "substrate.block.number"), 2819);
  EXPECT_EQ(lineString(gift, "substrate.block.hash"), "0x5f6e0a");
  EXPECT_EQ(lineString(gift, "substrate.parent_hash"), "0x1b2c" ELLIPSIS "3d4e");

  const SubstrateLine plain = parsed(
      "2025-06-02 08:00:12.004  INFO tokio-runtime-worker sc_basic_authorship::basic_authorship: "
      "Prepared block for proposing at 2820 (3 ms) hash: 0x77aa01; parent_hash: 0x5f6e" ELLIPSIS
      "0a00; end: NoMoreTransactions; extrinsics_count: 2");
  EXPECT_EQ(plain.action, "prepared_block");
  EXPECT_EQ(lineInteger(plain, "substrate.block.number"), 2820);
  EXPECT_EQ(lineString(plain, "substrate.block.hash"), "0x77aa01");
  EXPECT_EQ(lineString(plain, "substrate.parent_hash"), "0x5f6e" ELLIPSIS "0a00");
}

// sc-consensus-grandpa authorities.rs and import.rs.
TEST(SubstrateGrandpaTest, AuthoritySetChanges) {
  const SubstrateLine scheduled = parsed(
      "2021-05-30 17:00:22 [Relaychain] \xF0\x9F\x91\xB4 Applying authority set change scheduled "
      "at block #31");
  EXPECT_EQ(scheduled.action, "grandpa_set_change");
  EXPECT_EQ(lineInteger(scheduled, "substrate.block.number"), 31);

  const SubstrateLine new_set = parsed(
      "2021-05-30 17:00:22 [Relaychain] \xF0\x9F\x91\xB4 Applying GRANDPA set change to new set "
      "[(Public(88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee (5FA9nQDV...)), "
      "1)]");
  EXPECT_EQ(new_set.action, "grandpa_set_change");

  // 2019 nodes printed no emoji; above 16 authorities the count stands for the set.
  const SubstrateLine counted =
      parsed("2019-10-28 21:44:13 Applying GRANDPA set change to new set with 20 authorities");
  EXPECT_EQ(counted.action, "grandpa_set_change");
  EXPECT_EQ(lineInteger(counted, "substrate.grandpa.authorities"), 20);

  const SubstrateLine justification = parsed(
      "2021-05-30 17:00:22 [Relaychain] \xF0\x9F\x91\xB4 Imported justification for block #31 that "
      "triggers command Changing authorities, signaling voter.");
  EXPECT_EQ(justification.action, "grandpa_set_change");
  EXPECT_EQ(lineInteger(justification, "substrate.block.number"), 31);

  // Loading the set at start-up is its own kind, as before.
  EXPECT_EQ(
      parsed("2021-05-30 16:57:44 \xF0\x9F\x91\xB4 Loading GRANDPA authority set from genesis "
             "on what appears to be first startup.")
          .action,
      "grandpa_authority_set_loaded");
}

TEST(SubstrateGrandpaTest, VoterError) {
  const SubstrateLine line = parsed(
      "2022-12-08 19:14:31 [Relaychain] GRANDPA voter error: could not complete a round on disk: "
      "Database");
  EXPECT_EQ(line.action, "grandpa_error");
  EXPECT_EQ(lineString(line, "error.message"), "could not complete a round on disk: Database");
  EXPECT_EQ(substrateSeverity(line), Severity::kHigh);  // error!, no level printed
}

// sc-consensus-slots: the proposer ran past the slot, or failed.
TEST(SubstrateSlotsTest, DiscardedAndFailedProposals) {
  const SubstrateLine discarded = parsed(
      "2024-01-10 12:00:06 \xE2\x8C\x9B\xEF\xB8\x8F Discarding proposal for slot 284225601; block "
      "production took too long");
  EXPECT_EQ(discarded.action, "proposal_discarded");
  EXPECT_EQ(lineInteger(discarded, "substrate.slot"), 284225601);
  EXPECT_EQ(substrateSeverity(discarded), Severity::kInfo);

  const SubstrateLine debug_slot = parsed(
      "2021-03-01 12:00:06 Discarding proposal for slot Slot(270402601); block production took "
      "too long");
  EXPECT_EQ(debug_slot.action, "proposal_discarded");
  EXPECT_EQ(lineInteger(debug_slot, "substrate.slot"), 270402601);

  const SubstrateLine failed = parsed(
      "2024-01-10 12:00:12 Proposing failed: Import failed: Error at calling runtime api: "
      "Execution failed: Runtime panicked: Bad input data provided to validate_transaction");
  EXPECT_EQ(failed.action, "proposal_failed");
  EXPECT_EQ(lineString(failed, "error.message"),
            "Import failed: Error at calling runtime api: Execution failed: Runtime panicked: Bad "
            "input data provided to validate_transaction");
  EXPECT_EQ(substrateSeverity(failed), Severity::kMedium);  // warn!
}

TEST(SubstrateEquivocationTest, AuraBabeAndGrandpaReportsAreCritical) {
  const SubstrateLine babe = parsed(
      "2024-01-10 12:00:12.100  INFO tokio-runtime-worker babe: Slot author "
      "Public(d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d (5GrwvaEF...)) is "
      "equivocating at slot 284225602 with headers 0x1e5b" ELLIPSIS "a0f1 and 0x7c2d" ELLIPSIS
      "2e90");
  EXPECT_EQ(babe.action, "equivocation");
  EXPECT_EQ(lineInteger(babe, "substrate.slot"), 284225602);
  EXPECT_EQ(substrateSeverity(babe), Severity::kCritical);  // though printed at INFO

  const SubstrateLine aura = parsed(
      "2024-01-10 12:00:12 Slot author is equivocating at slot 284225602 with headers "
      "0x1e5b" ELLIPSIS "a0f1 and 0x7c2d" ELLIPSIS "2e90");
  EXPECT_EQ(aura.action, "equivocation");
  EXPECT_EQ(substrateSeverity(aura), Severity::kCritical);

  const SubstrateLine report = parsed(
      "2024-01-10 12:00:12 Submitted equivocation report for author "
      "Public(d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d (5GrwvaEF...))");
  EXPECT_EQ(report.action, "equivocation");
  EXPECT_EQ(lineString(report, "substrate.authority"),
            "Public(d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d "
            "(5GrwvaEF...))");

  const SubstrateLine grandpa = parsed(
      "2024-05-14 09:20:21 Detected prevote equivocation in the finality worker: Equivocation { "
      "round_number: 17111820, identity: "
      "Public(c8a00ef71912b3868b101cb70ebd029999d1c9b6a1390122a98f60d72b9a0fc4 (5Gbkysfa...)), "
      "first: (Prevote { target_hash: 0xe7ac" ELLIPSIS
      ", target_number: 20719384 }, "
      "Signature(...)), second: (Prevote { ... }, Signature(...)) }");
  EXPECT_EQ(grandpa.action, "equivocation");
  EXPECT_EQ(lineInteger(grandpa, "substrate.grandpa.round"), 17111820);
  EXPECT_EQ(substrateSeverity(grandpa), Severity::kCritical);

  // An ordinary "Slot author" line is no equivocation.
  EXPECT_EQ(parsed("2024-01-10 12:00:12 Slot author changed").action, "");
}

// sc-network's peer store (libp2p backend) and litep2p's peerset.
TEST(SubstratePeerTest, BannedPeers) {
  const SubstrateLine libp2p = parsed(
      "2025-03-04 10:53:49 Report 12D3KooWSCufgHzV4fCwRijfH2k3abrpAJxTKxEvN1FDuRXA2U9x: "
      "-2147483648 to -2147483643. Reason: Same block request multiple times. Banned, "
      "disconnecting.");
  EXPECT_EQ(libp2p.action, "peer_banned");
  EXPECT_EQ(lineString(libp2p, "substrate.peer_id"),
            "12D3KooWSCufgHzV4fCwRijfH2k3abrpAJxTKxEvN1FDuRXA2U9x");
  EXPECT_EQ(lineInteger(libp2p, "substrate.reputation.change"), -2147483648);
  EXPECT_EQ(lineInteger(libp2p, "substrate.reputation"), -2147483643);
  EXPECT_EQ(lineString(libp2p, "substrate.ban_reason"), "Same block request multiple times");
  EXPECT_EQ(substrateSeverity(libp2p), Severity::kMedium);

  const SubstrateLine litep2p = parsed(
      "2025-03-04 10:53:49.120  WARN tokio-runtime-worker peerset: "
      "PeerId(\"12D3KooWSCufgHzV4fCwRijfH2k3abrpAJxTKxEvN1FDuRXA2U9x\") banned, disconnecting, "
      "reason: Same block request multiple times");
  EXPECT_EQ(litep2p.action, "peer_banned");
  EXPECT_EQ(litep2p.target, "peerset");
  EXPECT_EQ(lineString(litep2p, "substrate.peer_id"),
            "12D3KooWSCufgHzV4fCwRijfH2k3abrpAJxTKxEvN1FDuRXA2U9x");
  EXPECT_EQ(lineString(litep2p, "substrate.ban_reason"), "Same block request multiple times");

  // A report that does not ban is not classified.
  EXPECT_EQ(
      parsed("2025-03-04 10:53:49 Report 12D3KooWSCufgHzV4fCwRijfH2k3abrpAJxTKxEvN1FDuRXA2U9x: "
             "-100 to -200. Reason: Unexpected block announcement.")
          .action,
      "");
}

TEST(SubstrateTelemetryTest, DisconnectsAndDialFailures) {
  const SubstrateLine lost = parsed(
      "2024-02-01 08:00:00 \xE2\x9A\xA0\xEF\xB8\x8F  Disconnected from "
      "/dns/telemetry.polkadot.io/tcp/443/x-parity-wss/%2Fsubmit%2F: Custom { kind: Other, "
      "error: Timeout }");
  EXPECT_EQ(lost.action, "telemetry_disconnected");
  EXPECT_EQ(lineString(lost, "substrate.telemetry.endpoint"),
            "/dns/telemetry.polkadot.io/tcp/443/x-parity-wss/%2Fsubmit%2F");
  EXPECT_EQ(lineString(lost, "error.message"), "Custom { kind: Other, error: Timeout }");
  EXPECT_EQ(substrateSeverity(lost), Severity::kMedium);

  const SubstrateLine dial = parsed(
      "2024-02-01 08:00:05 \xE2\x9D\x8C Error while dialing "
      "/dns/telemetry.cere.network/tcp/443/x-parity-wss/%2Fsubmit%2F: Custom { kind: Other, "
      "error: Timeout }");
  EXPECT_EQ(dial.action, "telemetry_disconnected");
  EXPECT_EQ(lineString(dial, "substrate.telemetry.endpoint"),
            "/dns/telemetry.cere.network/tcp/443/x-parity-wss/%2Fsubmit%2F");
}

TEST(SubstrateServiceTest, EssentialTaskFailed) {
  const SubstrateLine named = parsed(
      "2022-12-08 19:14:31 [Relaychain] Essential task `grandpa-voter` failed. Shutting down "
      "service.");
  EXPECT_EQ(named.action, "essential_task_failed");
  EXPECT_EQ(lineString(named, "substrate.task"), "grandpa-voter");
  EXPECT_EQ(substrateSeverity(named), Severity::kHigh);  // error!

  const SubstrateLine detailed = parsed(
      "2025-05-16 10:00:00.001 ERROR tokio-runtime-worker sc_service::task_manager: Essential task "
      "`txpool-background` failed. Shutting down service.");
  EXPECT_EQ(detailed.action, "essential_task_failed");
  EXPECT_EQ(lineString(detailed, "substrate.task"), "txpool-background");
}

// sc-informant's sync states: warp sync, its block history download, and state sync.
TEST(SubstrateSyncTest, WarpBlockHistoryAndStateSync) {
  const SubstrateLine warp = parsed(
      "2023-03-24 08:21:35 \xE2\x8F\xA9 Warping, Downloading finality proofs, 7.99 Mib (10 peers), "
      "best: #0 (0x2d00" ELLIPSIS "c9b3), finalized #0 (0x2d00" ELLIPSIS
      "c9b3), \xE2\xAC\x87 1.6MiB/s \xE2\xAC\x86 27.8kiB/s");
  EXPECT_EQ(warp.action, "warp_sync");
  EXPECT_EQ(lineString(warp, "substrate.sync.phase"), "Downloading finality proofs");
  EXPECT_EQ(lineReal(warp, "substrate.sync.downloaded_mib"), 7.99);
  EXPECT_EQ(lineInteger(warp, "substrate.peers"), 10);
  EXPECT_EQ(lineInteger(warp, "substrate.best"), 0);
  EXPECT_EQ(lineString(warp, "substrate.network.download"), "1.6MiB/s");

  // Newer nodes leave out best and finalized while warping.
  const SubstrateLine short_warp = parsed(
      "2025-01-20 14:23:13 [Relaychain] \xE2\x8F\xA9 Warping, Waiting for 3 peers to be "
      "connected, 0.00 Mib (1 peers), \xE2\xAC\x87 0.4kiB/s \xE2\xAC\x86 0.2kiB/s");
  EXPECT_EQ(short_warp.action, "warp_sync");
  EXPECT_EQ(lineString(short_warp, "substrate.sync.phase"), "Waiting for 3 peers to be connected");
  EXPECT_EQ(lineReal(short_warp, "substrate.sync.downloaded_mib"), 0.0);
  EXPECT_EQ(lineInteger(short_warp, "substrate.peers"), 1);
  EXPECT_EQ(lineField(short_warp, "substrate.best"), nullptr);

  const SubstrateLine history = parsed(
      "2025-01-20 15:02:00 \xE2\x8F\xA9 Block history, #5120 (12 peers), best: #19034412 "
      "(0x7a2b" ELLIPSIS "1c3d), finalized #19034410 (0x4e5f" ELLIPSIS
      "6a7b), \xE2\xAC\x87 2.1MiB/s \xE2\xAC\x86 40.0kiB/s");
  EXPECT_EQ(history.action, "block_history_sync");
  EXPECT_EQ(lineInteger(history, "substrate.sync.history_block"), 5120);
  EXPECT_EQ(lineInteger(history, "substrate.peers"), 12);
  EXPECT_EQ(lineInteger(history, "substrate.finality_lag"), 2);

  const SubstrateLine state = parsed(
      "2025-01-20 14:40:00 \xE2\x9A\x99\xEF\xB8\x8F  State sync, Downloading state, 45%, 120.50 "
      "Mib "
      "(8 peers), best: #0 (0x91b1" ELLIPSIS "90c3), finalized #0 (0x91b1" ELLIPSIS
      "90c3), \xE2\xAC\x87 3.2MiB/s \xE2\xAC\x86 12.0kiB/s");
  EXPECT_EQ(state.action, "state_sync");
  EXPECT_EQ(lineString(state, "substrate.sync.phase"), "Downloading state");
  EXPECT_EQ(lineInteger(state, "substrate.sync.percent"), 45);
  EXPECT_EQ(lineReal(state, "substrate.sync.downloaded_mib"), 120.5);
  EXPECT_EQ(lineInteger(state, "substrate.peers"), 8);
  EXPECT_EQ(lineString(state, "substrate.network.upload"), "12.0kiB/s");
}

constexpr std::string_view kPanicReport =
    "\n"
    "====================\n"
    "\n"
    "Version: 4.1.31-4a4dd1fbd2a\n"
    "\n"
    "   0: sp_panic_handler::set::{{closure}}\n"
    "   1: std::panicking::rust_panic_with_hook\n"
    "   2: std::panicking::begin_panic::{{closure}}\n"
    "   3: sc_state_db::noncanonical::NonCanonicalOverlay<BlockHash,Key>::pin\n"
    "\n"
    "Thread 'tokio-runtime-worker' panicked at 'Trying to pin pending state', "
    "/usr/local/cargo/git/checkouts/substrate-7e08433d4c370a21/1b758b2/client/state-db/src/"
    "noncanonical.rs:527\n"
    "\n"
    "This is a bug. Please report it at:\n"
    "\n"
    "\thttps://github.com/paritytech/polkadot/issues/new\n"
    "\n";

TEST(SubstratePanicTest, TheJoinedReportIsOneCriticalEvent) {
  SubstrateLine line;
  ASSERT_TRUE(parseSubstrateLine(kPanicReport, 0, line));
  EXPECT_FALSE(line.timestamped);
  EXPECT_EQ(line.action, "node_panic");
  EXPECT_EQ(substrateSeverity(line), Severity::kCritical);
  EXPECT_EQ(line.thread, "tokio-runtime-worker");
  EXPECT_EQ(lineString(line, "substrate.version"), "4.1.31-4a4dd1fbd2a");
  EXPECT_EQ(lineString(line, "error.message"), "Trying to pin pending state");
  EXPECT_EQ(lineString(line, "log.origin.file.name"),
            "/usr/local/cargo/git/checkouts/substrate-7e08433d4c370a21/1b758b2/client/state-db/src/"
            "noncanonical.rs");
  EXPECT_EQ(lineInteger(line, "log.origin.file.line"), 527);
  EXPECT_EQ(lineString(line, "error.stack_trace"),
            "   0: sp_panic_handler::set::{{closure}}\n"
            "   1: std::panicking::rust_panic_with_hook\n"
            "   2: std::panicking::begin_panic::{{closure}}\n"
            "   3: sc_state_db::noncanonical::NonCanonicalOverlay<BlockHash,Key>::pin");
  EXPECT_EQ(line.body,
            "Thread 'tokio-runtime-worker' panicked at 'Trying to pin pending state', "
            "/usr/local/cargo/git/checkouts/substrate-7e08433d4c370a21/1b758b2/client/state-db/src/"
            "noncanonical.rs:527");
}

TEST(SubstratePanicTest, MessagesWithQuotesAndLinesAndTheThreadLineAlone) {
  const std::string report =
      "====================\n\nVersion: 1.2.3\n\n   0: x\n\nThread 'main' panicked at 'it's "
      "broken:\nsecond line', src/main.rs:9\n\nThis is a bug. Please report it at:\n\n\turl\n";
  SubstrateLine line;
  ASSERT_TRUE(parseSubstrateLine(report, 0, line));
  EXPECT_EQ(lineString(line, "error.message"), "it's broken:\nsecond line");
  EXPECT_EQ(lineString(line, "log.origin.file.name"), "src/main.rs");
  EXPECT_EQ(lineInteger(line, "log.origin.file.line"), 9);

  // A journal keeps the report's lines apart: the thread line still says what panicked.
  ASSERT_TRUE(parseSubstrateLine(
      "Thread 'main' panicked at 'Essential task failed.', src/service.rs:42", 0, line));
  EXPECT_EQ(line.action, "node_panic");
  EXPECT_EQ(line.thread, "main");
  EXPECT_EQ(lineString(line, "error.message"), "Essential task failed.");
  EXPECT_EQ(lineField(line, "substrate.version"), nullptr);

  // A banner whose rest was cut off is still a panic.
  ASSERT_TRUE(parseSubstrateLine("====================", 0, line));
  EXPECT_EQ(line.action, "node_panic");

  EXPECT_FALSE(parseSubstrateLine("Thread 'main' finished", 0, line));
  EXPECT_FALSE(parseSubstrateLine("===", 0, line));
}

// Every prefix of every form: nothing read past the text (ASan in the sanitizer build).
TEST(SubstrateLineFormsTest, TruncatedFormsStayInBounds) {
  const std::string forms[] = {
      "2025-02-11 09:12:30 \xF0\x9F\x8F\x86 Imported #2817 (0x2f31" ELLIPSIS "0b2e " ARROW
      " 0x9a1c" ELLIPSIS "77d4)",
      "2024-01-10 12:00:06 \xE2\x8C\x9B\xEF\xB8\x8F Discarding proposal for slot Slot(284225601); "
      "block production took too long",
      "2025-03-04 10:53:49 Report 12D3KooW: -2147483648 to -2147483643. Reason: x. Banned, "
      "disconnecting.",
      "2025-01-20 14:40:00 \xE2\x9A\x99\xEF\xB8\x8F  State sync, Downloading state, 45%, 120.50 "
      "Mib "
      "(8 peers)",
      "2023-03-24 08:21:35 \xE2\x8F\xA9 Warping, Downloading finality proofs, 7.99 Mib (10 peers)",
      std::string(kPanicReport)};
  for (const std::string& form : forms) {
    for (size_t length = 0; length <= form.size(); ++length) {
      std::unique_ptr<char[]> copy(new char[length == 0 ? 1 : length]);
      std::memcpy(copy.get(), form.data(), length);
      SubstrateLine line;
      parseSubstrateLine({copy.get(), length}, 0, line);
      for (int i = 0; i < line.field_count; ++i) {
        const FieldValue& v = line.fields[i].value;
        if (v.kind != FieldValue::Kind::kString || v.string_value.empty()) continue;
        EXPECT_GE(v.string_value.data(), copy.get());
        EXPECT_LE(v.string_value.data() + v.string_value.size(), copy.get() + length);
      }
    }
  }
}

#undef ELLIPSIS
#undef ARROW

}  // namespace
}  // namespace logship::substrate
