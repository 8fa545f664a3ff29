// Defines `fuzz_replay`: runs LLVMFuzzerTestOneInput (fuzz_parse.cpp; in fuzz_replay_jsonl,
// fuzz_replay_csv and fuzz_replay_api the runtime's targets, fuzz_jsonl.cpp, ...) on every
// file of a corpus directory, so the normal test suite (any compiler, no libFuzzer) re-checks
// every input the fuzzer once found interesting. A crashing input crashes this program, which
// fails the CTest test (fuzz_corpus_replay, fuzz_jsonl_replay, ...).
//
// Usage: fuzz_replay [DIR|FILE]...   (default: the target's committed corpus, tests/fuzz/corpus
// for fuzz_parse, corpus_jsonl/ for fuzz_jsonl, ...)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> roots;
  for (int i = 1; i < argc; ++i) roots.emplace_back(argv[i]);
  if (roots.empty()) roots.emplace_back(CRMX_FUZZ_CORPUS_DIR);

  std::vector<fs::path> inputs;
  for (const fs::path& root : roots) {
    std::error_code ec;
    if (fs::is_directory(root, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (entry.is_regular_file()) inputs.push_back(entry.path());
      }
    } else if (fs::is_regular_file(root, ec)) {
      inputs.push_back(root);
    } else {
      std::fprintf(stderr, "fuzz_replay: cannot read %s\n", root.string().c_str());
      return 2;
    }
  }
  // A fixed order, so a failure names the same file on every machine.
  std::sort(inputs.begin(), inputs.end());

  for (const fs::path& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "fuzz_replay: cannot read %s\n", path.string().c_str());
      return 2;
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Printed before the run, so the input that crashes is the last name in the log.
    if (std::getenv("CRMX_FUZZ_VERBOSE")) std::fprintf(stderr, "%s\n", path.string().c_str());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "fuzz_replay: no inputs found\n");
    return 1;
  }
  std::printf("fuzz corpus: %zu inputs replayed\n", inputs.size());
  return 0;
}
