// libFuzzer entry point for the parse_auditd transform and its record reader. The input is cut
// into lines, the lines into two batches, so that records held open cross a batch boundary.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/auditd/audit_record.h"
#include "parsers/auditd/parse_auditd.h"
#include "tests/fuzz/parser_transform_fuzz.h"

namespace {

// Runs one batch of `lines` and checks every event it gives: a sane field array, views that
// still read (the snapshot touches every byte), and no more events than lines.
void runBatch(logship::ParseAuditd& transform, const std::vector<std::string_view>& lines) {
  using namespace logship;
  Batch batch = fuzz::makeBatch(lines, 0);
  fuzz::SlotEmitter out;
  transform.process(batch, out);
  fuzz::check(out.slot.has_value());
  // Events held from the batch before (at most max_pending) may come out with this one.
  fuzz::check(out.slot->events().size() <= lines.size() + 8);
  for (const Event& e : out.slot->events()) {
    fuzz::check(e.field_count <= e.field_capacity);
    (void)fuzz::snapshot(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace logship;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static ParseAuditd* transform = [] {
    static GlobalConfig global;
    static Diagnostics diag;
    static ConfigNode node;
    BuildContext ctx{"fuzz", global, diag, node};
    ParseAuditdConfig config;
    config.max_pending = 8;
    config.max_fields = 32;
    return new ParseAuditd(config, ctx);
  }();

  std::vector<std::string_view> lines;
  size_t begin = 0;
  while (begin <= input.size()) {
    const size_t end = input.find('\n', begin);
    lines.push_back(
        input.substr(begin, (end == std::string_view::npos ? input.size() : end) - begin));
    if (end == std::string_view::npos) break;
    begin = end + 1;
  }
  const size_t half = lines.size() / 2;
  runBatch(*transform, {lines.begin(), lines.begin() + static_cast<ptrdiff_t>(half)});
  runBatch(*transform, {lines.begin() + static_cast<ptrdiff_t>(half), lines.end()});

  // Everything the reader returns lies inside the line or the arena.
  for (std::string_view line : lines) {
    auditd::AuditRecord record;
    if (!auditd::parseAuditRecord(line, record)) continue;
    for (std::string_view part : {record.node, record.type, record.body, record.enriched}) {
      fuzz::check(part.empty() || (part.data() >= line.data() &&
                                   part.data() + part.size() <= line.data() + line.size()));
    }
    auditd::FieldReader reader(record.body);
    auditd::AuditField field;
    Arena arena;
    size_t fields = 0;
    while (reader.next(field) && ++fields < 100000) {
      fuzz::check(!field.key.empty() && field.key.data() >= line.data() &&
                  field.key.data() + field.key.size() <= line.data() + line.size());
      (void)std::string(auditd::fieldText(record.type, field, arena));
    }
  }
  return 0;
}
