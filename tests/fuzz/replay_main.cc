// Runs a libFuzzer target without libFuzzer, in the ordinary build: every file named (or found in
// a directory named) on the command line is given to the target, then deterministic mutations of
// each (bytes flipped, cut, repeated, spliced with another input). The suite uses it for the
// targets that link the whole agent, whose instrumented build is too long for every run;
// tests/fuzz/fuzz.sh fuzzes them for real. A failing input makes the target abort.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

std::string mutate(const std::string& input, const std::string& other, std::mt19937_64& rng) {
  std::string out = input;
  auto pick = [&](size_t n) { return n ? static_cast<size_t>(rng() % n) : 0; };
  switch (rng() % 5) {
    case 0:  // flip a few bytes
      for (int i = 0; i < 4 && !out.empty(); ++i) out[pick(out.size())] ^= static_cast<char>(1 << pick(8));
      break;
    case 1:  // cut
      out.resize(pick(out.size() + 1));
      break;
    case 2: {  // repeat a slice
      size_t at = pick(out.size() + 1);
      out.insert(at, out.substr(at, pick(64)));
      break;
    }
    case 3:  // splice with another input
      out = out.substr(0, pick(out.size() + 1)) + other.substr(pick(other.size() + 1));
      break;
    default:  // an interesting byte
      if (!out.empty()) out[pick(out.size())] = "\0\n\"{}[]:-#&*!|>'%@`\\\xff"[pick(20)];
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(argv[i])) {
      for (auto& entry : std::filesystem::recursive_directory_iterator(argv[i])) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else {
      files.emplace_back(argv[i]);
    }
    for (auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      inputs.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  constexpr int kMutationsPerInput = 1000;
  std::mt19937_64 rng(20261202);
  for (size_t i = 0; i < inputs.size(); ++i) {
    run(inputs[i]);
    for (int m = 0; m < kMutationsPerInput; ++m) {
      run(mutate(inputs[i], inputs[(i + 1 + m) % inputs.size()], rng));
    }
  }
  std::printf("%zu inputs, %zu runs\n", inputs.size(), inputs.size() * (kMutationsPerInput + 1));
  return 0;
}
