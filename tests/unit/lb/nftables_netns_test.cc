// Runs the real libnftables inside a fresh network namespace (never the host's ruleset):
// applies states, reads them back through `list table` JSON, and sends real connections
// through the table on the namespace's loopback.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <vector>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "base/unique_fd.h"
#include "lb/load_balancer.h"
#include "lb/nftables_backend.h"
#include "test_util.h"

namespace vigil::lb {
namespace {

using testing::Dest;
using testing::Fwmark;
using testing::Tcp;

struct ChildResult {
  bool namespace_ok = false;  // false: could not create the namespace (reason in `text`)
  int status = -1;
  std::string text;
};

// Forks; the child enters a new network namespace, runs `body` and sends back its string.
ChildResult RunInFreshNetns(const std::function<std::string()>& body) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return {false, -1, "pipe2 failed"};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    int code = 0;
    if (unshare(CLONE_NEWNET) != 0) {
      out = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      code = 77;
    } else {
      out = body();
    }
    for (size_t done = 0; done < out.size();) {
      ssize_t n = write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    _exit(code);
  }
  close(fds[1]);
  ChildResult r;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
    r.text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  waitpid(pid, &r.status, 0);
  r.namespace_ok = !(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 77);
  return r;
}

#define RUN_IN_NETNS_OR_SKIP(result, body)                                           \
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace";    \
  ChildResult result = RunInFreshNetns(body);                                        \
  if (!result.namespace_ok) GTEST_SKIP() << "no network namespace: " << result.text; \
  ASSERT_TRUE(WIFEXITED(result.status) && WEXITSTATUS(result.status) == 0) << result.text

// Applies `want` on top of what the backend reads and returns the read-back (or the error).
std::string Converge(NftablesBackend& backend, const State& want) {
  auto have = backend.Read();
  if (!have) return "read: " + have.error().ToString();
  auto ops = Reconcile(want, *have);
  if (auto r = backend.Apply(ops, want, *have); !r) return "apply: " + r.error().ToString();
  auto after = backend.Read();
  if (!after) return "read back: " + after.error().ToString();
  if (*after != want) return "read back differs:\n" + ToString(*after) + "want:\n" + ToString(want);
  return "ok";
}

// The device lookup of a fresh namespace, which has only lo: every real server's device.
std::map<IpAddress, std::string> OnLoopback(const State& state) {
  std::map<IpAddress, std::string> out;
  for (const auto& [key, entry] : state.services) {
    for (const auto& [dk, d] : entry.destinations) out[dk.address] = "lo";
  }
  return out;
}

State Sample() {
  State s;
  Service web = Tcp("10.0.0.1", 80, Scheduler::kWrr);
  s.Put(web);
  s.PutDestination(web.key, Dest("10.1.0.1", 8080, 3));
  s.PutDestination(web.key, Dest("10.1.0.2", 8080, 1));
  s.PutDestination(web.key, Dest("10.1.0.3", 8080, 0));
  Service sticky = Tcp("fd00::1", 443, Scheduler::kSh);
  sticky.persistence_timeout = 300;
  sticky.persistence_prefix = 64;
  s.Put(sticky);
  s.PutDestination(sticky.key, Dest("fd00::10", 443));
  s.PutDestination(sticky.key, Dest("fd00::11", 443, 2));
  Service marked = Fwmark(7, Scheduler::kRandom);
  s.Put(marked);
  s.PutDestination(marked.key, Dest("10.1.0.9", 0));
  return s;
}

TEST(NftablesNetnsTest, AppliesAndReadsBackExactly) {
  RUN_IN_NETNS_OR_SKIP(result, [] {
    NftablesBackend backend(std::make_unique<LibNftablesRunner>(),
                            nft::Options{.masquerade = true});
    std::string r = Converge(backend, Sample());
    if (r != "ok") return r;
    LibNftablesRunner nft;
    auto chain = nft.Run("list chain inet vigil s_tcp_10.0.0.1_80", false);
    auto map = nft.Run("list map inet vigil v_tcp_10.0.0.1_80", false);
    return chain && map ? *chain + *map : "list failed";
  });
  EXPECT_EQ(result.text,
            "table inet vigil {\n"
            "\tchain s_tcp_10.0.0.1_80 {\n"
            "\t\tmeta l4proto tcp dnat ip to numgen inc mod 4 map @v_tcp_10.0.0.1_80\n"
            "\t\tdrop comment \"vigil-svc tcp 10.0.0.1 80 wrr 0 0 -\"\n"
            "\t}\n"
            "}\n"
            "table inet vigil {\n"
            "\tmap v_tcp_10.0.0.1_80 {\n"
            "\t\ttypeof numgen inc mod 1 : ip daddr . tcp dport\n"
            "\t\telements = { 0 comment \"vigil-dst tcp 10.0.0.1 80 10.1.0.1 8080 3\" : 10.1.0.1 "
            ". 8080, 1 comment \"vigil-dst tcp 10.0.0.1 80 10.1.0.2 8080 1\" : 10.1.0.2 . 8080, "
            "2 : 10.1.0.1 . 8080, 3 : 10.1.0.1 . 8080 }\n"
            "\t}\n"
            "}\n");
}

// DR services: converge, lose every real server (the service moves to the inet table, the
// netdev table goes), come back, audit clean at each step, and tear down both tables.
std::string DirectRouteSteps() {
    NftablesBackend backend(std::make_unique<LibNftablesRunner>(), nft::Options{});
    backend.set_device_lookup(OnLoopback);
    backend.set_hook_devices([] { return std::vector<std::string>{"lo", "gone0"}; });
    Service svc = Tcp("10.0.0.1", 80, Scheduler::kSh);
    Destination a = Dest("10.1.0.1", 80), b = Dest("10.1.0.2", 80, 2);
    a.forwarding = b.forwarding = Forwarding::kDirectRoute;
    State dr;
    dr.Put(svc);
    dr.PutDestination(svc.key, a);
    dr.PutDestination(svc.key, b);
    dr.Put(Tcp("10.0.0.2", 80));
    dr.PutDestination(Tcp("10.0.0.2", 80).key, Dest("10.1.0.3", 80));
    State none = dr;
    none.services.at(svc.key).destinations.clear();
    for (const State* step : {&dr, &none, &dr}) {
      if (std::string r = Converge(backend, *step); r != "ok") return r;
      auto findings = backend.Audit(*step);
      if (!findings) return "audit: " + findings.error().ToString();
      for (const std::string& f : *findings) return "audit: " + f;
    }
    LibNftablesRunner nft;
    auto chain = nft.Run("list chain netdev vigil d_tcp_10.0.0.1_80_10.1.0.2_80", false);
    auto hook = nft.Run("list chain netdev vigil ingress", false);
    if (!chain || !hook) return std::string("list failed");
    std::string out = *chain + *hook;
    if (auto r = backend.Teardown(); !r) return "teardown: " + r.error().ToString();
    auto netdev = nft.Run("list table netdev vigil", false);
    return out + (netdev                                        ? "netdev table left"
                  : netdev.error().code() == ErrorCode::kNotFound ? "netdev table gone"
                                                                  : netdev.error().ToString());
}

TEST(NftablesNetnsTest, DirectRoutedServicesConvergeMoveAndAuditClean) {
  RUN_IN_NETNS_OR_SKIP(result, DirectRouteSteps);
  EXPECT_EQ(result.text,
            "table netdev vigil {\n"
            "\tchain d_tcp_10.0.0.1_80_10.1.0.2_80 {\n"
            "\t\tfwd ip to 10.1.0.2 device \"lo\" comment \"vigil-dst tcp 10.0.0.1 80 10.1.0.2 80 2\"\n"
            "\t}\n"
            "}\n"
            "table netdev vigil {\n"
            "\tchain ingress {\n"
            "\t\ttype filter hook ingress devices = { gone0, lo } priority filter; policy accept;\n"
            "\t\tmeta pkttype host meta l4proto . ip daddr . th dport vmap @dr4\n"
            "\t\tmeta pkttype host meta l4proto . ip6 daddr . th dport vmap @dr6\n"
            "\t}\n"
            "}\n"
            "netdev table gone");
}

// Returns the JSON rule objects (with handles) of `chain`, as text.
std::string ChainRules(NftRunner& nft, const std::string& chain) {
  auto out = nft.Run("list chain inet vigil " + chain, true);
  if (!out) return out.error().ToString();
  auto doc = nlohmann::json::parse(*out);
  std::string rules;
  for (const auto& item : doc["nftables"]) {
    if (item.contains("rule")) rules += item["rule"].dump() + "\n";
  }
  return rules;
}

TEST(NftablesNetnsTest, IncrementalChangesConvergeAndLeaveOtherServicesUntouched) {
  RUN_IN_NETNS_OR_SKIP(result, [] {
    NftablesBackend backend(std::make_unique<LibNftablesRunner>(),
                            nft::Options{.masquerade = true});
    LibNftablesRunner nft;
    State s = Sample();
    if (auto r = Converge(backend, s); r != "ok") return "initial: " + r;
    std::string other_before =
        ChainRules(nft, "s_tcp_fd00--1_443") + ChainRules(nft, "d_tcp_fd00--1_443_fd00--10_443");

    // One weight change, then a removal, an addition, a persistence change, a delete.
    ServiceKey web = Tcp("10.0.0.1", 80).key;
    s.PutDestination(web, Dest("10.1.0.3", 8080, 5));
    if (auto r = Converge(backend, s); r != "ok") return "weight: " + r;
    if (ChainRules(nft, "s_tcp_fd00--1_443") + ChainRules(nft, "d_tcp_fd00--1_443_fd00--10_443") !=
        other_before) {
      return std::string("a weight change in one service rewrote another");
    }
    s.services.at(web).destinations.erase(Dest("10.1.0.1", 8080).key);
    s.PutDestination(web, Dest("10.1.0.4", 8080));
    if (auto r = Converge(backend, s); r != "ok") return "swap: " + r;
    Service sticky = s.services.at(Tcp("fd00::1", 443).key).service;
    sticky.persistence_timeout = 60;
    sticky.persistence_prefix.reset();
    s.Put(sticky);
    if (auto r = Converge(backend, s); r != "ok") return "persistence: " + r;
    sticky.persistence_timeout = 0;
    s.Put(sticky);
    if (auto r = Converge(backend, s); r != "ok") return "no persistence: " + r;
    s.services.erase(Fwmark(7).key);
    if (auto r = Converge(backend, s); r != "ok") return "delete: " + r;
    // A fresh backend (as after a restart) reads the same state and needs no operations.
    NftablesBackend restarted(std::make_unique<LibNftablesRunner>(), nft::Options{});
    auto have = restarted.Read();
    if (!have || *have != s) return std::string("restart read differs");
    if (auto r = Converge(restarted, State{}); r != "ok") return "clear: " + r;
    if (auto r = restarted.Teardown(); !r) return "teardown: " + r.error().ToString();
    auto gone = nft.Run("list table inet vigil", false);
    if (gone || gone.error().code() != ErrorCode::kNotFound) return std::string("table survived");
    return std::string("ok");
  });
  EXPECT_EQ(result.text, "ok");
}

// ---------------------------------------------------------------------------------------
// Traffic through the table on the namespace's loopback: the VIP is 127.0.0.1:80, the
// destinations are listeners on 127.0.0.2:8080 and 127.0.0.3:8080, and locally originated
// connections pass the output nat hook.

bool LoopbackUp() {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(fd.get(), SIOCGIFFLAGS, &ifr) != 0) return false;
  ifr.ifr_flags |= IFF_UP;
  return ioctl(fd.get(), SIOCSIFFLAGS, &ifr) == 0;
}

UniqueFd Listen(const char* address, uint16_t port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, address, &sa.sin_addr);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return UniqueFd();
  if (listen(fd.get(), 64) != 0) return UniqueFd();
  return fd;
}

// Connects `n` times to 127.0.0.1:80 and returns which listener took each connection
// ("2" or "3"), or "x" for a refused or lost connection.
std::string Connections(int n, const UniqueFd& two, const UniqueFd& three) {
  std::string seen;
  for (int i = 0; i < n; ++i) {
    UniqueFd c(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(80);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int rc = connect(c.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    pollfd w{c.get(), POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if ((rc != 0 && errno != EINPROGRESS) || (rc != 0 && poll(&w, 1, 1000) != 1) ||
        getsockopt(c.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      seen += 'x';
      continue;
    }
    pollfd p[2] = {{two.get(), POLLIN, 0}, {three.get(), POLLIN, 0}};
    if (poll(p, 2, 2000) <= 0) {
      seen += 'x';
      continue;
    }
    const UniqueFd& ready = (p[0].revents & POLLIN) ? two : three;
    UniqueFd accepted(accept4(ready.get(), nullptr, nullptr, SOCK_CLOEXEC));
    seen += (&ready == &two) ? '2' : '3';
  }
  return seen;
}

std::string TrafficScenario() {
  if (!LoopbackUp()) return "lo up failed";
  UniqueFd two = Listen("127.0.0.2", 8080), three = Listen("127.0.0.3", 8080);
  if (!two || !three) return "listen failed";
  NftablesBackend backend(std::make_unique<LibNftablesRunner>(), nft::Options{});
  Service vip = Tcp("127.0.0.1", 80, Scheduler::kRr);
  State s;
  s.Put(vip);
  s.PutDestination(vip.key, Dest("127.0.0.2", 8080));
  s.PutDestination(vip.key, Dest("127.0.0.3", 8080));
  std::string out;
  if (auto r = Converge(backend, s); r != "ok") return r;
  out += "rr " + Connections(4, two, three) + "\n";
  vip.scheduler = Scheduler::kWrr;
  s.Put(vip);
  s.PutDestination(vip.key, Dest("127.0.0.2", 8080, 3));
  if (auto r = Converge(backend, s); r != "ok") return r;
  out += "wrr " + Connections(8, two, three) + "\n";
  s.PutDestination(vip.key, Dest("127.0.0.2", 8080, 0));  // inhibit_on_failure
  if (auto r = Converge(backend, s); r != "ok") return r;
  out += "weight0 " + Connections(3, two, three) + "\n";
  vip.scheduler = Scheduler::kRr;
  vip.persistence_timeout = 600;
  s.Put(vip);
  s.PutDestination(vip.key, Dest("127.0.0.2", 8080, 1));
  if (auto r = Converge(backend, s); r != "ok") return r;
  out += "persistent " + Connections(4, two, three) + "\n";
  s.PutDestination(vip.key, Dest("127.0.0.3", 8080, 0));
  s.PutDestination(vip.key, Dest("127.0.0.2", 8080, 0));
  if (auto r = Converge(backend, s); r != "ok") return r;
  out += "none " + Connections(1, two, three) + "\n";
  return out;
}

TEST(NftablesNetnsTest, ConnectionsFollowTheSchedulers) {
  RUN_IN_NETNS_OR_SKIP(result, TrafficScenario);
  EXPECT_EQ(result.text,
            "rr 2323\n"
            "wrr 23222322\n"  // weights 3 and 1, interleaved as IPVS wrr does
            "weight0 333\n"
            "persistent 2222\n"
            "none x\n");
}

}  // namespace
}  // namespace vigil::lb

namespace vigil::lb {
namespace {

std::string Lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

// Sample() and a DR service, which lives in `table netdev vigil`: tcp 10.0.0.5:80 (sh) to
// 10.1.0.5:80 and 10.1.0.6:80 (weight 2).
State DrSample() {
  State s = Sample();
  Service svc = Tcp("10.0.0.5", 80, Scheduler::kSh);
  Destination a = Dest("10.1.0.5", 80), b = Dest("10.1.0.6", 80, 2);
  a.forwarding = b.forwarding = Forwarding::kDirectRoute;
  s.Put(svc);
  s.PutDestination(svc.key, a);
  s.PutDestination(svc.key, b);
  return s;
}

// Applies `sample` through a LoadBalancer, damages the table with `damage` (nft command
// text run by someone else), and returns the audit's findings, the changes the monitor
// saw, and whether Restore brought back a table the audit finds whole.
std::string DamageAuditRestore(const std::string& damage, const State& sample = Sample()) {
  auto owned = std::make_unique<NftablesBackend>(std::make_unique<LibNftablesRunner>(),
                                                 nft::Options{.masquerade = true});
  NftablesBackend* backend = owned.get();
  backend->set_device_lookup(OnLoopback);
  backend->set_hook_devices([] { return std::vector<std::string>{"lo"}; });
  LoadBalancer lb(std::move(owned), {});
  if (auto w = backend->Watch(); !w) return "watch: " + w.error().ToString();
  if (auto r = lb.Apply(sample); !r) return "apply: " + r.error().ToString();
  std::string out = "own changes: " + Lines(backend->TakeChanges());
  auto clean = lb.Audit();
  if (!clean) return "audit: " + clean.error().ToString();
  out += "audit before: " + Lines(*clean);
  LibNftablesRunner someone;
  if (auto r = someone.Run(damage, false); !r) return "damage: " + r.error().ToString();
  std::string seen = Lines(backend->TakeChanges());
  // The process is the test binary: keep only what follows "(pid N):".
  for (size_t at; (at = seen.find(" (pid ")) != std::string::npos;) {
    size_t end = seen.find("):", at);
    seen.erase(at, end + 1 - at);
  }
  out += "seen: " + seen;
  auto found = lb.Audit();
  if (!found) return "audit: " + found.error().ToString();
  out += "audit: " + Lines(*found);
  // The same audit as a job on another thread, with its own libnftables context.
  auto ticket = lb.BeginAudit();
  if (!ticket || !ticket->job) return "no audit job";
  Result<std::vector<std::string>> away = std::vector<std::string>{};
  std::thread([&] { away = ticket->job(); }).join();
  if (!away) return "audit away: " + away.error().ToString();
  if (*away != *found) out += "audit away: " + Lines(*away);
  if (lb.FinishAudit(ticket->generation, *away) != *away) return "audit away dropped";
  if (auto r = lb.Restore("event"); !r) return "restore: " + r.error().ToString();
  out += "own restore: " + Lines(backend->TakeChanges());
  auto after = lb.Audit();
  if (!after) return "audit: " + after.error().ToString();
  out += "audit after: " + Lines(*after);
  out += "restorations: " + std::to_string(lb.restorations().at("event"));
  return out;
}

TEST(NftablesKeepTest, DeletedDispatchElementIsSeenAuditedAndRestored) {
  RUN_IN_NETNS_OR_SKIP(result, [] {
    return DamageAuditRestore("delete element inet vigil svc4 { tcp . 10.0.0.1 . 80 }");
  });
  EXPECT_EQ(result.text,
            "own changes: audit before: "
            "seen: table inet vigil changed by unit_lb: elements deleted 1 (svc4)\n"
            "audit: map svc4 lacks the element that goes to s_tcp_10.0.0.1_80\n"
            "own restore: audit after: restorations: 1");
}

TEST(NftablesKeepTest, FlushedChainIsSeenAuditedAndRestored) {
  RUN_IN_NETNS_OR_SKIP(result, [] {
    return DamageAuditRestore("flush chain inet vigil d_tcp_10.0.0.1_80_10.1.0.2_8080");
  });
  EXPECT_EQ(result.text,
            "own changes: audit before: "
            "seen: table inet vigil changed by unit_lb: rules deleted 1 "
            "(d_tcp_10.0.0.1_80_10.1.0.2_8080)\n"
            // (Its slot still sends clients to it and describes it: only the chain is amiss.)
            "audit: chain d_tcp_10.0.0.1_80_10.1.0.2_8080 has 0 rules, 1 expected\n"
            "own restore: audit after: restorations: 1");
}

TEST(NftablesKeepTest, DeletedTableIsSeenAuditedAndRestored) {
  RUN_IN_NETNS_OR_SKIP(result, [] { return DamageAuditRestore("delete table inet vigil"); });
  EXPECT_NE(result.text.find("seen: table inet vigil changed by unit_lb: chains deleted 13 ("),
            std::string::npos)
      << result.text;
  EXPECT_NE(result.text.find("audit: table inet vigil is missing\n"
                             "own restore: audit after: restorations: 1"),
            std::string::npos)
      << result.text;
}

// The same for `table netdev vigil` (DR): someone deletes the service's element of the
// dr4 dispatch map, or flushes one real server's d_ chain there.
TEST(NftablesKeepTest, DeletedDirectRouteElementIsSeenAuditedAndRestored) {
  RUN_IN_NETNS_OR_SKIP(result, [] {
    return DamageAuditRestore("delete element netdev vigil dr4 { tcp . 10.0.0.5 . 80 }",
                              DrSample());
  });
  EXPECT_EQ(result.text,
            "own changes: audit before: "
            "seen: table netdev vigil changed by unit_lb: elements deleted 1 (dr4)\n"
            "audit: map dr4 lacks the element that goes to s_tcp_10.0.0.5_80\n"
            "own restore: audit after: restorations: 1");
}

TEST(NftablesKeepTest, FlushedDirectRouteChainIsSeenAuditedAndRestored) {
  RUN_IN_NETNS_OR_SKIP(result, [] {
    return DamageAuditRestore("flush chain netdev vigil d_tcp_10.0.0.5_80_10.1.0.6_80",
                              DrSample());
  });
  EXPECT_EQ(result.text,
            "own changes: audit before: "
            "seen: table netdev vigil changed by unit_lb: rules deleted 1 "
            "(d_tcp_10.0.0.5_80_10.1.0.6_80)\n"
            // (A DR real server is described by its chain's rule: with the rule, the
            // description is gone too.)
            "audit: add-destination tcp 10.0.0.5:80 sh -> 10.1.0.6:80 DR weight=2 is needed\n"
            "chain d_tcp_10.0.0.5_80_10.1.0.6_80 has 0 rules, 1 expected\n"
            "own restore: audit after: restorations: 1");
}

TEST(NftablesKeepTest, UnreadableTableAtStartIsRebuilt) {
  RUN_IN_NETNS_OR_SKIP(result, [] {
    {
      LoadBalancer first(std::make_unique<NftablesBackend>(std::make_unique<LibNftablesRunner>(),
                                                           nft::Options{}),
                         LoadBalancerOptions{.keep_on_shutdown = true});
      if (auto r = first.Apply(Sample()); !r) return "apply: " + r.error().ToString();
    }
    LibNftablesRunner someone;
    if (auto r = someone.Run("flush chain inet vigil s_tcp_10.0.0.1_80", false); !r) {
      return "damage: " + r.error().ToString();
    }
    LoadBalancer second(std::make_unique<NftablesBackend>(std::make_unique<LibNftablesRunner>(),
                                                          nft::Options{}),
                        {});
    if (auto r = second.Apply(Sample()); !r) return "second apply: " + r.error().ToString();
    auto audit = second.Audit();
    if (!audit) return "audit: " + audit.error().ToString();
    return "audit: " + Lines(*audit) +
           "damaged: " + std::to_string(second.restorations().at("damaged"));
  });
  EXPECT_EQ(result.text, "audit: damaged: 1");
}

}  // namespace
}  // namespace vigil::lb

namespace vigil::lb {
namespace {

TEST(NftablesTableTest, EachInstanceHasItsOwnTable) {
  EXPECT_EQ(nft::TableName(std::nullopt), "vigil");
  EXPECT_EQ(nft::TableName(std::string("")), "vigil");
  EXPECT_EQ(nft::TableName(std::string("lb-2.east")), "vigil_lb-2.east");
  EXPECT_EQ(nft::TableName(std::string("a b;c")), "vigil_a_b_c");
  EXPECT_EQ(nft::RenderTeardown(nft::Options{.table = "vigil_b"}),
            "add table inet vigil_b\ndelete table inet vigil_b\n"
            "add table netdev vigil_b\ndelete table netdev vigil_b\n");
  EXPECT_EQ(nft::RenderSkeleton(nft::Options{.table = "vigil_b"}).find("inet vigil "),
            std::string::npos);
}

TEST(NftablesTableTest, OneProcessKeepsATableInANamespace) {
  const std::string dir = ::testing::TempDir();
  auto first = std::make_unique<NftablesBackend>(std::make_unique<LibNftablesRunner>(),
                                                 nft::Options{.table = "vigil_t1"});
  NftablesBackend second(std::make_unique<LibNftablesRunner>(), nft::Options{.table = "vigil_t1"});
  NftablesBackend other(std::make_unique<LibNftablesRunner>(), nft::Options{.table = "vigil_t2"});
  ASSERT_TRUE(first->Claim(dir).has_value());
  auto r = second.Claim(dir);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kExists);
  EXPECT_EQ(r.error().context(),
            "table inet vigil_t1 is kept by another vigild in this network namespace (pid " +
                std::to_string(getpid()) +
                "); give each daemon its own config id (-i ID uses table inet vigil_ID)");
  EXPECT_TRUE(other.Claim(dir).has_value());
  // The first backend gone, its lock file goes with it and the table is free.
  struct stat ns{};
  ASSERT_EQ(::stat("/proc/self/ns/net", &ns), 0);
  const std::string path = dir + "/vigild-lb." + std::to_string(ns.st_ino) + ".vigil_t1.lock";
  EXPECT_EQ(::access(path.c_str(), F_OK), 0);
  first.reset();
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
  EXPECT_TRUE(second.Claim(dir).has_value());
}

}  // namespace
}  // namespace vigil::lb

// ---------------------------------------------------------------------------------------
// Real-server changes as netlink batches (lb/nft_batch.h) against the real kernel.

namespace vigil::lb {
namespace {

// Counts the calls that reach libnftables and the batches committed.
class CountingRunner final : public NftRunner {
 public:
  explicit CountingRunner(int* calls) : calls_(calls) {}
  Result<std::string> Run(std::string_view commands, bool json) override {
    ++*calls_;
    return inner_.Run(commands, json);
  }

 private:
  int* calls_;
  LibNftablesRunner inner_;
};

class CountingBatches final : public NftBatchRunner {
 public:
  CountingBatches(std::unique_ptr<NetlinkBatchRunner> inner, int* calls)
      : inner_(std::move(inner)), calls_(calls) {}
  Result<void> Commit(const nft::Batch& batch) override {
    ++*calls_;
    return inner_->Commit(batch);
  }

 private:
  std::unique_ptr<NetlinkBatchRunner> inner_;
  int* calls_;
};

// Returns `nft -j list table inet vigil` as sorted lines, without handles and with each
// map's elements sorted: two tables that hold the same objects give the same text whatever
// order they were built in. Rules keep their position in their chain.
std::string TableShape(const std::string& family = "inet") {
  LibNftablesRunner nft;
  auto out = nft.Run("list table " + family + " vigil", true);
  if (!out) return out.error().ToString();
  auto doc = nlohmann::json::parse(*out);
  std::vector<std::string> lines;
  std::map<std::string, int> position;
  for (auto item : doc["nftables"]) {
    if (item.contains("metainfo")) continue;
    for (auto& [kind, body] : item.items()) {
      body.erase("handle");
      if (body.contains("elem")) {
        std::vector<std::string> elems;
        for (const auto& e : body["elem"]) elems.push_back(e.dump());
        std::sort(elems.begin(), elems.end());
        body["elem"] = elems;
      }
      std::string prefix = kind;
      if (kind == "rule") {
        const std::string chain = body["chain"].get<std::string>();
        prefix += " " + chain + " " + std::to_string(position[chain]++);
      }
      lines.push_back(prefix + " " + body.dump());
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  return text;
}

// Services whose real-server changes go as batches: every scheduler, both families.
State BatchSample() {
  State s;
  Service rr = Tcp("10.0.0.1", 80, Scheduler::kRr);
  s.Put(rr);
  for (int i = 1; i <= 4; ++i) s.PutDestination(rr.key, Dest("10.1.0." + std::to_string(i), 8080));
  Service wrr = Tcp("10.0.0.2", 80, Scheduler::kWrr);
  s.Put(wrr);
  s.PutDestination(wrr.key, Dest("10.1.0.1", 80, 4));
  s.PutDestination(wrr.key, Dest("10.1.0.2", 80, 2));
  s.PutDestination(wrr.key, Dest("10.1.0.3", 0, 0));
  Service sh = Tcp("fd00::1", 443, Scheduler::kSh);
  sh.scheduler_flags = kSchedFlag2;
  s.Put(sh);
  s.PutDestination(sh.key, Dest("fd00::10", 443));
  s.PutDestination(sh.key, Dest("fd00::11", 0));
  Service random = Tcp("10.0.0.3", 53, Scheduler::kRandom);
  random.key = AddressKey{Protocol::kUdp, testing::Ip("10.0.0.3"), 53};
  s.Put(random);
  s.PutDestination(random.key, Dest("10.1.0.9", 53));
  Service sh4 = Tcp("10.0.0.4", 80, Scheduler::kSh);
  s.Put(sh4);
  s.PutDestination(sh4.key, Dest("10.1.0.5", 80));
  return s;
}

// The changes a checker makes: servers leaving, coming back, weights changing.
std::vector<State> BatchSteps(State s) {
  std::vector<State> steps;
  const ServiceKey rr = Tcp("10.0.0.1", 80).key, wrr = Tcp("10.0.0.2", 80).key,
                   sh = Tcp("fd00::1", 443).key, sh4 = Tcp("10.0.0.4", 80).key;
  s.services.at(rr).destinations.erase(Dest("10.1.0.2", 8080).key);  // one leaves
  steps.push_back(s);
  s.services.at(rr).destinations.erase(Dest("10.1.0.1", 8080).key);  // and another,
  s.PutDestination(wrr, Dest("10.1.0.1", 80, 0));                      // inhibited,
  s.PutDestination(sh, Dest("fd00::12", 443, 3));                       // one joins
  steps.push_back(s);
  s.PutDestination(rr, Dest("10.1.0.1", 8080));  // they come back
  s.PutDestination(rr, Dest("10.1.0.2", 8080));
  s.PutDestination(wrr, Dest("10.1.0.1", 80, 4));
  s.PutDestination(wrr, Dest("10.1.0.3", 0, 3));
  s.services.at(sh4).destinations.clear();  // no schedulable server left
  steps.push_back(s);
  s.PutDestination(sh4, Dest("10.1.0.5", 80));
  steps.push_back(s);
  return steps;
}

// A load balancer over an nftables backend that sends real-server changes as netlink
// batches, counting its libnftables calls and its batches.
struct CountedLb {
  int text_calls = 0, batches = 0;
  NftablesBackend* backend = nullptr;
  std::unique_ptr<LoadBalancer> lb;
};

Result<std::unique_ptr<CountedLb>> MakeCountedLb() {
  auto socket = NetlinkBatchRunner::Open();
  if (!socket) return std::unexpected(socket.error());
  auto c = std::make_unique<CountedLb>();
  auto owned = std::make_unique<NftablesBackend>(
      std::make_unique<CountingRunner>(&c->text_calls), nft::Options{},
      std::make_unique<CountingBatches>(std::move(*socket), &c->batches));
  c->backend = owned.get();
  c->lb = std::make_unique<LoadBalancer>(std::move(owned), LoadBalancerOptions{});
  return c;
}

std::string BatchScenario() {
  auto counted = MakeCountedLb();
  if (!counted) return "open: " + counted.error().ToString();
  int& text_calls = (*counted)->text_calls;
  int& batches = (*counted)->batches;
  NftablesBackend* backend = (*counted)->backend;
  LoadBalancer& lb = *(*counted)->lb;
  if (auto w = backend->Watch(); !w) return "watch: " + w.error().ToString();
  if (auto r = lb.Apply(BatchSample()); !r) return "apply: " + r.error().ToString();
  const int text_after_start = text_calls;
  std::string out;
  int n = 0;
  for (const State& step : BatchSteps(BatchSample())) {
    ++n;
    if (auto r = lb.Apply(step); !r) return "step " + std::to_string(n) + ": " + r.error().ToString();
    const std::string batched = TableShape();
    if (batched.find("\"elem\"") == std::string::npos) return std::string("no elements listed");
    // The same state built from scratch by libnftables.
    NftablesBackend fresh(std::make_unique<LibNftablesRunner>(), nft::Options{});
    fresh.Reset();
    if (auto r = Converge(fresh, step); r != "ok") return "rebuild " + std::to_string(n) + ": " + r;
    if (TableShape() != batched) {
      return "step " + std::to_string(n) + " differs:\n" + batched + "from scratch:\n" + TableShape();
    }
    (void)backend->TakeChanges();  // the rebuild's (an equal table: vigil's view holds)
  }
  // Once more without rebuilds in between, watching what the monitor reports.
  if (auto r = lb.Apply(BatchSample()); !r) return "back: " + r.error().ToString();
  (void)backend->TakeChanges();
  const int text_before = text_calls, batches_before = batches;
  for (const State& step : BatchSteps(BatchSample())) {
    if (auto r = lb.Apply(step); !r) return "again: " + r.error().ToString();
  }
  out += "libnftables calls: " + std::to_string(text_calls - text_before) +
         ", batches: " + std::to_string(batches - batches_before) + "\n";
  out += "own changes: " + Lines(backend->TakeChanges());
  auto audit = lb.Audit();
  if (!audit) return "audit: " + audit.error().ToString();
  out += "audit: " + Lines(*audit);
  const std::string shape = TableShape();
  out += "start: " + std::to_string(text_after_start) + " libnftables calls; table objects: " +
         std::to_string(std::count(shape.begin(), shape.end(), '\n'));
  return out;
}

// DR services (both families, sh with and without the port): real servers leaving,
// joining and changing weight go as batches and leave the tables libnftables would build.
std::string DrBatchScenario() {
  auto counted = MakeCountedLb();
  if (!counted) return "open: " + counted.error().ToString();
  int& text_calls = (*counted)->text_calls;
  int& batches = (*counted)->batches;
  NftablesBackend* backend = (*counted)->backend;
  LoadBalancer& lb = *(*counted)->lb;
  auto lo = [] { return std::vector<std::string>{"lo"}; };
  backend->set_device_lookup(OnLoopback);
  backend->set_hook_devices(lo);
  auto dr = [](const std::string& a, uint16_t port, uint32_t weight) {
    Destination d = Dest(a, port, weight);
    d.forwarding = Forwarding::kDirectRoute;
    return d;
  };
  Service v4 = Tcp("10.0.0.1", 80, Scheduler::kSh);
  v4.scheduler_flags = kSchedFlag2;
  Service v6 = Tcp("fd00::1", 443, Scheduler::kSh);
  State s;
  s.Put(v4);
  s.Put(v6);
  for (int i = 1; i <= 3; ++i) s.PutDestination(v4.key, dr("10.1.0." + std::to_string(i), 80, 1));
  s.PutDestination(v6.key, dr("fd00::10", 443, 2));
  s.PutDestination(v6.key, dr("fd00::11", 443, 1));
  std::vector<State> steps;
  State t = s;
  t.services.at(v4.key).destinations.erase(Dest("10.1.0.2", 80).key);  // one leaves
  steps.push_back(t);
  t.PutDestination(v4.key, dr("10.1.0.1", 80, 3));  // a weight changes,
  t.PutDestination(v6.key, dr("fd00::12", 443, 1));  // one joins
  steps.push_back(t);
  t.PutDestination(v6.key, dr("fd00::10", 443, 0));  // inhibited
  steps.push_back(t);
  steps.push_back(s);  // all back as at first
  if (auto r = lb.Apply(s); !r) return "apply: " + r.error().ToString();
  const int text_before = text_calls, batches_before = batches;
  int n = 0;
  for (const State& step : steps) {
    ++n;
    if (auto r = lb.Apply(step); !r) return "step " + std::to_string(n) + ": " + r.error().ToString();
    const std::string batched = TableShape("netdev") + TableShape("inet");
    NftablesBackend fresh(std::make_unique<LibNftablesRunner>(), nft::Options{});
    fresh.set_device_lookup(OnLoopback);
    fresh.set_hook_devices(lo);
    fresh.Reset();
    if (auto r = Converge(fresh, step); r != "ok") return "rebuild " + std::to_string(n) + ": " + r;
    if (TableShape("netdev") + TableShape("inet") != batched) {
      return "step " + std::to_string(n) + " differs:\n" + batched + "from scratch:\n" +
             TableShape("netdev") + TableShape("inet");
    }
    (void)backend->TakeChanges();
  }
  const std::string counts = "libnftables calls: " + std::to_string(text_calls - text_before) +
                             ", batches: " + std::to_string(batches - batches_before);
  auto audit = lb.Audit();
  if (!audit) return "audit: " + audit.error().ToString();
  return counts + "\naudit: " + Lines(*audit);
}

TEST(NftablesBatchTest, DirectRoutedRealServerChangesGoAsBatches) {
  RUN_IN_NETNS_OR_SKIP(result, DrBatchScenario);
  EXPECT_EQ(result.text, "libnftables calls: 0, batches: 4\naudit: ");
}

// A LoadBalancer over an NftablesBackend with libnftables and a netlink batch socket.
struct BatchedLb {
  NftablesBackend* backend = nullptr;
  std::unique_ptr<LoadBalancer> lb;
};

Result<BatchedLb> MakeBatchedLb() {
  auto socket = NetlinkBatchRunner::Open();
  if (!socket) return std::unexpected(socket.error());
  auto owned = std::make_unique<NftablesBackend>(std::make_unique<LibNftablesRunner>(),
                                                 nft::Options{}, std::move(*socket));
  BatchedLb out{owned.get(), nullptr};
  out.lb = std::make_unique<LoadBalancer>(std::move(owned), LoadBalancerOptions{});
  return out;
}

// Someone deletes a slot of a service's map; the next real-server change needs it gone
// too, and the kernel refuses the batch: the load balancer rebuilds the table instead.
std::string RefusedBatchScenario() {
  auto made = MakeBatchedLb();
  if (!made) return "open: " + made.error().ToString();
  NftablesBackend* backend = made->backend;
  LoadBalancer& lb = *made->lb;
  if (auto w = backend->Watch(); !w) return "watch: " + w.error().ToString();
  Service web = Tcp("10.0.0.1", 80);
  State before;
  before.Put(web);
  for (const char* a : {"10.1.0.1", "10.1.0.2", "10.1.0.3"}) before.PutDestination(web.key, Dest(a, 80));
  State after = before;
  after.services.at(web.key).destinations.erase(Dest("10.1.0.3", 80).key);
  if (auto r = lb.Apply(before); !r) return "apply: " + r.error().ToString();
  LibNftablesRunner someone;
  if (auto r = someone.Run("delete element inet vigil v_tcp_10.0.0.1_80 { 2 }", false); !r) {
    return "damage: " + r.error().ToString();
  }
  std::string out;
  // The batch alone: refused, named by its step and the kernel's errno.
  auto direct = NetlinkBatchRunner::Open();
  if (!direct) return "open: " + direct.error().ToString();
  auto batch = nft::BuildBatch(Reconcile(after, before), after, before, nft::Options{});
  if (!batch) return std::string("no batch");
  auto refused = (*direct)->Commit(*batch);
  out += "commit: " + (refused ? std::string("ok") : refused.error().ToString()) + " (" +
         std::string(ErrorCodeName(refused ? ErrorCode::kOk : refused.error().code())) + ")\n";
  // Through the load balancer: the refusal makes it rebuild the table.
  if (auto r = lb.Apply(after); !r) return "apply after: " + r.error().ToString();
  out += "rejected: " + std::to_string(lb.restorations().count("rejected") ? lb.restorations().at("rejected") : 0) + "\n";
  auto audit = lb.Audit();
  if (!audit) return "audit: " + audit.error().ToString();
  out += "audit: " + Lines(*audit);
  NftablesBackend reader(std::make_unique<LibNftablesRunner>(), nft::Options{});
  auto have = reader.Read();
  out += std::string("read back: ") + (have && *have == after ? "as desired" : "differs") + "\n";
  std::string seen = Lines(backend->TakeChanges());
  for (size_t at; (at = seen.find(" (pid ")) != std::string::npos;) {
    seen.erase(at, seen.find("):", at) + 1 - at);
  }
  out += "seen: " + seen;
  return out;
}

// A paused monitor hears nothing (the kernel has no listener to tell), a resumed one hears
// the next transaction.
TEST(NftablesMonitorTest, APausedMonitorHearsNothingUntilResumed) {
  RUN_IN_NETNS_OR_SKIP(result, [] {
    auto monitor = nft::Monitor::Open("vigil");
    if (!monitor) return "open: " + monitor.error().ToString();
    LibNftablesRunner nft;
    std::string out;
    auto heard = [&] {
      auto seen = monitor->Poll();
      return seen ? std::to_string(seen->size()) : seen.error().ToString();
    };
    if (auto p = monitor->Pause(); !p) return "pause: " + p.error().ToString();
    if (auto r = nft.Run("add table inet vigil", false); !r) return r.error().ToString();
    out += "paused: " + heard() + "\n";
    if (auto p = monitor->Resume(); !p) return "resume: " + p.error().ToString();
    if (auto r = nft.Run("add chain inet vigil c", false); !r) return r.error().ToString();
    out += "resumed: " + heard();
    return out;
  });
  EXPECT_EQ(result.text, "paused: 0\nresumed: 1");
}

TEST(NftablesBatchTest, ARefusedBatchRebuildsTheTable) {
  RUN_IN_NETNS_OR_SKIP(result, RefusedBatchScenario);
  EXPECT_EQ(result.text,
            "commit: nftables: inet vigil: delete element v_tcp_10.0.0.1_80 { 2 }: No such file "
            "or directory (not_found)\n"
            "rejected: 1\n"
            "audit: read back: as desired\n"
            "seen: table inet vigil changed by unit_lb: elements deleted 1 (v_tcp_10.0.0.1_80)\n");
}

// DR real servers' devices and the interfaces to hook are looked up only when an apply
// touches a DR service: a change to a NAT service beside one costs neither (a pass over
// every destination and a dump of the interfaces, at every change).
std::string DeviceLookupScenario() {
  auto made = MakeBatchedLb();
  if (!made) return "open: " + made.error().ToString();
  int lookups = 0, listings = 0;
  made->backend->set_device_lookup([&](const State& state) {
    ++lookups;
    return OnLoopback(state);
  });
  made->backend->set_hook_devices([&] {
    ++listings;
    return std::vector<std::string>{"lo"};
  });
  Service nat = Tcp("10.0.0.1", 80), dr = Tcp("10.0.0.2", 80, Scheduler::kSh);
  Destination d = Dest("10.1.0.9", 80);
  d.forwarding = Forwarding::kDirectRoute;
  State s;
  s.Put(nat);
  s.Put(dr);
  s.PutDestination(nat.key, Dest("10.1.0.1", 80));
  s.PutDestination(dr.key, d);
  std::string out;
  auto step = [&](const char* what, const State& state) {
    lookups = listings = 0;
    auto r = made->lb->Apply(state);
    out += std::string(what) + ": " + (r ? "ok" : r.error().ToString()) + ", lookups " +
           std::to_string(lookups) + ", listings " + std::to_string(listings) + "\n";
  };
  step("start", s);
  s.PutDestination(nat.key, Dest("10.1.0.2", 80));
  step("nat", s);
  d.weight = 2;
  s.PutDestination(dr.key, d);
  step("dr", s);
  return out;
}

TEST(NftablesBatchTest, OnlyADirectRouteChangeLooksUpDevices) {
  RUN_IN_NETNS_OR_SKIP(result, DeviceLookupScenario);
  EXPECT_EQ(result.text,
            "start: ok, lookups 1, listings 1\n"
            "nat: ok, lookups 0, listings 0\n"
            "dr: ok, lookups 1, listings 1\n");
}

TEST(NftablesBatchTest, RealServerChangesLeaveTheTableLibnftablesWouldBuild) {
  RUN_IN_NETNS_OR_SKIP(result, BatchScenario);
  EXPECT_EQ(result.text,
            "libnftables calls: 0, batches: 4\n"
            "own changes: audit: start: 2 libnftables calls; table objects: 63");
}

}  // namespace
}  // namespace vigil::lb

// ---------------------------------------------------------------------------------------
// mh: the Maglev table in the kernel, built and updated.

namespace vigil::lb {
namespace {

// Returns the kernel's slot map of `map` as "10.1.0.1 . 8080" per slot (slot order), or
// an error text.
Result<std::vector<std::string>> KernelSlots(const std::string& map) {
  LibNftablesRunner nft;
  auto out = nft.Run("list map inet vigil " + map, true);
  if (!out) return std::unexpected(out.error());
  auto doc = nlohmann::json::parse(*out);
  std::vector<std::string> slots;
  for (const auto& item : doc["nftables"]) {
    if (!item.contains("map") || !item["map"].contains("elem")) continue;
    for (const auto& e : item["map"]["elem"]) {
      // (A slot with a comment is {"elem": {"val": N, "comment": ...}}.)
      const size_t slot = e[0].is_object() ? e[0]["elem"]["val"].get<size_t>() : e[0].get<size_t>();
      const auto& c = e[1]["concat"];
      if (slot >= slots.size()) slots.resize(slot + 1);
      slots[slot] = c[0].get<std::string>() + " . " + std::to_string(c[1].get<int>());
    }
  }
  return slots;
}

std::string MaglevScenario() {
  auto counted = MakeCountedLb();
  if (!counted) return "open: " + counted.error().ToString();
  const int& text_calls = (*counted)->text_calls;
  const int& batches = (*counted)->batches;
  NftablesBackend* backend = (*counted)->backend;
  LoadBalancer& lb = *(*counted)->lb;
  Service mh = Tcp("10.0.0.1", 80, Scheduler::kMh);
  State s;
  s.Put(mh);
  for (int i = 1; i <= 10; ++i) s.PutDestination(mh.key, Dest("10.1.0." + std::to_string(i), 8080));
  std::string out;
  if (auto r = lb.Apply(s); !r) return "apply: " + r.error().ToString();
  auto before = KernelSlots(nft::SlotMapName(mh.key));
  if (!before) return before.error().ToString();
  out += std::string("start: ") + (*before == nft::SlotValues(*s.Find(mh.key)) ? "ok" : "differs") +
         ", " + std::to_string(before->size()) + " slots\n";
  // One of ten fails: only its slots (and a few others) change, as one batch.
  State less = s;
  less.services.at(mh.key).destinations.erase(Dest("10.1.0.4", 8080).key);
  const int calls = text_calls, sent = batches;
  if (auto r = lb.Apply(less); !r) return "apply less: " + r.error().ToString();
  auto after = KernelSlots(nft::SlotMapName(mh.key));
  if (!after) return after.error().ToString();
  size_t moved = 0, owned_by_gone = 0;
  for (size_t i = 0; i < before->size(); ++i) {
    owned_by_gone += (*before)[i] == "10.1.0.4 . 8080";
    moved += (*before)[i] != (*after)[i];
  }
  out += std::string("one fails: ") +
         (*after == nft::SlotValues(*less.Find(mh.key)) ? "ok" : "differs") + ", batches " +
         std::to_string(batches - sent) + (backend->last_apply_batched() ? " (batched)" : "") +
         ", libnftables " + std::to_string(text_calls - calls) + ", moved " +
         std::to_string(moved) + " (its own " + std::to_string(owned_by_gone) + ")\n";
  // Every server fails, then all come back: the whole table goes and returns in batches
  // (65,537 elements in one).
  State none = s;
  none.services.at(mh.key).destinations.clear();
  if (auto r = lb.Apply(none); !r) return "apply none: " + r.error().ToString();
  const bool none_batched = backend->last_apply_batched();
  if (auto r = lb.Apply(s); !r) return "apply back: " + r.error().ToString();
  out += std::string("all fail and return: ") +
         (none_batched && backend->last_apply_batched() ? "batched" : "not batched") + ", " +
         "libnftables " + std::to_string(text_calls - calls) + "\n";
  auto audit = lb.Audit();  // lists the table: the slot map must be as at the start
  if (!audit) return "audit: " + audit.error().ToString();
  out += "it comes back, audit: " + Lines(*audit);
  auto back = KernelSlots(nft::SlotMapName(mh.key));
  out += std::string("the same table: ") + (back && *back == *before ? "yes" : "no");
  return out;
}

TEST(NftablesMaglevTest, KernelHoldsTheTableAndAFailureMovesOnlyItsShare) {
  RUN_IN_NETNS_OR_SKIP(result, MaglevScenario);
  // The figures are the Maglev table's (lb/maglev.h), the same on every host.
  EXPECT_EQ(result.text,
            "start: ok, 65537 slots\n"
            "one fails: ok, batches 1 (batched), libnftables 0, moved 6699 (its own 6554)\n"
            "all fail and return: batched, libnftables 0\n"
            "it comes back, audit: the same table: yes");
}

// Interfaces come and go after a DR service is applied: SyncHooks hooks the ingress chain
// to each that comes and unhooks it from each that goes, one batch each time, and the
// nftables monitor reports none of it as someone else's change.
std::string HookScenario() {
  auto socket = NetlinkBatchRunner::Open();
  if (!socket) return "open: " + socket.error().ToString();
  NftablesBackend backend(std::make_unique<LibNftablesRunner>(), nft::Options{},
                          std::move(*socket));
  backend.set_device_lookup(OnLoopback);
  std::vector<std::string> interfaces;  // (none but lo: the chain hooks lo)
  backend.set_hook_devices([&] { return interfaces; });
  LibNftablesRunner nft;
  std::string out;
  auto step = [&](const std::string& what) {
    auto change = backend.SyncHooks();
    out += what + ": ";
    if (!change) {
      out += change.error().ToString() + "\n";
      return;
    }
    for (const std::string& a : change->added) out += "+" + a + " ";
    for (const std::string& r : change->removed) out += "-" + r + " ";
    auto hook = nft.Run("list chain netdev vigil ingress", false);
    if (hook) {
      const size_t at = hook->find("type filter");
      out += "| " + hook->substr(at, hook->find(" priority", at) - at);
    }
    out += "\n";
  };
  step("no DR service");
  Service svc = Tcp("10.0.0.1", 80, Scheduler::kSh);
  Destination a = Dest("10.1.0.1", 80);
  a.forwarding = Forwarding::kDirectRoute;
  State dr;
  dr.Put(svc);
  dr.PutDestination(svc.key, a);
  if (std::string r = Converge(backend, dr); r != "ok") return r;
  if (auto w = backend.Watch(); !w) return "watch: " + w.error().ToString();
  step("applied");
  if (std::system("ip link add vt0 type veth peer name vp0 && "
                  "ip link add vt1 type veth peer name vp1") != 0) {
    return "ip link add failed";
  }
  interfaces = {"vt1", "vt0"};  // (the peers are left out)
  step("vt0, vt1 come");
  step("again");
  if (std::system("ip link del vt0") != 0) return "ip link del failed";
  interfaces = {"vt1"};
  step("vt0 goes");
  interfaces = {};
  step("none left");
  auto findings = backend.Audit(dr);
  if (!findings) return "audit: " + findings.error().ToString();
  return out + "audit: " + Lines(*findings) + "seen: " + Lines(backend.TakeChanges());
}

TEST(NftablesNetnsTest, SyncHooksFollowsTheInterfaces) {
  RUN_IN_NETNS_OR_SKIP(result, HookScenario);
  EXPECT_EQ(result.text,
            "no DR service: \n"
            "applied: | type filter hook ingress device \"lo\"\n"
            "vt0, vt1 come: +vt0 +vt1 -lo | type filter hook ingress devices = { vt0, vt1 }\n"
            "again: | type filter hook ingress devices = { vt0, vt1 }\n"
            "vt0 goes: -vt0 | type filter hook ingress device \"vt1\"\n"
            "none left: | type filter hook ingress device \"vt1\"\n"
            "audit: seen: ");
}

// SyncHooks writes to the kernel outside any Apply: an audit ticket taken before it hooked
// or unhooked an interface is dropped (the job may have listed the ingress chain across
// vigil's own change), as one taken before an Apply is; one it changed nothing for holds.
std::string HookTicketScenario() {
  auto made = MakeBatchedLb();
  if (!made) return "open: " + made.error().ToString();
  NftablesBackend* backend = made->backend;
  LoadBalancer& lb = *made->lb;
  backend->set_device_lookup(OnLoopback);
  std::vector<std::string> interfaces;  // (none but lo: the chain hooks lo)
  backend->set_hook_devices([&] { return interfaces; });
  if (auto r = lb.Apply(DrSample()); !r) return "apply: " + r.error().ToString();
  std::string out;
  auto step = [&](const std::string& what) {
    auto ticket = lb.BeginAudit();
    if (!ticket || !ticket->job) {
      out += what + ": no audit job\n";
      return;
    }
    auto findings = ticket->job();
    if (!findings) {
      out += what + ": audit: " + findings.error().ToString() + "\n";
      return;
    }
    auto change = backend->SyncHooks();
    if (!change) {
      out += what + ": " + change.error().ToString() + "\n";
      return;
    }
    out += what + ": ";
    for (const std::string& a : change->added) out += "+" + a + " ";
    for (const std::string& r : change->removed) out += "-" + r + " ";
    auto kept = lb.FinishAudit(ticket->generation, *findings);
    out += kept ? "findings kept (" + std::to_string(kept->size()) + ")\n" : "findings dropped\n";
  };
  step("nothing to hook");
  if (std::system("ip link add vt0 type veth peer name vp0") != 0) return "ip link add failed";
  interfaces = {"vt0"};
  step("vt0 comes");
  step("again");
  return out;
}

TEST(NftablesNetnsTest, AnAuditTicketTakenBeforeSyncHooksChangedTheChainIsDropped) {
  RUN_IN_NETNS_OR_SKIP(result, HookTicketScenario);
  EXPECT_EQ(result.text,
            "nothing to hook: findings kept (0)\n"
            "vt0 comes: +vt0 -lo findings dropped\n"
            "again: findings kept (0)\n");
}

}  // namespace
}  // namespace vigil::lb
