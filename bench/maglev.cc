// bench_maglev: the cost and the disruption of mh's Maglev table (lb/maglev.h) and of the
// nftables backend's use of it. Pure user space (no kernel objects); prints one JSON object
// on stdout, bench/maglev.py prints the table.
//
//   bench_maglev [--repeat K]
//
// - build: maglev::BuildTable for 1,000 real servers at 65,537 entries (the Maglev paper's
//   figure: 1.8 ms), at the size vigil picks for 1,000 (maglev::TableSize), and for 100;
//   the minimum and median of K runs, in ms.
// - disruption: for each of 100 real servers in turn, the share of the 65,537 entries (so
//   of uniformly spread flows) whose server changes when it is removed; also the share that
//   moves between servers that stay.
// - batch: nft::BuildBatch for one of 100 real servers failing in an mh service (what
//   vigild sends the kernel): ms, bytes, and the element changes in it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lb/maglev.h"
#include "lb/nft_batch.h"
#include "lb/nft_render.h"
#include "lb/reconciler.h"
#include "lb/state.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace maglev = vigil::lb::maglev;

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// 10.<i/250>.<i%250>.1:80.
vigil::lb::DestinationKey Key(size_t i) {
  auto a = vigil::lb::IpAddress::Parse("10." + std::to_string(i / 250) + "." +
                                       std::to_string(i % 250) + ".1");
  return {*a, 80};
}

std::vector<maglev::Server> Servers(size_t n) {
  std::vector<maglev::Server> out;
  for (size_t i = 0; i < n; ++i) out.push_back({Key(i), 1});
  return out;
}

struct Stats {
  double min = 0, median = 0;
};

template <typename F>
Stats Time(int repeat, F&& f) {
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    const auto t0 = Clock::now();
    f();
    ms.push_back(MsSince(t0));
  }
  std::sort(ms.begin(), ms.end());
  return {ms.front(), ms[ms.size() / 2]};
}

std::string Json(const char* name, const Stats& s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "\"%s\": {\"min_ms\": %.3f, \"median_ms\": %.3f}", name, s.min,
                s.median);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 21;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: bench_maglev [--repeat K]\n");
      return 2;
    }
  }
  std::vector<std::string> out;
  const std::vector<maglev::Server> thousand = Servers(1000), hundred = Servers(100);
  size_t sink = 0;
  out.push_back(Json("build_1000_at_65537",
                     Time(repeat, [&] { sink += maglev::BuildTable(thousand, 65537).size(); })));
  const uint32_t size_1000 = maglev::TableSize(1000);
  out.push_back(Json("build_1000_at_vigil_size", Time(repeat, [&] {
                       sink += maglev::BuildTable(thousand, size_1000).size();
                     })));
  out.push_back("\"vigil_size_1000\": " + std::to_string(size_1000));
  out.push_back(Json("build_100_at_65537",
                     Time(repeat, [&] { sink += maglev::BuildTable(hundred, 65537).size(); })));

  // Disruption: each of 100 removed in turn.
  const std::vector<uint32_t> base = maglev::BuildTable(hundred, 65537);
  double moved_min = 1, moved_max = 0, moved_sum = 0, others_max = 0, others_sum = 0;
  for (size_t gone = 0; gone < hundred.size(); ++gone) {
    std::vector<maglev::Server> fewer = hundred;
    fewer.erase(fewer.begin() + static_cast<long>(gone));
    const std::vector<uint32_t> t = maglev::BuildTable(fewer, 65537);
    size_t moved = 0, others = 0;
    for (size_t e = 0; e < base.size(); ++e) {
      const auto& was = hundred[base[e]].key;
      const auto& now = fewer[t[e]].key;
      if (was != now) {
        ++moved;
        if (was != hundred[gone].key) ++others;
      }
    }
    const double share = static_cast<double>(moved) / static_cast<double>(base.size());
    const double other_share = static_cast<double>(others) / static_cast<double>(base.size());
    moved_min = std::min(moved_min, share);
    moved_max = std::max(moved_max, share);
    moved_sum += share;
    others_max = std::max(others_max, other_share);
    others_sum += other_share;
  }
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "\"remove_1_of_100\": {\"moved_mean\": %.5f, \"moved_min\": %.5f, \"moved_max\": "
                "%.5f, \"between_others_mean\": %.5f, \"between_others_max\": %.5f}",
                moved_sum / 100, moved_min, moved_max, others_sum / 100, others_max);
  out.push_back(buf);

  // The batch vigild sends when one of 100 fails.
  using namespace vigil::lb;
  State have;
  Service mh;
  mh.key = AddressKey{Protocol::kTcp, *IpAddress::Parse("10.0.0.1"), 80};
  mh.scheduler = Scheduler::kMh;
  have.Put(mh);
  for (const auto& s : hundred) {
    Destination d;
    d.key = s.key;
    have.PutDestination(mh.key, d);
  }
  State want = have;
  want.services.at(mh.key).destinations.erase(hundred[42].key);
  const auto ops = Reconcile(want, have);
  size_t bytes = 0, steps = 0;
  const Stats batch = Time(repeat, [&] {
    auto b = nft::BuildBatch(ops, want, have, nft::Options{});
    bytes = b ? b->bytes.size() : 0;
    steps = b ? b->steps.size() : 0;
  });
  const auto before = nft::Slots(*have.Find(mh.key)), after = nft::Slots(*want.Find(mh.key));
  size_t changed = 0;
  for (size_t i = 0; i < before.size(); ++i) changed += before[i] != after[i];
  std::snprintf(buf, sizeof buf,
                "\"batch_remove_1_of_100\": {\"min_ms\": %.3f, \"median_ms\": %.3f, \"bytes\": "
                "%zu, \"messages\": %zu, \"elements_changed\": %zu}",
                batch.min, batch.median, bytes, steps, changed);
  out.push_back(buf);
  const Stats render = Time(std::max(1, repeat / 4), [&] {
    auto text = nft::RenderOps(Reconcile(have, State{}), have, State{}, nft::Options{});
    bytes = text ? text->size() : 0;
  });
  out.push_back(Json("render_first_apply_100", render));

  std::printf("{");
  for (size_t i = 0; i < out.size(); ++i) std::printf("%s%s", i ? ", " : "", out[i].c_str());
  std::printf(", \"repeat\": %d, \"sink\": %zu}\n", repeat, sink % 2);
  return 0;
}
