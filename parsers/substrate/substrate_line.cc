#include "parsers/substrate/substrate_line.h"

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
  void rest(std::string_view key, std::string_view text) {
    text = skipSpaces(text);
    while (!text.empty() && (text.back() == ' ' || text.back() == '.')) text.remove_suffix(1);
    if (!text.empty()) add(key, FieldValue::string(text));
  }

 private:
  SubstrateLine& out_;
};

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
  if (auto peers = after(text, "(")) x.number("substrate.peers", *peers);
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

void extractImported(std::string_view text, Extractor& x) {
  x.number("substrate.block.number", after(text, "#"));
  x.hash("substrate.block.hash", after(text, "("));
}

void extractPrepared(std::string_view text, Extractor& x) {
  x.number("substrate.block.number", after(text, "proposing at "));
  x.hash("substrate.block.hash", after(text, "[hash: "));
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

struct Kind {
  std::string_view emoji;   // empty: the message starts with `prefix` directly
  std::string_view prefix;  // text after the emoji and its spaces
  std::string_view action;
  void (*extract)(std::string_view text, Extractor& x) = nullptr;
  std::string_view value_key = {};  // the text after `prefix` goes to this field
};

// The node's progress and start-up messages, as Substrate's informant, service builder, BABE/Aura
// and libp2p print them. The first match wins.
constexpr Kind kKinds[] = {
    {"\xE2\x9C\xA8", "Imported #", "block_imported", extractImported},  // ✨
    {"\xF0\x9F\x92\xA4", "Idle", "idle", extractProgress},              // 💤
    {"\xE2\x9A\x99", "Syncing", "syncing", extractProgress},            // ⚙
    {"\xE2\x9A\x99", "Preparing", "syncing", extractProgress},          // ⚙
    {"\xF0\x9F\x8E\x81", "Prepared block for proposing", "prepared_block", extractPrepared},  // 🎁
    {"\xF0\x9F\x91\xB6", "New epoch ", "new_epoch", extractEpoch},  // 👶
    {"\xF0\x9F\x91\xB6", "Starting BABE", "babe_started"},          // 👶
    {"\xF0\x9F\x94\x8D", "Discovered new external address", "discovered_address",
     extractAddressAfterColon},                                                       // 🔍
    {"\xE3\x80\xBD", "Prometheus", "prometheus_started", extractAddressAfterAt},      // 〽
    {"\xF0\x9F\x8F\xB7", "Local node identity is", "local_identity", extractPeerId},  // 🏷
    {"\xF0\x9F\x8F\xB7", "Node name: ", "node_name", nullptr, "substrate.node_name"},
    {"\xF0\x9F\x93\xA6", "Highest known block", "highest_known_block", extractHighest},  // 📦
    {"\xF0\x9F\x94\x96", "Pre-sealed block", "block_authored", extractPreSealed},        // 🔖
    {"\xF0\x9F\x99\x8C", "Starting consensus session", "consensus_session", extractConsensus},  // 🙌
    {"\xE2\x99\xBB", "Reorg on", "reorg", extractImportedAfterReorg},            // ♻
    {"\xE2\x9C\x8C", "version ", "node_version", nullptr, "substrate.version"},  // ✌
    {"\xF0\x9F\x93\x8B", "Chain specification: ", "chain_spec", nullptr,
     "substrate.chain_spec"},                                                              // 📋
    {"\xF0\x9F\x91\xA4", "Role: ", "node_role", nullptr, "substrate.role"},                // 👤
    {"\xF0\x9F\x92\xBE", "Database: ", "database", nullptr, "substrate.database"},         // 💾
    {"\xE2\x9B\x93", "Native runtime: ", "native_runtime", nullptr, "substrate.runtime"},  // ⛓
    {"\xF0\x9F\x94\xA8", "Initializing Genesis block", "genesis_initialized", extractGenesis},  // 🔨
    {"\xF0\x9F\x91\xB4", "Loading GRANDPA authority set", "grandpa_authority_set_loaded"},  // 👴
    {"", "Listening for new connections on ", "rpc_listening", extractAddressAfterOn},
};

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
  for (const Kind& kind : kKinds) {
    std::string_view text = out.body;
    if (!kind.emoji.empty()) {
      if (!text.starts_with(kind.emoji)) continue;
      text.remove_prefix(kind.emoji.size());
      if (text.starts_with(kVariationSelector)) text.remove_prefix(kVariationSelector.size());
      text = skipSpaces(text);
    }
    if (!text.starts_with(kind.prefix)) continue;
    out.action = kind.action;
    if (kind.extract != nullptr) kind.extract(text, x);
    if (!kind.value_key.empty()) x.rest(kind.value_key, text.substr(kind.prefix.size()));
    return;
  }
}

}  // namespace

bool parseSubstrateLine(std::string_view line, int32_t offset_seconds, SubstrateLine& out) {
  out = SubstrateLine{};
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  // "YYYY-MM-DD hh:mm:ss" at least; the date alone or an ISO "T" form is not what nodes write.
  if (line.size() < 19 || line[10] != ' ') return false;
  int64_t ns = 0;
  const size_t consumed = timestamp::scanRfc3339(line, offset_seconds, ns);
  if (consumed < 19 || (consumed < line.size() && line[consumed] != ' ')) return false;
  out.timestamp_ns = ns;
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

Severity severityFromSubstrateLevel(std::string_view level) {
  if (level == "ERROR") return Severity::kHigh;
  if (level == "WARN") return Severity::kMedium;
  if (level == "INFO") return Severity::kInfo;
  if (level == "DEBUG" || level == "TRACE") return Severity::kDebug;
  return Severity::kUnset;
}

}  // namespace logship::substrate
