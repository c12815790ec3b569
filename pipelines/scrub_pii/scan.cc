// One scrub() call: the trigger scan, the candidates waiting for their overlaps to be settled,
// custom rules' RE2 matches and the mnemonic pass (see pii_scrubber.h).
#include <algorithm>
#include <bit>
#include <limits>

#include "pipelines/scrub_pii/builtin_matchers.h"
#include "pipelines/scrub_pii/scrubber_impl.h"
#include "pipelines/scrub_pii/substrate_key_matchers.h"

namespace logship::scrub_pii {

// The state of one scrub() call. Matches are not written as soon as they are found: a later
// trigger can still produce a match that starts earlier (an email's '@' comes after its start),
// so candidates wait in a small sorted buffer until the scan is kMaxLookbehind bytes past their
// start, then the earliest (longest on ties) is written and whatever overlaps it is dropped.
class PiiScrubber::Impl::Scan {
 public:
  Scan(const Impl& impl, std::string_view text, std::string& out, MatchCounts* counts,
       std::vector<Match>* matches)
      : impl_(impl),
        text_(text),
        out_(out),
        counts_(counts),
        matches_(matches),
        has_custom_(!impl.custom_rules.empty()) {
    for (size_t k = 0; k < impl.custom_rules.size(); ++k) {
      cursors_[k] = Cursor{0, 0, 0, false, false};
    }
  }

  bool run();

 private:
  void onTrigger(size_t i);
  // Mnemonics are runs of lowercase words with no trigger byte: a pass of their own finds them
  // before the trigger scan, and offers them to wait in order with the other candidates.
  void offerMnemonics();

  // At most this many candidates wait at once. Built-in candidates wait for kMaxLookbehind
  // bytes of scanning and have distinct starts, so only contrived input fills the buffer; the
  // earliest is then committed early, which keeps the output well-formed.
  static constexpr size_t kMaxPending = 64;

  struct Candidate {
    size_t begin;
    size_t end;
    uint16_t rule;
    uint8_t shape;
  };

  // The next match of one custom rule.
  struct Cursor {
    size_t begin;
    size_t end;
    size_t search_from;
    bool ready;
    bool done;
  };

  void offer(const matchers::Span& span, int16_t rule) {
    offer(Candidate{span.begin, span.end, static_cast<uint16_t>(rule), span.shape});
  }
  void offer(const Candidate& c);
  void commitBefore(size_t limit) {
    while (pending_count_ > 0 && pending_[0].begin < limit) commitFirst();
  }
  void commitFirst();
  bool findCustom(size_t k);
  void offerCustomBefore(size_t limit);

  const Impl& impl_;
  const std::string_view text_;
  std::string& out_;
  MatchCounts* const counts_;
  std::vector<Match>* const matches_;
  const bool has_custom_;
  size_t resolved_end_ = 0;  // end of the last committed match: nothing may start before it
  size_t copied_ = 0;        // text before this offset has been appended to out_
  bool wrote_ = false;
  size_t ipv6_resume_ = 0;  // colons before this belong to a hex/colon run already judged
  size_t pending_count_ = 0;
  Candidate pending_[kMaxPending];  // sorted by begin, at most one per begin
  Cursor cursors_[kMaxRules];       // indexed like impl_.custom_rules
  std::optional<HmacSha256::Context> hmac_context_;
};

void PiiScrubber::Impl::Scan::offer(const Candidate& c) {
  if (c.begin < resolved_end_ || c.end <= c.begin) return;
  size_t k = 0;
  while (k < pending_count_ && pending_[k].begin < c.begin) ++k;
  if (k < pending_count_ && pending_[k].begin == c.begin) {
    Candidate& other = pending_[k];
    if (c.end > other.end || (c.end == other.end && c.rule < other.rule)) other = c;
    return;
  }
  if (pending_count_ == kMaxPending) {
    commitFirst();
    offer(c);
    return;
  }
  std::move_backward(pending_ + k, pending_ + pending_count_, pending_ + pending_count_ + 1);
  pending_[k] = c;
  ++pending_count_;
}

void PiiScrubber::Impl::Scan::commitFirst() {
  const Candidate c = pending_[0];
  size_t drop = 1;
  while (drop < pending_count_ && pending_[drop].begin < c.end) ++drop;
  std::move(pending_ + drop, pending_ + pending_count_, pending_);
  pending_count_ -= drop;
  resolved_end_ = c.end;

  const Rule& rule = impl_.rules[c.rule];
  if (counts_ != nullptr) ++counts_->by_rule[c.rule];
  if (rule.action == Action::kKeep) return;
  if (!wrote_) {
    // Replacements are about as long as what they replace: one allocation for the whole text.
    out_.reserve(out_.size() + text_.size() + 64);
    wrote_ = true;
  }
  out_.append(text_.substr(copied_, c.begin - copied_));
  impl_.render(rule, c.shape, text_.substr(c.begin, c.end - c.begin), hmac_context_, out_);
  copied_ = c.end;
  if (matches_ != nullptr) {
    matches_->push_back(
        Match{static_cast<uint32_t>(c.begin), static_cast<uint32_t>(c.end), c.rule, c.shape});
  }
}

bool PiiScrubber::Impl::Scan::findCustom(size_t k) {
  const Rule& rule = impl_.rules[impl_.custom_rules[k]];
  Cursor& cursor = cursors_[k];
  const size_t n = text_.size();
  // Matches overlapping committed text would be dropped anyway.
  size_t from = std::max(cursor.search_from, resolved_end_);
  re2::StringPiece groups[2];
  const int group_count = rule.replace_group ? 2 : 1;
  while (from <= n) {
    if (!rule.regex->Match(text_, from, n, re2::RE2::UNANCHORED, groups, group_count)) break;
    const size_t match_begin = static_cast<size_t>(groups[0].data() - text_.data());
    const size_t match_end = match_begin + groups[0].size();
    from = match_end > match_begin ? match_end : match_begin + 1;
    size_t begin = match_begin;
    size_t end = match_end;
    if (rule.replace_group) {
      if (groups[1].data() == nullptr) continue;  // optional group did not participate
      begin = static_cast<size_t>(groups[1].data() - text_.data());
      end = begin + groups[1].size();
    }
    if (end == begin) continue;
    cursor = Cursor{begin, end, from, true, false};
    return true;
  }
  cursor.done = true;
  return false;
}

// Offers custom-rule matches that start before `limit`, in start order across rules.
void PiiScrubber::Impl::Scan::offerCustomBefore(size_t limit) {
  const size_t count = impl_.custom_rules.size();
  for (;;) {
    size_t best = count;
    for (size_t k = 0; k < count; ++k) {
      Cursor& cursor = cursors_[k];
      if (cursor.done || (!cursor.ready && !findCustom(k))) continue;
      if (best == count || cursor.begin < cursors_[best].begin) best = k;
    }
    if (best == count || cursors_[best].begin >= limit) return;
    Cursor& cursor = cursors_[best];
    offer(Candidate{cursor.begin, cursor.end, impl_.custom_rules[best], 0});
    cursor.ready = false;
  }
}

void PiiScrubber::Impl::Scan::offerMnemonics() {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text_.data());
  const int16_t rule = impl_.builtin_rule[index(Kind::kSecret)];
  bool previous_full = false;
  size_t resume = 0;
  for (size_t block = 0; block + scan::kBlock <= text_.size(); block += scan::kBlock) {
    const bool full = scan::allMnemonicBytes(bytes + block);
    if (full && previous_full && block >= resume) {
      matchers::Span spans[4];
      const size_t found = matchers::mnemonics(text_, block, spans, std::size(spans), resume);
      for (size_t k = 0; k < found; ++k) offer(spans[k], rule);
    }
    previous_full = full;
  }
}

bool PiiScrubber::Impl::Scan::run() {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text_.data());
  const size_t n = text_.size();
  if (impl_.mnemonics && n >= matchers::kMnemonicMinBytes) offerMnemonics();
  const scan::BlockScanner scanner(impl_.trigger_set);
  const size_t readable = scan::kBlock + (impl_.trigger_set.readsAhead() ? scan::kLookahead : 0);
  bool prev_word = false;
  for (size_t block = 0; block < n; block += scan::kBlock) {
    const size_t len = std::min(scan::kBlock, n - block);
    uint32_t mask = n - block >= readable
                        ? scanner.mask(bytes + block, prev_word)
                        : scan::tailMask(scanner, bytes + block, n - block, prev_word);
    prev_word = isWordByte(bytes[block + len - 1]);
    while (mask != 0) {
      onTrigger(block + static_cast<size_t>(std::countr_zero(mask)));
      mask &= mask - 1;
    }
  }
  if (has_custom_) offerCustomBefore(std::numeric_limits<size_t>::max());
  commitBefore(std::numeric_limits<size_t>::max());
  if (wrote_) out_.append(text_.substr(copied_));
  return wrote_;
}

inline void PiiScrubber::Impl::Scan::onTrigger(size_t i) {
  const Trigger trigger =
      static_cast<Trigger>(impl_.triggers[static_cast<unsigned char>(text_[i])]);
  if (trigger == kNoTrigger) return;
  // Nothing this or any later trigger finds starts before `limit`, so pending matches that do
  // are final. Custom-rule matches join only once they are final too: offered in text order,
  // they can then never be overtaken, even if they are many.
  const size_t limit = i > matchers::kMaxLookbehind ? i - matchers::kMaxLookbehind : 0;
  if (has_custom_) offerCustomBefore(limit);
  if (pending_count_ != 0) commitBefore(limit);
  const int16_t* rule_of = impl_.builtin_rule.data();
  const auto* bytes = reinterpret_cast<const unsigned char*>(text_.data());
  const size_t n = text_.size();
  matchers::Span span;
  switch (trigger) {
    case kNoTrigger:
      return;
    case kTriggerDigit: {
      size_t run_end = i + 1;
      while (run_end < n && isDigit(bytes[run_end])) ++run_end;
      const size_t len = run_end - i;
      const char next = run_end < n ? text_[run_end] : '\0';
      // Cheap shape checks first: most digit runs (times, pids, counters) fail all of them. The
      // scanner only lets through runs that may pass them (see allowDigitsBefore above).
      if (len <= 3 && next == '.') {
        const int16_t r = rule_of[index(Kind::kIpv4)];
        if (r >= 0 && matchers::ipv4(text_, i, span)) offer(span, r);
      }
      if (len == 3 && next == '-') {
        const int16_t r = rule_of[index(Kind::kSsn)];
        if (r >= 0 && matchers::ssn(text_, i, span)) offer(span, r);
      }
      if ((len == 3 && (next == '-' || next == '.' || next == ')')) ||
          (len == 1 && bytes[i] == '1' && (next == '-' || next == ' ' || next == '.'))) {
        const int16_t r = rule_of[index(Kind::kPhone)];
        if (r >= 0 && matchers::phoneNorthAmerican(text_, i, span)) offer(span, r);
      }
      if (len >= 13 || (len == 4 && (next == ' ' || next == '-'))) {
        const int16_t r = rule_of[index(Kind::kCard)];
        if (r >= 0 && matchers::card(text_, i, span)) offer(span, r);
      }
      if (len == 1 && next == 'x' && bytes[i] == '0') {
        const int16_t r = rule_of[index(Kind::kSecret)];
        if (r >= 0 && matchers::secretHexSeed(text_, i, span)) offer(span, r);
      }
      return;
    }
    case kTriggerAt:
      if (matchers::email(text_, i, span)) offer(span, rule_of[index(Kind::kEmail)]);
      return;
    case kTriggerColon: {
      const int16_t secret = rule_of[index(Kind::kSecret)];
      if (secret >= 0) {
        if (i + 2 < n && bytes[i + 1] == '/' && bytes[i + 2] == '/') {
          if (matchers::secretUrlPassword(text_, i, span)) offer(span, secret);
        } else if (matchers::secretKeyValue(text_, i, impl_.secret_keys, span)) {
          offer(span, secret);
        }
      }
      // An address has a hex digit or another colon next to each of its colons; JSON's ":"
      // and "key: value" do not.
      const int16_t ip = rule_of[index(Kind::kIpv6)];
      if (ip >= 0 && i >= ipv6_resume_ &&
          ((i > 0 && isHexOrColon(bytes[i - 1])) || (i + 1 < n && isHexOrColon(bytes[i + 1]))) &&
          matchers::ipv6(text_, i, span, ipv6_resume_)) {
        offer(span, ip);
      }
      return;
    }
    case kTriggerEquals:
      if (matchers::secretKeyValue(text_, i, impl_.secret_keys, span)) {
        offer(span, rule_of[index(Kind::kSecret)]);
      }
      return;
    case kTriggerPlus:
      if (matchers::phoneInternational(text_, i, span)) offer(span, rule_of[index(Kind::kPhone)]);
      return;
    case kTriggerE:
      if (matchers::jwt(text_, i, span)) offer(span, rule_of[index(Kind::kJwt)]);
      return;
    case kTriggerA:
      if (matchers::secretAwsKeyId(text_, i, span)) offer(span, rule_of[index(Kind::kSecret)]);
      return;
    case kTriggerB:
      if (matchers::secretBearer(text_, i, span) || matchers::secretPemBlock(text_, i, span)) {
        offer(span, rule_of[index(Kind::kSecret)]);
      }
      return;
    case kTriggerSlash:
      if (matchers::secretUri(text_, i, span)) offer(span, rule_of[index(Kind::kSecret)]);
      return;
  }
}

bool PiiScrubber::scrub(std::string_view text, std::string& out, MatchCounts* counts) const {
  return scrub(text, out, counts, nullptr);
}

bool PiiScrubber::scrub(std::string_view text, std::string& out, MatchCounts* counts,
                        std::vector<Match>* matches) const {
  if (text.size() > std::numeric_limits<uint32_t>::max()) matches = nullptr;  // offsets are 32-bit
  Impl::Scan scan(*impl_, text, out, counts, matches);
  return scan.run();
}

}  // namespace logship::scrub_pii
