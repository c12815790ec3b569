#include "pipelines/common/indicator_lists.h"

#include <cerrno>
#include <cstring>

#include "agent/support/files.h"

namespace logship::indicators {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool isHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// A host name as lists write it: labels of letters, digits, '-' and '_', at least two of them,
// the last not a number (so that 300.1.2.3 is a bad address, not a domain).
bool isDomain(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.') return false;
  const std::string_view top = s.substr(s.rfind('.') + 1);
  if (top.find_first_not_of("0123456789") == std::string_view::npos) return false;
  bool dot = false;
  char previous = 0;
  for (char c : s) {
    const char l = lower(c);
    if (l == '.') {
      if (previous == '.') return false;
      dot = true;
    } else if (!((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-' || l == '_')) {
      return false;
    }
    previous = l;
  }
  return dot;
}

// The fields of a CSV line (RFC 4180 quoting, no line breaks inside quotes).
void splitCsv(std::string_view line, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  fields.push_back(std::move(field));
}

}  // namespace

std::string_view hashName(size_t length) {
  switch (length) {
    case 32:
      return "md5";
    case 40:
      return "sha1";
    case 64:
      return "sha256";
    case 128:
      return "sha512";
    default:
      return "";
  }
}

bool Indicators::add(size_t list, std::string_view entry, std::string& why) {
  const uint64_t bit = uint64_t{1} << list;
  if (entry.find('/') != std::string_view::npos || entry.find(':') != std::string_view::npos ||
      parseIpAddress(entry)) {
    if (!addresses_[list].add(entry, &why)) return false;
    lists_with_addresses_ |= bit;
    return true;
  }
  if (!hashName(entry.size()).empty() && isHex(entry)) {
    std::string key(entry);
    for (char& c : key) c = lower(c);
    hashes_[key] |= bit;
    return true;
  }
  if (entry.starts_with("*.")) entry.remove_prefix(2);
  if (isDomain(entry)) {
    std::string key(entry);
    for (char& c : key) c = lower(c);
    domains_[key] |= bit;
    return true;
  }
  std::string text(entry);
  text.insert(text.begin(), '\'');
  text += "' is not an IP address, CIDR, domain or file hash";
  why = std::move(text);
  return false;
}

std::shared_ptr<const Indicators> Indicators::load(const std::vector<ListSpec>& lists,
                                                   std::vector<BadLine>& bad, std::string& error,
                                                   size_t& failed) {
  std::shared_ptr<Indicators> set(new Indicators());
  set->addresses_.resize(lists.size());
  set->entries_.assign(lists.size(), 0);
  std::vector<std::string> fields;
  for (size_t l = 0; l < lists.size() && l < kMaxLists; ++l) {
    const ListSpec& spec = lists[l];
    const std::optional<std::string> text = readWholeFile(spec.path);
    if (!text) {
      error = spec.path + ": " + std::strerror(errno);
      failed = l;
      return nullptr;
    }
    size_t column = spec.column_index;
    bool header_pending = spec.csv;  // a csv's first row may name the columns
    size_t line_number = 0;
    size_t at = 0;
    while (at < text->size()) {
      size_t end = text->find('\n', at);
      if (end == std::string::npos) end = text->size();
      const std::string_view raw(text->data() + at, end - at);
      at = end + 1;
      ++line_number;
      std::string_view entry;
      if (spec.csv) {
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#') continue;
        splitCsv(line, fields);
        if (header_pending && !spec.column_name.empty()) {
          header_pending = false;
          size_t i = 0;
          while (i < fields.size() && trim(fields[i]) != spec.column_name) ++i;
          if (i == fields.size()) {
            error = spec.path + ":" + std::to_string(line_number) + ": no column '" +
                    spec.column_name + "' in the header";
            failed = l;
            return nullptr;
          }
          column = i;
          continue;
        }
        if (column >= fields.size()) {
          bad.push_back({l, spec.path + ":" + std::to_string(line_number),
                         "no column " + std::to_string(column + 1)});
          continue;
        }
        entry = trim(fields[column]);
        if (entry.empty()) continue;
        std::string why;
        if (set->add(l, entry, why)) {
          ++set->entries_[l];
        } else if (!header_pending) {
          bad.push_back({l, spec.path + ":" + std::to_string(line_number), why});
        }
        header_pending = false;  // a first row that held no indicator was the header
        continue;
      }
      // Plain: one entry a line, then anything after whitespace, '#' or ';' (FireHOL netsets,
      // Spamhaus DROP's "1.2.3.0/24 ; SBL123", hosts-style comments).
      std::string_view line = raw;
      const size_t comment = line.find_first_of("#;");
      if (comment != std::string_view::npos) line = line.substr(0, comment);
      line = trim(line);
      if (line.empty()) continue;
      entry = line.substr(0, line.find_first_of(" \t"));
      std::string why;
      if (set->add(l, entry, why)) {
        ++set->entries_[l];
      } else {
        bad.push_back({l, spec.path + ":" + std::to_string(line_number), why});
      }
    }
    set->addresses_[l].finish();
  }
  return set;
}

uint64_t Indicators::matchAddress(const IpAddress& address) const {
  uint64_t found = 0;
  uint64_t lists = lists_with_addresses_;
  while (lists != 0) {
    const int l = __builtin_ctzll(lists);
    lists &= lists - 1;
    if (addresses_[l].contains(address)) found |= uint64_t{1} << l;
  }
  return found;
}

uint64_t Indicators::match(std::string_view value, IndicatorKind& kind) const {
  kind = IndicatorKind::kNone;
  if (value.empty() || value.size() > 253) return 0;
  if (const std::optional<IpAddress> address = parseIpAddress(value)) {
    kind = isV4(*address) ? IndicatorKind::kIpv4 : IndicatorKind::kIpv6;
    return matchAddress(*address);
  }
  char buffer[256];
  for (size_t i = 0; i < value.size(); ++i) buffer[i] = lower(value[i]);
  std::string_view key(buffer, value.size());
  if (key.back() == '.') key.remove_suffix(1);  // the root of a fully qualified name
  if (!hashName(key.size()).empty() && isHex(key)) {
    kind = IndicatorKind::kHash;
    const auto it = hashes_.find(key);
    return it == hashes_.end() ? 0 : it->second;
  }
  if (!isDomain(key)) return 0;
  kind = IndicatorKind::kDomain;
  uint64_t found = 0;
  while (true) {
    if (const auto it = domains_.find(key); it != domains_.end()) found |= it->second;
    const size_t dot = key.find('.');
    if (dot == std::string_view::npos) break;
    key.remove_prefix(dot + 1);
  }
  return found;
}

}  // namespace logship::indicators
