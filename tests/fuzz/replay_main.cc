// The seed replay: runs a fuzz target's LLVMFuzzerTestOneInput (built with the ordinary
// compiler, no libFuzzer) over every file of the directories or files named on the command
// line, and over the prefixes of each, so that a decoder regression on any committed seed
// fails ctest. A broken invariant aborts through FUZZ_CHECK.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void RunOne(const std::filesystem::path& path, size_t& runs) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  // Each prefix in its own buffer, so that a read past the end is caught by the sanitize
  // build.
  // Long seeds (configurations) get about 256 evenly spaced prefixes.
  const size_t step = std::max<size_t>(1, bytes.size() / 256);
  for (size_t n = 0; n <= bytes.size(); n = n == bytes.size() ? n + 1 : std::min(n + step, bytes.size())) {
    const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    LLVMFuzzerTestOneInput(prefix.data(), prefix.size());
    ++runs;
  }
}

}  // namespace

int main(int argc, char** argv) {
  size_t files = 0;
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::vector<std::filesystem::path> paths;
    if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::directory_iterator(arg)) {
        if (e.is_regular_file()) paths.push_back(e.path());
      }
      std::sort(paths.begin(), paths.end());
    } else {
      paths.push_back(arg);
    }
    for (const auto& p : paths) {
      RunOne(p, runs);
      ++files;
    }
  }
  if (files == 0) {
    std::fprintf(stderr, "no seed files found\n");
    return 1;
  }
  std::printf("replayed %zu seeds (%zu inputs with their prefixes)\n", files, runs);
  return 0;
}
