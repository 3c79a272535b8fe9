// bench_lb_apply: times vigil's load-balancer layer (lb::LoadBalancer over the nftables
// backend as vigild builds it: libnftables for the table's structure, netlink batches for
// real-server changes) applying N virtual servers x M real servers to an empty
// `table inet vigil`, then changing one real server's weight, adding and removing one real
// server (each as vigild's checker engine hands it over: the desired state and the one
// service that changed, LoadBalancer::ApplyChanged; the weight change also as a whole-state
// Apply, the path every change took before), and shutting down. Runs in a fresh network namespace of its own (unshare) unless
// --no-unshare. Prints one JSON object on stdout; bench/lb_apply.py prints the table.
//
//   bench_lb_apply [--services N] [--reals M] [--scheduler wrr] [--repeat K]
//                  [--dump FILE] [--change-commands FILE] [--no-unshare] [--no-watch]
//
// --dump writes `nft list table inet vigil` after the first apply (the reference loads it
// with `nft -f`); --change-commands writes the nft text of the weight change (what the
// libnftables path would run: nft::RenderOps). The load balancer watches nftables events as
// vigild's does (the kernel then reports every change it commits); --no-watch leaves that out.
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lb/load_balancer.h"
#include "lb/nftables_backend.h"
#include "lb/state.h"

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// One libnftables call as seen by the bench.
struct Call {
  bool json = false;
  size_t bytes_in = 0;
  size_t bytes_out = 0;
  double seconds = 0;
  std::string text;
};

// Forwards to libnftables and records every call's text and duration.
class TimingRunner final : public vigil::lb::NftRunner {
 public:
  explicit TimingRunner(std::vector<Call>* calls) : calls_(calls) {}

  vigil::Result<std::string> Run(std::string_view commands, bool json) override {
    const auto t0 = Clock::now();
    auto out = inner_.Run(commands, json);
    calls_->push_back(Call{json, commands.size(), out ? out->size() : 0, SecondsSince(t0),
                           std::string(commands)});
    return out;
  }

 private:
  vigil::lb::LibNftablesRunner inner_;
  std::vector<Call>* calls_;
};

// Forwards to a netlink socket and records every batch's size and duration.
class TimingBatches final : public vigil::lb::NftBatchRunner {
 public:
  TimingBatches(std::unique_ptr<vigil::lb::NetlinkBatchRunner> inner, std::vector<Call>* calls)
      : inner_(std::move(inner)), calls_(calls) {}

  vigil::Result<void> Commit(const vigil::lb::nft::Batch& batch) override {
    const auto t0 = Clock::now();
    auto r = inner_->Commit(batch);
    calls_->push_back(Call{false, batch.bytes.size(), 0, SecondsSince(t0), ""});
    return r;
  }

 private:
  std::unique_ptr<vigil::lb::NetlinkBatchRunner> inner_;
  std::vector<Call>* calls_;
};

vigil::lb::IpAddress Ipv4(uint32_t host_order) {
  const uint8_t b[4] = {static_cast<uint8_t>(host_order >> 24),
                        static_cast<uint8_t>(host_order >> 16),
                        static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)};
  return vigil::lb::IpAddress::FromBytes(vigil::lb::Family::kIpv4, b);
}

vigil::lb::Service MakeService(int v, vigil::lb::Scheduler scheduler) {
  vigil::lb::Service s;
  s.key = vigil::lb::AddressKey{vigil::lb::Protocol::kTcp,
                                Ipv4((10u << 24) | (200u << 16) | static_cast<uint32_t>(v)), 80};
  s.scheduler = scheduler;
  return s;
}

vigil::lb::Destination MakeDestination(int n, uint32_t weight) {
  vigil::lb::Destination d;
  d.key = vigil::lb::DestinationKey{Ipv4((10u << 24) | (201u << 16) | static_cast<uint32_t>(n)),
                                    8080};
  d.weight = weight;
  d.forwarding = vigil::lb::Forwarding::kNat;
  return d;
}

vigil::lb::State MakeState(int services, int reals, vigil::lb::Scheduler scheduler) {
  vigil::lb::State state;
  for (int v = 0; v < services; ++v) {
    const auto service = MakeService(v, scheduler);
    state.Put(service);
    for (int r = 0; r < reals; ++r) {
      state.PutDestination(service.key, MakeDestination(v * reals + r, 1));
    }
  }
  return state;
}

// Summary of the calls made since index `from`.
std::string CallsJson(const std::vector<Call>& calls, size_t from) {
  std::string out = "[";
  for (size_t i = from; i < calls.size(); ++i) {
    const Call& c = calls[i];
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s{\"json\":%s,\"bytes_in\":%zu,\"bytes_out\":%zu,\"s\":%.6f}",
                  i == from ? "" : ",", c.json ? "true" : "false", c.bytes_in, c.bytes_out,
                  c.seconds);
    out += buf;
  }
  return out + "]";
}

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "bench_lb_apply: " << what << "\n";
  std::exit(1);
}

struct Args {
  int services = 100;
  int reals = 100;
  int repeat = 5;
  std::string scheduler = "wrr";
  std::string dump;
  std::string change_commands;
  bool unshare = true;
  bool watch = true;
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string_view k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value after " + std::string(k));
      return argv[++i];
    };
    if (k == "--services") {
      a.services = std::atoi(value().c_str());
    } else if (k == "--reals") {
      a.reals = std::atoi(value().c_str());
    } else if (k == "--repeat") {
      a.repeat = std::max(1, std::atoi(value().c_str()));
    } else if (k == "--scheduler") {
      a.scheduler = value();
    } else if (k == "--dump") {
      a.dump = value();
    } else if (k == "--change-commands") {
      a.change_commands = value();
    } else if (k == "--no-unshare") {
      a.unshare = false;
    } else if (k == "--no-watch") {
      a.watch = false;
    } else {
      Die("unknown argument " + std::string(k));
    }
  }
  if (a.services < 1 || a.services > 65535 || a.reals < 1 || a.services * a.reals > 65535) {
    Die("need 1 <= services, 1 <= reals, services x reals <= 65535");
  }
  return a;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

double BatchMedian(const std::vector<Call>& calls) {
  std::vector<double> s;
  for (const Call& c : calls) s.push_back(c.seconds);
  return s.empty() ? 0 : Median(s);
}

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  if (args.unshare && unshare(CLONE_NEWNET) != 0) {
    Die(std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno) + " (needs root)");
  }
  const auto scheduler = vigil::lb::ParseScheduler(args.scheduler);
  if (!scheduler) Die("unknown scheduler " + args.scheduler);

  std::vector<Call> calls, batches;
  auto t_build = Clock::now();
  vigil::lb::State desired = MakeState(args.services, args.reals, *scheduler);
  const double build_s = SecondsSince(t_build);

  auto socket = vigil::lb::NetlinkBatchRunner::Open();
  if (!socket) Die("netlink: " + socket.error().ToString());
  auto backend = std::make_unique<vigil::lb::NftablesBackend>(
      std::make_unique<TimingRunner>(&calls), vigil::lb::nft::Options{},
      std::make_unique<TimingBatches>(std::move(*socket), &batches));
  // As vigild: subscribed to nftables events, so the kernel reports every change.
  if (args.watch) {
    if (auto w = backend->Watch(); !w) Die("watch: " + w.error().ToString());
  }
  vigil::lb::LoadBalancer lb(std::move(backend), vigil::lb::LoadBalancerOptions{});

  // 1. Everything into an empty table.
  auto t0 = Clock::now();
  auto first = lb.Apply(desired);
  const double first_s = SecondsSince(t0);
  if (!first) Die("first apply: " + first.error().ToString());
  const std::string first_calls = CallsJson(calls, 0);
  size_t first_bytes = 0;
  for (const Call& c : calls) first_bytes += c.json ? 0 : c.bytes_in;

  if (!args.dump.empty()) {
    const std::string cmd = "nft list table inet vigil > '" + args.dump + "'";
    if (std::system(cmd.c_str()) != 0) Die("could not dump the table");
  }

  // 2. One real server's weight changes (and back), `repeat` times each way: as the engine
  // hands it over (the one service that changed), then as a whole desired state.
  const auto svc_key = desired.services.begin()->first;
  const std::set<vigil::lb::ServiceKey> changed = {svc_key};
  const int mid = args.reals / 2;
  std::vector<double> weight_s, weight_batch_s, weight_whole_s;
  std::string change_text;
  size_t change_ops = 0, change_bytes = 0, text_calls = calls.size();
  for (int i = 0; i < 2 * args.repeat; ++i) {
    const vigil::lb::State before = desired;
    desired.PutDestination(svc_key, MakeDestination(mid, i % 2 == 0 ? 2 : 1));
    const size_t batches_before = batches.size();
    auto t = Clock::now();
    auto r = lb.ApplyChanged(desired, changed);
    weight_s.push_back(SecondsSince(t));
    if (!r) Die("weight change: " + r.error().ToString());
    change_ops = r->size();
    if (batches.size() != batches_before + 1) Die("a weight change was not one batch");
    change_bytes = batches.back().bytes_in;
    weight_batch_s.push_back(batches.back().seconds);
    if (i == 0) {
      auto text = vigil::lb::nft::RenderOps(vigil::lb::Reconcile(desired, before), desired,
                                            before, vigil::lb::nft::Options{});
      if (text) change_text = *text;
    }
  }
  for (int i = 0; i < 2 * args.repeat; ++i) {
    desired.PutDestination(svc_key, MakeDestination(mid, i % 2 == 0 ? 2 : 1));
    auto t = Clock::now();
    auto r = lb.Apply(desired);
    weight_whole_s.push_back(SecondsSince(t));
    if (!r) Die("weight change (whole state): " + r.error().ToString());
  }
  if (calls.size() != text_calls) Die("a weight change went through libnftables");
  if (!args.change_commands.empty()) {
    std::ofstream(args.change_commands) << change_text;
  }

  // 3. One real server removed, then added back.
  std::vector<double> remove_s, add_s, remove_batch_s, add_batch_s;
  const vigil::lb::Destination extra = MakeDestination(mid, 1);
  for (int i = 0; i < args.repeat; ++i) {
    vigil::lb::State smaller = desired;
    smaller.services.at(svc_key).destinations.erase(extra.key);
    auto t = Clock::now();
    auto r = lb.ApplyChanged(smaller, changed);
    remove_s.push_back(SecondsSince(t));
    if (!r) Die("remove: " + r.error().ToString());
    remove_batch_s.push_back(batches.back().seconds);
    t = Clock::now();
    r = lb.ApplyChanged(desired, changed);
    add_s.push_back(SecondsSince(t));
    if (!r) Die("add: " + r.error().ToString());
    add_batch_s.push_back(batches.back().seconds);
  }
  if (calls.size() != text_calls) Die("a removal or an addition went through libnftables");

  // 3b. Every tenth real server of every service fails at once (mass_failure.py's change,
  // as one pass of the engine hands it over), then they all come back.
  std::set<vigil::lb::ServiceKey> all;
  vigil::lb::State failed = desired;
  for (auto& [key, entry] : failed.services) {
    all.insert(key);
    size_t n = 0;
    for (auto it = entry.destinations.begin(); it != entry.destinations.end(); ++n) {
      it = n % 10 == 0 ? entry.destinations.erase(it) : std::next(it);
    }
  }
  size_t mass = 0;
  for (const auto& [key, entry] : desired.services) {
    mass += entry.destinations.size() - failed.services.at(key).destinations.size();
  }
  auto t_mass = Clock::now();
  auto r_mass = lb.ApplyChanged(failed, all);
  const double mass_fail_s = SecondsSince(t_mass);
  if (!r_mass) Die("mass failure: " + r_mass.error().ToString());
  const double mass_fail_batch_s = batches.back().seconds;
  t_mass = Clock::now();
  r_mass = lb.ApplyChanged(desired, all);
  const double mass_back_s = SecondsSince(t_mass);
  if (!r_mass) Die("mass return: " + r_mass.error().ToString());
  const double mass_back_batch_s = batches.back().seconds;
  if (calls.size() != text_calls) Die("the mass failure went through libnftables");

  // 4. A fresh LoadBalancer adopting the full table (a restart: reads and parses it).
  std::vector<Call> calls2;
  double adopt_s = 0;
  {
    vigil::lb::LoadBalancer again(
        std::make_unique<vigil::lb::NftablesBackend>(std::make_unique<TimingRunner>(&calls2),
                                                     vigil::lb::nft::Options{}),
        vigil::lb::LoadBalancerOptions{});
    auto t = Clock::now();
    auto r = again.Apply(desired);
    adopt_s = SecondsSince(t);
    if (!r) Die("adopting apply: " + r.error().ToString());
    if (!r->empty()) Die("adopting apply changed " + std::to_string(r->size()) + " things");
  }

  // 5. Shutdown: the whole table goes.
  t0 = Clock::now();
  auto down = lb.Shutdown();
  const double shutdown_s = SecondsSince(t0);
  if (!down) Die("shutdown: " + down.error().ToString());

  std::printf(
      "{\"services\":%d,\"reals\":%d,\"scheduler\":\"%s\",\"build_state_s\":%.6f,"
      "\"first_apply_s\":%.6f,\"first_ops\":%zu,\"first_nft_bytes\":%zu,\"first_calls\":%s,"
      "\"weight_change_median_s\":%.6f,\"weight_change_min_s\":%.6f,\"weight_change_max_s\":%.6f,"
      "\"weight_change_ops\":%zu,\"weight_change_nft_bytes\":%zu,\"weight_change_batch_bytes\":%zu,"
      "\"batches\":%zu,\"batch_median_s\":%.6f,\"weight_batch_median_s\":%.6f,"
      "\"weight_change_whole_median_s\":%.6f,"
      "\"remove_one_median_s\":%.6f,\"add_one_median_s\":%.6f,"
      "\"remove_batch_median_s\":%.6f,\"add_batch_median_s\":%.6f,"
      "\"mass\":%zu,\"mass_fail_s\":%.6f,\"mass_fail_batch_s\":%.6f,\"mass_back_s\":%.6f,"
      "\"mass_back_batch_s\":%.6f,"
      "\"adopt_s\":%.6f,\"adopt_calls\":%s,\"shutdown_s\":%.6f}\n",
      args.services, args.reals, args.scheduler.c_str(), build_s, first_s, first->size(),
      first_bytes, first_calls.c_str(), Median(weight_s),
      *std::min_element(weight_s.begin(), weight_s.end()),
      *std::max_element(weight_s.begin(), weight_s.end()), change_ops, change_text.size(),
      change_bytes, batches.size(), BatchMedian(batches), Median(weight_batch_s),
      Median(weight_whole_s), Median(remove_s), Median(add_s), Median(remove_batch_s),
      Median(add_batch_s), mass, mass_fail_s, mass_fail_batch_s, mass_back_s, mass_back_batch_s,
      adopt_s, CallsJson(calls2, 0).c_str(), shutdown_s);
  return 0;
}
