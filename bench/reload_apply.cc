// Benchmark: the checker engine's Reload alone, on the nftables backend, in a network
// namespace of its own (unshare; needs root). Reads three configurations (reload_scale.py's
// "same" file, its "one weight" and its "one server more"), starts the engine on the first
// with probes that never answer (every real server stays as it started: up), then reloads
// --runs times: same, one weight, back, one server more, back. Prints each reload's CPU time
// (this thread) and wall time, then the medians. The figure is what the engine's "reloaded"
// line calls "applied in", without the configuration's reading.
//
//   bench_reload_apply SAME.conf WEIGHT.conf MORE.conf [RUNS]
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "check/engine.h"
#include "config/file_system.h"
#include "config/load.h"

namespace {

using namespace vigil;

double Ms(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

bool Load(const char* path, model::Config& out) {
  config::RealFileSystem fs;
  config::Loaded l = config::LoadConfig(path, config::PreprocessOptions{}, fs, nullptr,
                                        config::SystemPass::kNone);
  if (l.diags.HasErrors()) {
    std::fprintf(stderr, "%s", l.diags.FormatAll(l.files).c_str());
    return false;
  }
  out = std::move(l.config);
  return true;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SAME.conf WEIGHT.conf MORE.conf [RUNS]\n", argv[0]);
    return 2;
  }
  const int runs = argc > 4 ? std::atoi(argv[4]) : 5;
  if (::unshare(CLONE_NEWNET) != 0) {
    std::perror("unshare(CLONE_NEWNET) (needs root)");
    return 1;
  }
  std::vector<model::Config> configs(3);
  for (int i = 0; i < 3; ++i)
    if (!Load(argv[i + 1], configs[i])) return 1;

  asio::io_context io;
  check::EngineSeams seams;
  seams.run_probe = [](const check::ProbeSpec&, Duration, check::ProbeMemo*,
                       check::ProbeCallback) { return check::ProbeTicket{0}; };
  seams.cancel_probe = [](check::ProbeTicket) {};
  seams.resolve_user = [](const std::string&, const std::optional<std::string>&)
      -> Result<std::pair<uid_t, gid_t>> { return std::make_pair(uid_t{0}, gid_t{0}); };
  check::EngineOptions options;
  options.lock_dir = "/tmp";
  auto engine = check::MakeEngine(io, options, std::move(seams));
  const double start = Ms(CLOCK_THREAD_CPUTIME_ID);
  if (auto r = engine->Start(configs[0]); !r) {
    std::fprintf(stderr, "start: %s\n", r.error().ToString().c_str());
    return 1;
  }
  std::printf("start: %.0f ms CPU\n", Ms(CLOCK_THREAD_CPUTIME_ID) - start);
  io.poll();

  const char* names[] = {"same", "one weight", "back", "one server more", "back"};
  const int which[] = {0, 1, 0, 2, 0};
  std::map<std::string, std::vector<double>> cpu;
  for (int run = 0; run < runs; ++run) {
    for (int k = 0; k < 5; ++k) {
      model::Config config = configs[which[k]];  // the engine gets a model of its own
      const double c0 = Ms(CLOCK_THREAD_CPUTIME_ID), w0 = Ms(CLOCK_MONOTONIC);
      auto r = engine->Reload(config);
      const double c1 = Ms(CLOCK_THREAD_CPUTIME_ID), w1 = Ms(CLOCK_MONOTONIC);
      io.poll();  // what the reload retired is freed after it, as on the engine's loop
      std::printf("%-16s %6.1f ms CPU %6.1f ms wall  %s\n", names[k], c1 - c0, w1 - w0,
                  r ? r->c_str() : r.error().ToString().c_str());
      if (!r) return 1;
      if (k != 2 && k != 4) cpu[names[k]].push_back(c1 - c0);
    }
  }
  for (const char* name : {"same", "one weight", "one server more"})
    std::printf("median %-16s %6.1f ms CPU\n", name, Median(cpu[name]));
  return 0;
}
