// libFuzzer entry point for the file source's line assemblers (CRI partial lines, multiline
// groups). The first byte picks the assembler and its limits, the rest is split at '\x01' into
// reads of newline-separated lines, fed to one assembler in turn as the file source would: what a
// read holds back comes first in the next. Checked: no event is longer than the limit, a held
// offset lies inside its read, and an assembler keeps no more than its limit held back.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "agent/core/line_reader.h"
#include "agent/sources/file/line_assembler.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace logship;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const size_t limit = (selector & 2) ? 16 : 4096;
  std::unique_ptr<LineAssembler> assembler;
  if (selector & 1) {
    assembler = std::make_unique<CriAssembler>(limit);
  } else {
    MultilineConfig config;
    if (selector & 4) {
      config.continue_ = R"(^\s)";
    } else {
      config.start = R"(^\d{4}-)";
    }
    config.max_lines = (selector & 8) ? 3 : 500;
    assembler =
        std::make_unique<MultilineAssembler>(std::make_shared<const MultilineRule>(config), limit);
  }
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string carry;  // lines held back by the previous read
  uint64_t offset = 0;
  size_t from = 0;
  while (from <= input.size()) {
    size_t to = input.find('\x01', from);
    if (to == std::string_view::npos) to = input.size();
    const bool final = to == input.size();
    std::string text = carry + std::string(input.substr(from, to - from));
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
    auto raw = std::make_unique<char[]>(text.size() + 1);
    std::memcpy(raw.get(), text.data(), text.size());
    Batch batch(std::move(raw), text.size(), AckToken());
    splitLines(batch.raw(), offset, 0, batch.events());
    size_t longest_line = 0;
    for (const Event& e : batch.events()) longest_line = std::max(longest_line, e.message.size());
    const LineAssembler::Result result = assembler->assemble(batch, final);
    for (const Event& e : batch.events()) {
      if (selector & 1) {
        // CRI: a message's content is cut at the limit; lines that are not CRI pass as read.
        check(e.message.size() <= limit || (e.flags & Event::kParseError) != 0);
      } else if (e.message.find('\n') != std::string_view::npos) {
        check(e.message.size() <= limit);  // a joined group never outgrows the limit
      }
    }
    carry.clear();
    if (result.held) {
      check(!final);
      check(*result.held >= offset && *result.held <= offset + text.size());
      carry = text.substr(static_cast<size_t>(*result.held - offset));
      // What is held back stays within twice the limit, plus the line that may continue it.
      check(carry.size() <= 2 * limit + longest_line + 1);
    }
    offset += text.size() - carry.size();
    from = to + 1;
  }
  return 0;
}
