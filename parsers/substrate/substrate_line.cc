// One Substrate line to its kind and fields. Kept in one file on purpose: the kinds table at the
// end dispatches on a line's first bytes to the extractors above it, which share the private
// text scanners at the top; the table is what a reader looks for, and it reads best beside them.
#include "parsers/substrate/substrate_line.h"

#include <array>
#include <charconv>
#include <optional>

#include "agent/support/timestamp.h"

namespace logship::substrate {
namespace {

constexpr bool isDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool isHex(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr std::string_view kVariationSelector = "\xEF\xB8\x8F";  // U+FE0F after an emoji
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";           // "…" in shortened hashes
constexpr std::string_view kRightArrow = "\xE2\x86\x92";         // "→" from parent to block hash

std::string_view skipSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

std::string_view firstToken(std::string_view s) { return s.substr(0, s.find(' ')); }

// The text after the first `literal` in s, or nullopt.
std::optional<std::string_view> after(std::string_view s, std::string_view literal) {
  const size_t at = s.find(literal);
  if (at == std::string_view::npos) return std::nullopt;
  return s.substr(at + literal.size());
}

// A leading decimal number of at most 18 digits (no overflow).
std::optional<int64_t> leadingNumber(std::string_view s) {
  size_t i = 0;
  int64_t value = 0;
  while (i < s.size() && i < 18 && isDigit(s[i])) value = value * 10 + (s[i++] - '0');
  if (i == 0) return std::nullopt;
  return value;
}

// A leading decimal number with an optional sign ("+", "-").
std::optional<int64_t> leadingSignedNumber(std::string_view s) {
  const bool negative = !s.empty() && s.front() == '-';
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  const std::optional<int64_t> n = leadingNumber(s);
  if (!n) return std::nullopt;
  return negative ? -*n : *n;
}

// A leading decimal fraction ("7.99"), or nullopt.
std::optional<double> leadingReal(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && i < 24 && (isDigit(s[i]) || s[i] == '.')) ++i;
  double value = 0;
  const char* end = s.data() + i;
  if (i == 0) return std::nullopt;
  if (auto [p, ec] = std::from_chars(s.data(), end, value); ec != std::errc() || p != end) {
    return std::nullopt;
  }
  return value;
}

// s up to the first `literal` (all of s when absent).
std::string_view before(std::string_view s, std::string_view literal) {
  return s.substr(0, s.find(literal));
}

// A leading "0x..." hash, possibly shortened with an ellipsis ("0xe60b…9b0a").
std::string_view leadingHash(std::string_view s) {
  if (s.size() < 3 || s[0] != '0' || s[1] != 'x') return {};
  size_t i = 2;
  while (i < s.size()) {
    if (isHex(s[i])) {
      ++i;
    } else if (s.substr(i, kEllipsis.size()) == kEllipsis) {
      i += kEllipsis.size();
    } else {
      break;
    }
  }
  return i > 2 ? s.substr(0, i) : std::string_view();
}

class Extractor {
 public:
  explicit Extractor(SubstrateLine& out) : out_(out) {}

  void add(std::string_view key, FieldValue value) {
    if (out_.field_count < SubstrateLine::kMaxFields)
      out_.fields[out_.field_count++] = {key, value};
  }
  void number(std::string_view key, std::optional<std::string_view> text) {
    if (!text) return;
    if (auto n = leadingNumber(*text)) add(key, FieldValue::integer(*n));
  }
  void hash(std::string_view key, std::optional<std::string_view> text) {
    if (!text) return;
    const std::string_view h = leadingHash(*text);
    if (!h.empty()) add(key, FieldValue::string(h));
  }
  void token(std::string_view key, std::optional<std::string_view> text) {
    if (!text) return;
    std::string_view t = firstToken(skipSpaces(*text));
    while (!t.empty() && (t.back() == '.' || t.back() == ',')) t.remove_suffix(1);
    if (!t.empty()) add(key, FieldValue::string(t));
  }
  void text(std::string_view key, std::string_view value) {
    if (!value.empty()) add(key, FieldValue::string(value));
  }
  void rest(std::string_view key, std::string_view text) {
    text = skipSpaces(text);
    while (!text.empty() && (text.back() == ' ' || text.back() == '.')) text.remove_suffix(1);
    if (!text.empty()) add(key, FieldValue::string(text));
  }

 private:
  SubstrateLine& out_;
};

// The count of "(12 peers)": the first parenthesis holding a number and the word, as a phase may
// bring parentheses of its own. A memchr per parenthesis, not a search for the word.
std::optional<std::string_view> peerCount(std::string_view text) {
  for (size_t open = text.find('('); open != std::string_view::npos;
       open = text.find('(', open + 1)) {
    size_t i = open + 1;
    while (i < text.size() && isDigit(text[i])) ++i;
    if (i > open + 1 && text.substr(i).starts_with(" peer")) {
      return text.substr(open + 1, i - open - 1);
    }
  }
  return std::nullopt;
}

// "Idle (2 peers), best: #8 (0x…), finalized #5 (0x…), ⬇ 4.5kiB/s ⬆ 2.2kiB/s" and the same
// with "Syncing 12.3 bps, target=#1234 (5 peers), ...".
void extractProgress(std::string_view text, Extractor& x) {
  if (auto speed = after(text, "Syncing ")) {
    const std::string_view value = firstToken(skipSpaces(*speed));
    double bps = 0;
    const char* end = value.data() + value.size();
    if (auto [p, ec] = std::from_chars(value.data(), end, bps); ec == std::errc() && p == end) {
      x.add("substrate.sync.bps", FieldValue::real(bps));
    }
  }
  x.number("substrate.sync.target", after(text, "target=#"));
  x.number("substrate.peers", peerCount(text));
  std::optional<int64_t> best_number, finalized_number;
  if (auto best = after(text, "best: #")) {
    best_number = leadingNumber(*best);
    x.number("substrate.best", *best);
    x.hash("substrate.best_hash", after(*best, "("));
  }
  if (auto finalized = after(text, "finalized #")) {
    finalized_number = leadingNumber(*finalized);
    x.number("substrate.finalized", *finalized);
    x.hash("substrate.finalized_hash", after(*finalized, "("));
  }
  // How far finality trails the best block: what a finality-lag alert compares.
  if (best_number && finalized_number) {
    x.add("substrate.finality_lag", FieldValue::integer(*best_number - *finalized_number));
  }
  if (auto down = after(text, "\xE2\xAC\x87 ")) {  // ⬇
    x.token("substrate.network.download", *down);
  }
  if (auto up = after(text, "\xE2\xAC\x86 ")) {  // ⬆
    x.token("substrate.network.upload", *up);
  }
}

// The "<phase>, <n> Mib" of warp and state sync: the phase up to the last ", " before the size.
void extractSyncPhase(std::string_view text, Extractor& x) {
  const std::string_view head = before(text, " (");
  const size_t mib = head.rfind(" Mib");
  if (mib == std::string_view::npos) return;
  const size_t comma = head.rfind(", ", mib);
  if (comma == std::string_view::npos) return;
  x.text("substrate.sync.phase", head.substr(0, comma));
  if (auto size = leadingReal(skipSpaces(head.substr(comma + 2, mib - comma - 2)))) {
    x.add("substrate.sync.downloaded_mib", FieldValue::real(*size));
  }
}

// "Warping, Downloading finality proofs, 7.99 Mib (10 peers), ..." (sc-informant).
void extractWarp(std::string_view text, Extractor& x) {
  if (auto phase = after(text, "Warping, ")) extractSyncPhase(*phase, x);
  extractProgress(text, x);
}

// "State sync, Downloading state, 45%, 120.00 Mib (8 peers), ...".
void extractStateSync(std::string_view text, Extractor& x) {
  if (auto phase = after(text, "State sync, ")) {
    // The percentage sits between the phase and the size; the phase ends at its comma.
    const std::string_view name = before(*phase, ", ");
    x.text("substrate.sync.phase", name);
    if (auto percent = after(phase->substr(name.size()), ", ")) {
      x.number("substrate.sync.percent", *percent);
      if (auto size = after(*percent, "%, ")) {
        if (auto mib = leadingReal(*size)) {
          x.add("substrate.sync.downloaded_mib", FieldValue::real(*mib));
        }
      }
    }
  }
  extractProgress(text, x);
}

// "Block history, #1234 (8 peers), ...": the block the backwards download reached.
void extractBlockHistory(std::string_view text, Extractor& x) {
  x.number("substrate.sync.history_block", after(text, "Block history, #"));
  extractProgress(text, x);
}

// "Imported #N (0xblock)" (before 2023) or "Imported #N (0xparent -> 0xblock)" / "(0xparent →
// 0xblock)" (sc-informant since). The hash printed last is always the imported block's; when
// `parent_first` (the emoji only ever came with the arrow) a line cut before the arrow holds the
// parent's alone. Returns whether the line had the parent → block form.
bool extractImportedHashes(std::string_view text, Extractor& x, bool parent_first) {
  x.number("substrate.block.number", after(text, "#"));
  const std::optional<std::string_view> open = after(text, "(");
  const std::string_view first = open ? leadingHash(*open) : std::string_view();
  if (first.empty()) return false;
  std::string_view rest = skipSpaces(open->substr(first.size()));
  if (rest.starts_with("->")) {
    rest.remove_prefix(2);
  } else if (rest.starts_with(kRightArrow)) {
    rest.remove_prefix(kRightArrow.size());
  } else {
    x.add(parent_first ? "substrate.parent_hash" : "substrate.block.hash",
          FieldValue::string(first));
    return false;
  }
  x.hash("substrate.block.hash", skipSpaces(rest));
  x.add("substrate.parent_hash", FieldValue::string(first));
  return true;
}

// 🏆 and 🌟: the block became the new best.
void extractImportedBest(std::string_view text, Extractor& x) {
  extractImportedHashes(text, x, true);
  x.add("substrate.block.best", FieldValue::boolean(true));
}

// 🆕: imported on a fork, not the best.
void extractImportedNotBest(std::string_view text, Extractor& x) {
  extractImportedHashes(text, x, true);
  x.add("substrate.block.best", FieldValue::boolean(false));
}

// ✨ meant "not best" only while 🌟 marked the best ones (the "->" form); before that it was
// printed for every import, so whether the block became the best is unknown there.
void extractImportedSparkle(std::string_view text, Extractor& x) {
  if (extractImportedHashes(text, x, false))
    x.add("substrate.block.best", FieldValue::boolean(false));
}

// sc-basic-authorship: "🎁 Prepared block for proposing at 9 (5 ms) [hash: 0x…; parent_hash: 0x…;
// extrinsics (1): [0x…]]", and without the emoji and brackets "... (5 ms) hash: 0x…; parent_hash:
// 0x…; end: NoMoreTransactions; extrinsics_count: 1". The block's hash comes first.
void extractPrepared(std::string_view text, Extractor& x) {
  x.number("substrate.block.number", after(text, "proposing at "));
  x.hash("substrate.block.hash", after(text, "hash: "));
  x.hash("substrate.parent_hash", after(text, "parent_hash: "));
}

void extractEpoch(std::string_view text, Extractor& x) {
  x.number("substrate.epoch", after(text, "New epoch "));
  x.hash("substrate.block.hash", after(text, "at block "));
  x.number("substrate.slot", after(text, "block slot "));
}

void extractPreSealed(std::string_view text, Extractor& x) {
  x.number("substrate.block.number", after(text, "proposal at "));
  x.hash("substrate.block.hash", after(text, "Hash now "));
}

void extractImportedAfterReorg(std::string_view text, Extractor& x) {
  // "Reorg on #10,0xab… to #11,0xcd…, common ancestor #9,0xef…"
  if (auto from = after(text, "Reorg on #")) x.number("substrate.reorg.from", *from);
  if (auto to = after(text, " to #")) {
    x.number("substrate.block.number", *to);
    x.hash("substrate.block.hash", after(*to, ","));
  }
  x.number("substrate.reorg.common_ancestor", after(text, "common ancestor #"));
}

void extractGenesis(std::string_view text, Extractor& x) {
  x.hash("substrate.block.hash", after(text, "header-hash: "));
}

void extractConsensus(std::string_view text, Extractor& x) {
  x.hash("substrate.parent_hash", after(text, "parent "));
}

void extractHighest(std::string_view text, Extractor& x) {
  x.number("substrate.block.number", after(text, "#"));
}

void extractPeerId(std::string_view text, Extractor& x) {
  x.token("substrate.peer_id", after(text, "identity is: "));
}

void extractAddressAfterColon(std::string_view text, Extractor& x) {
  x.token("substrate.address", after(text, ": "));
}

void extractAddressAfterAt(std::string_view text, Extractor& x) {
  x.token("substrate.address", after(text, " at "));
}

void extractAddressAfterOn(std::string_view text, Extractor& x) {
  x.token("substrate.address", after(text, " on "));
}

// GRANDPA authority set changes: "Applying authority set change scheduled at block #31",
// "... forced at block #31", "Applying GRANDPA set change to new set with 20 authorities" (or the
// set itself), "Imported justification for block #31 that triggers command Changing authorities,
// signaling voter."
void extractSetChange(std::string_view text, Extractor& x) {
  x.number("substrate.block.number", after(text, "block #"));
  x.number("substrate.grandpa.authorities", after(text, "new set with "));
}

// "GRANDPA voter error: could not complete a round on disk: Database".
void extractErrorAfterColon(std::string_view text, Extractor& x) {
  if (auto error = after(text, ": ")) x.rest("error.message", *error);
}

// "Discarding proposal for slot 281391540; block production took too long" (sc-consensus-slots),
// "..., block number 12; ..." (some collators), older "{:?}" printing "Slot(281391540)".
void extractDiscarded(std::string_view text, Extractor& x) {
  if (auto slot = after(text, "for slot ")) {
    std::string_view s = *slot;
    if (s.starts_with("Slot(")) s.remove_prefix(5);
    x.number("substrate.slot", s);
  }
  x.number("substrate.block.number", after(text, "block number "));
}

// "Slot author is equivocating at slot 12 with headers 0x… and 0x…" (Aura), "Slot author
// Public(…) is equivocating at slot ..." (BABE), "Submitted equivocation report for author
// Public(…)", and GRANDPA's "Detected prevote equivocation in the finality worker: Equivocation {
// round_number: 17111820, identity: Public(…), ... }".
void extractEquivocation(std::string_view text, Extractor& x) {
  x.number("substrate.slot", after(text, "at slot "));
  x.number("substrate.grandpa.round", after(text, "round_number: "));
  if (auto author = after(text, "report for author ")) x.rest("substrate.authority", *author);
}

bool isEquivocating(std::string_view text) {
  return text.find(" is equivocating at slot ") != std::string_view::npos;
}

// sc-network's peer store: "Report 12D3KooW…: -2147483648 to -2147483643. Reason: Same block
// request multiple times. Banned, disconnecting." (sc-peerset before it: "..., Banned,
// disconnecting.").
bool isBanReport(std::string_view text) {
  return text.find("Banned, disconnecting") != std::string_view::npos;
}

void extractBanReport(std::string_view text, Extractor& x) {
  const std::string_view report = text.substr(std::string_view("Report ").size());
  const size_t colon = report.find(": ");
  if (colon == std::string_view::npos) return;
  x.text("substrate.peer_id", report.substr(0, colon));
  const std::string_view change = report.substr(colon + 2);
  if (auto n = leadingSignedNumber(change)) {
    x.add("substrate.reputation.change", FieldValue::integer(*n));
  }
  if (auto to = after(change, " to ")) {
    if (auto n = leadingSignedNumber(*to)) x.add("substrate.reputation", FieldValue::integer(*n));
  }
  if (auto reason = after(change, "Reason: ")) {
    std::string_view r = *reason;
    const size_t end = r.rfind("Banned, disconnecting");
    r = r.substr(0, end);
    while (!r.empty() && (r.back() == ' ' || r.back() == '.' || r.back() == ',')) {
      r.remove_suffix(1);
    }
    x.text("substrate.ban_reason", r);
  }
}

// The litep2p backend: `PeerId("12D3KooW…") banned, disconnecting, reason: Same block request
// multiple times` (the peer's Debug form), or the bare id.
bool isLitep2pBan(std::string_view text) {
  return text.find(" banned, disconnecting, reason: ") != std::string_view::npos;
}

void extractLitep2pBan(std::string_view text, Extractor& x) {
  std::string_view peer = before(text, " banned, disconnecting");
  if (peer.starts_with("PeerId(\"") && peer.ends_with("\")")) {
    peer = peer.substr(8, peer.size() - 10);
  }
  x.text("substrate.peer_id", peer);
  if (auto reason = after(text, "disconnecting, reason: ")) x.rest("substrate.ban_reason", *reason);
}

// sc-telemetry: "⚠️  Disconnected from
// /dns/telemetry.polkadot.io/tcp/443/x-parity-wss/%2Fsubmit%2F: Custom { ... }", "❌ Error while
// dialing <address>: <error>", "❌ Error while re-dialing ...".
void extractTelemetry(std::string_view text, Extractor& x) {
  std::optional<std::string_view> endpoint = after(text, " from ");
  if (!endpoint) endpoint = after(text, "dialing ");
  if (!endpoint) return;
  x.text("substrate.telemetry.endpoint", before(*endpoint, ": "));
  if (auto error = after(*endpoint, ": ")) x.rest("error.message", *error);
}

// sc-service: "Essential task `txpool-background` failed. Shutting down service." (older nodes
// name no task).
bool saysFailed(std::string_view text) { return text.find(" failed") != std::string_view::npos; }

void extractEssentialTask(std::string_view text, Extractor& x) {
  if (auto quoted = after(text, "Essential task `")) x.text("substrate.task", before(*quoted, "`"));
}

struct Kind {
  std::string_view emoji;   // empty: the message starts with `prefix` directly
  std::string_view prefix;  // text after the emoji and its spaces
  std::string_view action;
  Severity level;  // what the node logs it at (critical: always, whatever it printed)
  void (*extract)(std::string_view text, Extractor& x) = nullptr;
  std::string_view value_key = {};                   // the text after `prefix` goes to this field
  bool (*accepts)(std::string_view text) = nullptr;  // a further test of the text
};

constexpr Severity kInfo = Severity::kInfo;
constexpr Severity kWarn = Severity::kMedium;
constexpr Severity kError = Severity::kHigh;
constexpr Severity kCritical = Severity::kCritical;

// The node's progress, start-up and failure messages, as Substrate's informant, service builder,
// BABE/Aura/GRANDPA, slots, telemetry and the network print them. The first match wins; the
// imports come first as they are the most frequent lines.
constexpr Kind kKinds[] = {
    {"\xF0\x9F\x8F\x86", "Imported #", "block_imported", kInfo, extractImportedBest},     // 🏆
    {"\xF0\x9F\x86\x95", "Imported #", "block_imported", kInfo, extractImportedNotBest},  // 🆕
    {"\xE2\x9C\xA8", "Imported #", "block_imported", kInfo, extractImportedSparkle},      // ✨
    {"\xF0\x9F\x8C\x9F", "Imported #", "block_imported", kInfo, extractImportedBest},     // 🌟
    {"\xF0\x9F\x92\xA4", "Idle", "idle", kInfo, extractProgress},                         // 💤
    {"\xE2\x9A\x99", "Syncing", "syncing", kInfo, extractProgress},                       // ⚙
    {"\xE2\x9A\x99", "Preparing", "syncing", kInfo, extractProgress},                     // ⚙
    {"\xE2\x9A\x99", "State sync", "state_sync", kInfo, extractStateSync},                // ⚙
    {"\xE2\x8F\xA9", "Warping", "warp_sync", kInfo, extractWarp},                         // ⏩
    {"\xE2\x8F\xA9", "Block history", "block_history_sync", kInfo, extractBlockHistory},  // ⏩
    {"\xF0\x9F\x8E\x81", "Prepared block for proposing", "prepared_block", kInfo, extractPrepared},
    {"", "Prepared block for proposing", "prepared_block", kInfo, extractPrepared},  // 🎁
    {"\xF0\x9F\x91\xB6", "New epoch ", "new_epoch", kInfo, extractEpoch},            // 👶
    {"\xF0\x9F\x91\xB6", "Starting BABE", "babe_started", kInfo},                    // 👶
    {"\xF0\x9F\x94\x8D", "Discovered new external address", "discovered_address", kInfo,
     extractAddressAfterColon},                                                              // 🔍
    {"\xE3\x80\xBD", "Prometheus", "prometheus_started", kInfo, extractAddressAfterAt},      // 〽
    {"\xF0\x9F\x8F\xB7", "Local node identity is", "local_identity", kInfo, extractPeerId},  // 🏷
    {"\xF0\x9F\x8F\xB7", "Node name: ", "node_name", kInfo, nullptr, "substrate.node_name"},
    {"\xF0\x9F\x93\xA6", "Highest known block", "highest_known_block", kInfo, extractHighest},  // 📦
    {"\xF0\x9F\x94\x96", "Pre-sealed block", "block_authored", kInfo, extractPreSealed},  // 🔖
    {"\xF0\x9F\x99\x8C", "Starting consensus session", "consensus_session", kInfo,
     extractConsensus},                                                                 // 🙌
    {"\xE2\x99\xBB", "Reorg on", "reorg", kInfo, extractImportedAfterReorg},            // ♻
    {"\xE2\x9C\x8C", "version ", "node_version", kInfo, nullptr, "substrate.version"},  // ✌
    {"\xF0\x9F\x93\x8B", "Chain specification: ", "chain_spec", kInfo, nullptr,
     "substrate.chain_spec"},                                                              // 📋
    {"\xF0\x9F\x91\xA4", "Role: ", "node_role", kInfo, nullptr, "substrate.role"},         // 👤
    {"\xF0\x9F\x92\xBE", "Database: ", "database", kInfo, nullptr, "substrate.database"},  // 💾
    {"\xE2\x9B\x93", "Native runtime: ", "native_runtime", kInfo, nullptr,
     "substrate.runtime"},  // ⛓
    {"\xF0\x9F\x94\xA8", "Initializing Genesis block", "genesis_initialized", kInfo,
     extractGenesis},  // 🔨
    {"\xF0\x9F\x91\xB4", "Loading GRANDPA authority set", "grandpa_authority_set_loaded",
     kInfo},  // 👴
    {"\xF0\x9F\x91\xB4", "Applying authority set change", "grandpa_set_change", kInfo,
     extractSetChange},  // 👴
    {"\xF0\x9F\x91\xB4", "Applying GRANDPA set change", "grandpa_set_change", kInfo,
     extractSetChange},  // 👴
    {"\xF0\x9F\x91\xB4", "Imported justification for block #", "grandpa_set_change", kInfo,
     extractSetChange},  // 👴
    {"", "Applying authority set change", "grandpa_set_change", kInfo, extractSetChange},
    {"", "Applying GRANDPA set change", "grandpa_set_change", kInfo, extractSetChange},
    {"", "GRANDPA voter error", "grandpa_error", kError, extractErrorAfterColon},
    {"", "GRANDPA voter future has concluded", "grandpa_error", kError},
    {"\xE2\x8C\x9B", "Discarding proposal for slot", "proposal_discarded", kInfo,
     extractDiscarded},  // ⌛
    {"", "Discarding proposal for slot", "proposal_discarded", kInfo, extractDiscarded},
    {"", "Proposing failed: ", "proposal_failed", kWarn, nullptr, "error.message"},
    {"", "Slot author ", "equivocation", kCritical, extractEquivocation, {}, isEquivocating},
    {"", "Submitted equivocation report", "equivocation", kCritical, extractEquivocation},
    {"", "Detected prevote equivocation", "equivocation", kCritical, extractEquivocation},
    {"", "Detected precommit equivocation", "equivocation", kCritical, extractEquivocation},
    {"", "Report ", "peer_banned", kWarn, extractBanReport, {}, isBanReport},
    {"", "PeerId(\"", "peer_banned", kWarn, extractLitep2pBan, {}, isLitep2pBan},
    {"", "12D3KooW", "peer_banned", kWarn, extractLitep2pBan, {}, isLitep2pBan},
    {"\xE2\x9A\xA0", "Disconnected from ", "telemetry_disconnected", kWarn, extractTelemetry},  // ⚠
    {"\xE2\x9D\x8C", "Error while dialing ", "telemetry_disconnected", kWarn,
     extractTelemetry},  // ❌
    {"\xE2\x9D\x8C", "Error while re-dialing ", "telemetry_disconnected", kWarn,
     extractTelemetry},  // ❌
    {"", "Essential task ", "essential_task_failed", kError, extractEssentialTask, {}, saysFailed},
    {"", "Listening for new connections on ", "rpc_listening", kInfo, extractAddressAfterOn},
};

// The first (up to) four bytes of a text as an integer, and which of them it holds: one compare
// tells most kinds apart before their strings are compared.
struct Lead {
  uint32_t bytes = 0;
  uint32_t mask = 0;
};

constexpr Lead leadOf(std::string_view s) {
  Lead lead;
  for (size_t i = 0; i < 4 && i < s.size(); ++i) {
    lead.bytes |= static_cast<uint32_t>(static_cast<uint8_t>(s[i])) << (8 * i);
    lead.mask |= 0xFFu << (8 * i);
  }
  return lead;
}

constexpr auto kLeads = [] {
  std::array<Lead, std::size(kKinds)> leads{};
  for (size_t i = 0; i < leads.size(); ++i) {
    leads[i] = leadOf(kKinds[i].emoji.empty() ? kKinds[i].prefix : kKinds[i].emoji);
  }
  return leads;
}();

bool isLevel(std::string_view token) {
  return token == "INFO" || token == "WARN" || token == "ERROR" || token == "DEBUG" ||
         token == "TRACE";
}

// "[Relaychain] " at the start of s: sets chain and returns the rest.
std::string_view takeChainTag(std::string_view s, SubstrateLine& out) {
  if (s.empty() || s.front() != '[') return s;
  const size_t close = s.find(']');
  // Tags are short names; a long bracketed text is message content (a JSON array, a list).
  if (close == std::string_view::npos || close < 2 || close > 64) return s;
  if (close + 1 < s.size() && s[close + 1] != ' ') return s;
  out.chain = s.substr(1, close - 1);
  return skipSpaces(s.substr(close + 1));
}

void classify(SubstrateLine& out) {
  Extractor x(out);
  const uint32_t body_lead = leadOf(out.body).bytes;
  for (size_t i = 0; i < std::size(kKinds); ++i) {
    if ((body_lead & kLeads[i].mask) != kLeads[i].bytes) continue;
    const Kind& kind = kKinds[i];
    std::string_view text = out.body;
    if (!kind.emoji.empty()) {
      if (!text.starts_with(kind.emoji)) continue;
      text.remove_prefix(kind.emoji.size());
      if (text.starts_with(kVariationSelector)) text.remove_prefix(kVariationSelector.size());
      text = skipSpaces(text);
    }
    if (!text.starts_with(kind.prefix)) continue;
    if (kind.accepts != nullptr && !kind.accepts(text)) continue;
    out.action = kind.action;
    out.kind_severity = kind.level;
    if (kind.extract != nullptr) kind.extract(text, x);
    if (!kind.value_key.empty()) x.rest(kind.value_key, text.substr(kind.prefix.size()));
    return;
  }
}

constexpr std::string_view kPanicRule = "====================";

// sp-panic-handler's report on stderr, joined into one text by a multiline rule:
//
//   ====================
//
//   Version: 4.0.0-dev-2d5b0b6ccf0
//
//      0: sp_panic_handler::set::{{closure}}
//      1: std::panicking::rust_panic_with_hook
//      ...
//
//   Thread 'tokio-runtime-worker' panicked at 'Essential task failed', src/service.rs:42
//
//   This is a bug. Please report it at:
//
//   	https://github.com/paritytech/polkadot-sdk/issues/new
//
// or its "Thread '...' panicked at '...', file:line" line alone (a journal keeps each line apart).
bool parsePanic(std::string_view text, SubstrateLine& out) {
  while (!text.empty() && (text.front() == '\n' || text.front() == '\r' || text.front() == ' ')) {
    text.remove_prefix(1);
  }
  const bool banner = text.starts_with(kPanicRule);
  constexpr std::string_view kThread = "Thread '";
  constexpr std::string_view kPanicked = "' panicked at '";
  size_t thread_at = std::string_view::npos;
  if (text.starts_with(kThread)) {
    thread_at = 0;
  } else if (banner) {
    const size_t at = text.find("\nThread '");
    if (at != std::string_view::npos) thread_at = at + 1;
  }
  if (!banner && thread_at == std::string_view::npos) return false;
  if (!banner && text.find(kPanicked) == std::string_view::npos) return false;

  out.action = "node_panic";
  out.kind_severity = Severity::kCritical;
  Extractor x(out);
  std::string_view backtrace_end = text;
  if (thread_at != std::string_view::npos) {
    const std::string_view thread_line = text.substr(thread_at);
    backtrace_end = text.substr(0, thread_at);
    const size_t name_end = thread_line.find(kPanicked);
    if (name_end != std::string_view::npos) {
      out.thread = thread_line.substr(kThread.size(), name_end - kThread.size());
      // The message may span lines and hold quotes: it ends at the last "', " before the advice.
      std::string_view rest = thread_line.substr(name_end + kPanicked.size());
      rest = before(rest, "\nThis is a bug.");
      const size_t close = rest.rfind("', ");
      if (close != std::string_view::npos) {
        x.text("error.message", rest.substr(0, close));
        const std::string_view location = before(rest.substr(close + 3), "\n");
        const size_t colon = location.rfind(':');
        if (colon != std::string_view::npos && leadingNumber(location.substr(colon + 1))) {
          x.text("log.origin.file.name", location.substr(0, colon));
          x.number("log.origin.file.line", location.substr(colon + 1));
        } else {
          x.text("log.origin.file.name", location);
        }
      }
    }
    out.body = before(thread_line, "\n");
  } else {
    out.body = before(text, "\n");
  }
  if (banner) {
    if (auto version = after(text, "\nVersion: ")) {
      std::string_view v = before(*version, "\n");
      if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
      x.text("substrate.version", v);
      // The backtrace: what lies between the version line and the thread line.
      const size_t start = static_cast<size_t>(version->data() - text.data()) + v.size();
      if (start < backtrace_end.size()) {
        std::string_view trace = backtrace_end.substr(start);
        while (!trace.empty() && (trace.front() == '\n' || trace.front() == '\r')) {
          trace.remove_prefix(1);
        }
        while (!trace.empty() && (trace.back() == '\n' || trace.back() == '\r')) {
          trace.remove_suffix(1);
        }
        x.text("error.stack_trace", trace);
      }
    }
  }
  return true;
}

}  // namespace

bool parseSubstrateLine(std::string_view line, int32_t offset_seconds, SubstrateLine& out) {
  out = SubstrateLine{};
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  // "YYYY-MM-DD hh:mm:ss" at least; the date alone or an ISO "T" form is not what nodes write.
  if (line.size() < 19 || line[10] != ' ') return parsePanic(line, out);
  int64_t ns = 0;
  const size_t consumed = timestamp::scanRfc3339(line, offset_seconds, ns);
  if (consumed < 19 || (consumed < line.size() && line[consumed] != ' ')) {
    return parsePanic(line, out);
  }
  out.timestamp_ns = ns;
  out.timestamped = true;
  std::string_view rest = skipSpaces(line.substr(consumed));
  rest = takeChainTag(rest, out);

  // "thread LEVEL target  message" (sc-tracing's detailed format) or "LEVEL thread target: msg".
  const size_t first_end = rest.find(' ');
  if (first_end != std::string_view::npos) {
    const std::string_view first = rest.substr(0, first_end);
    const std::string_view after_first = skipSpaces(rest.substr(first_end));
    const size_t second_end = after_first.find(' ');
    const std::string_view second = after_first.substr(0, second_end);
    if (isLevel(second) || isLevel(first)) {
      out.thread = isLevel(second) ? first : second;
      out.level = isLevel(second) ? second : first;
      std::string_view remainder = second_end == std::string_view::npos
                                       ? std::string_view()
                                       : after_first.substr(second_end);
      remainder = skipSpaces(remainder);
      const size_t target_end = remainder.find(' ');
      std::string_view target = remainder.substr(0, target_end);
      rest = target_end == std::string_view::npos ? std::string_view()
                                                  : skipSpaces(remainder.substr(target_end));
      if (target.ends_with(':')) target.remove_suffix(1);
      out.target = target;
      if (out.chain.empty()) rest = takeChainTag(rest, out);
    }
  }
  out.body = rest;
  classify(out);
  return true;
}

Severity substrateSeverity(const SubstrateLine& line) {
  if (line.kind_severity == Severity::kCritical) return Severity::kCritical;
  const Severity printed = severityFromSubstrateLevel(line.level);
  return printed != Severity::kUnset ? printed : line.kind_severity;
}

Severity severityFromSubstrateLevel(std::string_view level) {
  if (level == "ERROR") return Severity::kHigh;
  if (level == "WARN") return Severity::kMedium;
  if (level == "INFO") return Severity::kInfo;
  if (level == "DEBUG" || level == "TRACE") return Severity::kDebug;
  return Severity::kUnset;
}

}  // namespace logship::substrate
