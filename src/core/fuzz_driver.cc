// A deterministic driver for libFuzzer-style targets, so every fuzz target
// also runs as an ordinary test (under ASan/UBSan in CI) without clang.
//
// Usage: TARGET [CORPUS_DIR...]. Runs every corpus file, then a fixed number
// of mutations of them (bit flips, truncations, splices, byte insertions)
// from a fixed seed. Exit status 0 unless the target crashes.
#include <dirent.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::string> ReadCorpus(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(dir + "/" + e->d_name, std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  closedir(d);
  return out;
}

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> corpus{""};
  for (int i = 1; i < argc; ++i) {
    for (std::string& s : ReadCorpus(argv[i])) corpus.push_back(std::move(s));
  }
  for (const std::string& s : corpus) Run(s);

  const char* env_runs = std::getenv("WARDEN_FUZZ_RUNS");
  const int runs = env_runs ? std::atoi(env_runs) : 20000;
  std::mt19937_64 rng(0x5741524445ULL);
  for (int i = 0; i < runs; ++i) {
    std::string s = corpus[rng() % corpus.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 5) {
        case 0:
          if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
          break;
        case 1:
          if (!s.empty()) s.resize(rng() % s.size());
          break;
        case 2:
          s.insert(s.begin() + static_cast<long>(s.empty() ? 0 : rng() % (s.size() + 1)),
                   static_cast<char>(rng() % 256));
          break;
        case 3: {
          const std::string& other = corpus[rng() % corpus.size()];
          if (!other.empty()) s += other.substr(rng() % other.size());
          break;
        }
        default:
          if (!s.empty()) s[rng() % s.size()] = "\"\\,;\n{}[]:0x-"[rng() % 13];
      }
    }
    Run(s);
  }
  std::printf("fuzz driver: %zu corpus inputs, %d mutations, no crash\n", corpus.size(), runs);
  return 0;
}
