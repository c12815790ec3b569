#include <cstddef>

#include "parsers/auth/auth_families.h"
#include "parsers/auth/auth_text.h"

namespace logship::auth {
namespace {

bool containsWord(std::string_view text, std::string_view word) {
  // Prefixes are chosen by people: "IPTABLES-DROP", "nft drop", "[UFW BLOCK]".
  for (size_t i = 0; i + word.size() <= text.size(); ++i) {
    size_t k = 0;
    while (k < word.size()) {
      char c = text[i + k];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (c != word[k]) break;
      ++k;
    }
    if (k == word.size()) return true;
  }
  return false;
}

std::string_view transportName(std::string_view proto) {
  if (proto == "TCP") return "tcp";
  if (proto == "UDP") return "udp";
  if (proto == "ICMP") return "icmp";
  if (proto == "ICMPv6") return "ipv6-icmp";
  if (proto == "UDPLITE") return "udplite";
  if (proto == "SCTP") return "sctp";
  return proto;  // a protocol number
}

}  // namespace

// nf_log_syslog writes "<prefix>IN=<if> OUT=<if> [MAC=..] SRC=<ip> DST=<ip> LEN=.. ... PROTO=TCP
// SPT=<port> DPT=<port> ...". The prefix is the rule's: UFW writes "[UFW BLOCK] " or "[UFW ALLOW]
// ", iptables/nftables rules whatever their author chose; only a prefix naming the verdict is
// classified.
bool classifyKernel(std::string_view message, AuthEvent& out) {
  std::string_view rest = message;
  // Syslog daemons keep the kernel's "[ 1234.567890] " uptime stamp; journald drops it.
  if (rest.starts_with('[') && rest.size() > 1 && (rest[1] == ' ' || isDigit(rest[1]))) {
    const size_t close = rest.find("] ");
    if (close == kNpos) return false;
    rest.remove_prefix(close + 2);
  }
  size_t in_at = rest.starts_with("IN=") ? 0 : rest.find(" IN=");
  if (in_at == kNpos) return false;
  if (in_at != 0) ++in_at;
  const std::string_view prefix = trim(rest.substr(0, in_at));
  if (prefix.empty()) return false;
  std::string_view verdict;
  if (containsWord(prefix, "UFW AUDIT")) return false;  // UFW's audit copies carry no verdict
  if (containsWord(prefix, "BLOCK") || containsWord(prefix, "DROP") ||
      containsWord(prefix, "REJECT") || containsWord(prefix, "DENY")) {
    verdict = action::kFirewallBlock;
  } else if (containsWord(prefix, "ALLOW") || containsWord(prefix, "ACCEPT")) {
    verdict = action::kFirewallAllow;
  } else {
    return false;
  }

  std::string_view fields = rest.substr(in_at);
  bool has_in = false;
  while (!fields.empty()) {
    const size_t space = fields.find(' ');
    const std::string_view token = fields.substr(0, space);
    fields = space == kNpos ? std::string_view() : fields.substr(space + 1);
    const size_t eq = token.find('=');
    if (eq == kNpos) continue;  // flags: DF, SYN, ACK ...
    const std::string_view key = token.substr(0, eq);
    const std::string_view value = token.substr(eq + 1);
    if (key == "IN") {
      if (has_in) break;  // an ICMP error quotes the offending packet: stop at its copy
      has_in = true;
      out.interface_in = value;
    } else if (key == "OUT") {
      out.interface_out = value;
    } else if (key == "SRC") {
      if (!out.source_ip.empty()) break;
      if (!isIpAddress(value)) return false;
      out.source_ip = value;
    } else if (key == "DST") {
      if (!out.destination_ip.empty()) break;
      if (!isIpAddress(value)) return false;
      out.destination_ip = value;
    } else if (key == "PROTO") {
      if (!out.transport.empty()) break;
      out.transport = transportName(value);
    } else if (key == "SPT") {
      if (out.source_port < 0) out.source_port = parsePort(value);
    } else if (key == "DPT") {
      if (out.destination_port < 0) out.destination_port = parsePort(value);
    }
  }
  if (out.source_ip.empty() || out.destination_ip.empty()) return false;
  out.type = verdict == action::kFirewallBlock ? event_type::kDenied : event_type::kAllowed;
  setResult(out, category::kNetwork, verdict, {});
  return true;
}

}  // namespace logship::auth
