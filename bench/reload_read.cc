// Benchmark: vigild's part of a reload — read and check the configuration file (LoadConfig
// with the system pass, as the supervisor's reload) and encode its model for the engines
// (whole, and without the virtual servers) — --runs times in one process, as a running
// vigild does it again at every SIGHUP (its heap already used by the earlier reloads).
// Then decodes the whole model --runs times (the checker engine's part before its apply).
// Prints each run's CPU time (this process) and the best, median and maximum.
//
//   bench_reload_read FILE [RUNS]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "config/file_system.h"
#include "config/load.h"
#include "config/system_check.h"
#include "model/codec.h"
#include "model/config.h"

namespace {

using namespace vigil;

double CpuMs() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [RUNS]\n", argv[0]);
    return 2;
  }
  const int runs = argc > 2 ? std::atoi(argv[2]) : 10;
  std::vector<double> cpu;
  model::Config running;  // the model of the run before, freed after the next run, as vigild
  size_t bytes = 0;
  std::string whole;
  for (int i = 0; i < runs; ++i) {
    const double start = CpuMs();
    config::RealFileSystem fs;
    config::HostSystemInfo system;
    config::Loaded l = config::LoadConfig(argv[1], config::PreprocessOptions{}, fs, &system,
                                          config::SystemPass::kCheck);
    if (l.diags.HasErrors()) {
      std::fprintf(stderr, "%s", l.diags.FormatAll(l.files).c_str());
      return 1;
    }
    std::string encoded = model::EncodeConfig(l.config);
    std::vector<model::VirtualServer> servers = std::move(l.config.virtual_servers);
    l.config.virtual_servers.clear();
    std::string without = model::EncodeConfig(l.config);
    l.config.virtual_servers = std::move(servers);
    cpu.push_back(CpuMs() - start);
    bytes = encoded.size() + without.size();
    whole = std::move(encoded);
    running = std::move(l.config);
    std::printf("run %d: %.1f ms CPU\n", i + 1, cpu.back());
  }
  std::vector<double> decode;
  model::Config decoded;
  for (int i = 0; i < runs; ++i) {
    const double start = CpuMs();
    auto c = model::DecodeConfig(whole);
    if (!c) {
      std::fprintf(stderr, "%s\n", c.error().ToString().c_str());
      return 1;
    }
    decode.push_back(CpuMs() - start);
    decoded = std::move(*c);
  }
  auto print = [](const char* what, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::printf("%s: best %.1f / median %.1f / max %.1f ms CPU\n", what, v.front(),
                v[v.size() / 2], v.back());
  };
  std::printf("encoded: %zu bytes (both)\n", bytes);
  print("read, check and encode", cpu);
  print("decode", decode);
  return 0;
}
