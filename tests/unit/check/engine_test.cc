#include "check/engine.h"

#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio.hpp>
#include <deque>
#include <filesystem>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "lb/ipvs_backend.h"
#include "lb/ipvs_message.h"
#include "lb/nft_render.h"
#include "model/config.h"
#include "net/address_watch.h"

// Designated initializers name only the fields a test cares about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace vigil::check {
namespace {

using std::chrono::milliseconds;

using std::chrono::seconds;

// Timers on a fake clock: Advance() runs what falls due, in order.
class FakeTimers final : public TimerService {
 public:
  explicit FakeTimers(FakeClock& clock) : clock_(clock) {}
  Id After(Duration delay, std::function<void()> fn) override {
    const Id id = ++next_;
    timers_.emplace(id, Timer{clock_.Now() + delay, std::move(fn)});
    return id;
  }
  void Cancel(Id id) override { timers_.erase(id); }

  void Advance(Duration d) {
    const TimePoint target = clock_.Now() + d;
    while (true) {
      auto next = timers_.end();
      for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->second.due <= target && (next == timers_.end() || it->second.due < next->second.due)) {
          next = it;
        }
      }
      if (next == timers_.end()) break;
      clock_.Set(next->second.due);
      auto fn = std::move(next->second.fn);
      timers_.erase(next);
      fn();
    }
    clock_.Set(target);
  }
  size_t size() const { return timers_.size(); }

 private:
  struct Timer {
    TimePoint due;
    std::function<void()> fn;
  };
  FakeClock& clock_;
  std::map<Id, Timer> timers_;
  Id next_ = 0;
};

// Answers probes from a table of healthy targets ("10.0.1.2:8080" -> ok): at once, or,
// with `hold`, when the test calls Answer.
class FakeProber {
 public:
  ProbeRunner Runner() {
    return [this](const ProbeSpec& spec, Duration, ProbeMemo*, ProbeCallback done) {
      const std::string target = spec.connect.address + ":" + std::to_string(spec.connect.port);
      ++runs[target];
      const ProbeTicket ticket = ++last_ticket;
      tickets[ticket] = target;
      if (hold) {
        held[target] = std::move(done);
      } else {
        done(Result(target));
      }
      return ticket;
    };
  }
  ProbeCanceller Canceller() {
    return [this](ProbeTicket t) { cancelled.push_back(tickets.at(t)); };
  }
  // Answers the held probe of `target`.
  void Answer(const std::string& target) {
    ProbeCallback done = std::move(held.at(target));
    held.erase(target);
    done(Result(target));
  }
  ProbeResult Result(const std::string& target) const {
    auto it = healthy.find(target);
    ProbeResult r;
    r.ok = it == healthy.end() || it->second;
    r.detail = r.ok ? "ok" : "connection refused";
    return r;
  }
  std::map<std::string, bool> healthy;
  std::map<std::string, int> runs;
  ProbeTicket last_ticket = 0;
  std::map<ProbeTicket, std::string> tickets;  // every run's target
  std::vector<std::string> cancelled;          // targets of cancelled runs
  bool hold = false;
  std::map<std::string, ProbeCallback> held;
};

// The kernel as a backend sees it, shared with the test.
struct FakeKernel {
  lb::State state;
  // What the applied operations made of an empty kernel (state is what the last apply
  // said it wanted; by_ops is what its operations did).
  lb::State by_ops;
  std::vector<std::vector<lb::Op>> applies;
  // Connections by real server ("10.0.1.1:8080"); none: 0. With uncountable, counting fails.
  std::map<std::string, uint64_t> connections;
  bool uncountable = false;
  std::vector<std::string> counted;  // "tcp 10.0.0.1:80 10.0.1.1:8080" per count
  // The backend's audit runs away from the loop (MakeAuditJob): the job compares what it
  // was given with the kernel as it is when the job runs.
  bool audit_away = false;
};

class FakeBackend final : public lb::Backend {
 public:
  explicit FakeBackend(FakeKernel& k) : k_(k) {}
  std::string_view Name() const override { return "nftables"; }
  Result<void> ValidateService(const lb::ServiceEntry& entry) const override {
    return lb::nft::ValidateService(entry);
  }
  Result<lb::State> Read() override { return k_.state; }
  Result<void> Apply(const std::vector<lb::Op>& ops, const lb::State& desired,
                     const lb::State& actual) override {
    for (const auto& [key, e] : actual.services) k_.state.services.erase(key);
    for (const auto& [key, e] : desired.services) k_.state.services[key] = e;
    for (const lb::Op& op : ops) {
      const lb::ServiceKey& key = op.service.key;
      switch (op.kind) {
        case lb::OpKind::kAddService:
        case lb::OpKind::kUpdateService:
          k_.by_ops.Put(op.service);
          break;
        case lb::OpKind::kDeleteService:
          k_.by_ops.services.erase(key);
          break;
        case lb::OpKind::kAddDestination:
        case lb::OpKind::kUpdateDestination:
          k_.by_ops.PutDestination(key, *op.destination);
          break;
        case lb::OpKind::kDeleteDestination:
          k_.by_ops.services.at(key).destinations.erase(op.destination->key);
          break;
      }
    }
    k_.applies.push_back(ops);
    return {};
  }
  AuditJob MakeAuditJob(const lb::State& owned) override {
    if (!k_.audit_away) return {};
    return [owned, &k = k_]() -> Result<std::vector<std::string>> {
      return lb::Differences(owned, k.state, kAuditFindings);
    };
  }
  Result<uint64_t> Connections(const lb::ServiceKey& service,
                               const lb::DestinationKey& destination) override {
    const std::string rs = lb::DestinationKeyToString(destination);
    k_.counted.push_back(lb::KeyToString(service) + " " + rs);
    if (k_.uncountable) return Fail(ErrorCode::kUnsupported, "no conntrack");
    return k_.connections[rs];
  }

 private:
  FakeKernel& k_;
};

// Holds background works until the test runs them (RunWork), and their `done` until it
// delivers them (Deliver): the loop goes on meanwhile.
class FakeBackground final : public BackgroundRunner {
 public:
  void Run(std::function<void()> work, std::function<void()> done) override {
    works.emplace_back(std::move(work), std::move(done));
  }
  // Runs the oldest work; its `done` waits for Deliver.
  void RunWork() {
    auto [work, done] = std::move(works.front());
    works.pop_front();
    work();
    dones.push_back(std::move(done));
  }
  void Deliver() {
    auto d = std::move(dones);
    dones.clear();
    for (auto& done : d) done();
  }
  std::deque<std::pair<std::function<void()>, std::function<void()>>> works;
  std::vector<std::function<void()>> dones;
};

class FakeScripts final : public ScriptRunner {
 public:
  Result<void> Run(const SpawnSpec& spec, std::function<void(const ExitInfo&)> done) override {
    std::string line;
    for (const auto& a : spec.argv) line += (line.empty() ? "" : " ") + a;
    started.push_back(line);
    running.push_back(std::move(done));
    return {};
  }
  // Ends the oldest running script with exit 0.
  void FinishOldest() {
    auto done = std::move(running.front());
    running.erase(running.begin());
    ExitInfo e;
    e.exited = true;
    e.code = 0;
    done(e);
  }
  void FinishAll() {
    while (!running.empty()) FinishOldest();
  }
  std::vector<std::string> started;
  std::vector<std::function<void(const ExitInfo&)>> running;
};

// The local addresses as the test sets them (ha_suspend).
class FakeAddresses final : public net::AddressSource {
 public:
  Result<net::LocalAddresses> Follow(OnChange on_change) override {
    ++follows;
    on_change_ = std::move(on_change);
    return now;
  }
  void Close() override { on_change_ = nullptr; }
  // The addresses become `addresses`, reported as the kernel would.
  void Set(net::LocalAddresses addresses) {
    now = std::move(addresses);
    if (on_change_) on_change_(now);
  }
  net::LocalAddresses now;
  int follows = 0;

 private:
  OnChange on_change_;
};

net::LocalAddress LocalOn(int ifindex, const char* text) {
  return net::LocalAddress{ifindex, *net::RawAddress::Parse(text)};
}

class ZeroRandom final : public RandomSource {
 public:
  uint64_t Uniform(uint64_t) override { return 0; }
};

lb::IpAddress LbIp(const char* t) { return *lb::IpAddress::Parse(t); }
model::IpAddress Ip(const char* t) { return *model::IpAddress::Parse(t); }

model::RealServer Rs(const char* ip, uint32_t weight = 1) {
  model::RealServer rs;
  rs.address = Ip(ip);
  rs.port = 8080;
  rs.weight = weight;
  model::CheckSpec c;
  c.detail = model::TcpCheck{};
  c.delay_loop = seconds(5);
  c.delay_before_retry = seconds(1);
  c.retry = 1;
  c.warmup = model::Duration::zero();
  rs.checks.push_back(c);
  rs.notify_up = model::Script{.command = std::string("/bin/up ") + ip};
  rs.notify_down = model::Script{.command = std::string("/bin/down ") + ip};
  return rs;
}

model::VirtualServer Vs(uint16_t port = 80) {
  model::VirtualServer vs;
  vs.address = Ip("10.0.0.1");
  vs.port = port;
  vs.family = model::Family::kIpv4;
  vs.protocol = model::Protocol::kTcp;
  vs.scheduler = model::Scheduler::kRr;
  vs.real_servers = {Rs("10.0.1.1"), Rs("10.0.1.2"), Rs("10.0.1.3")};
  return vs;
}

model::Config Config(std::vector<model::VirtualServer> vss) {
  model::Config c;
  c.global.other.push_back(model::RawSetting{"vigil_lb_backend", {"nftables"}, {}});
  c.virtual_servers = std::move(vss);
  return c;
}

const lb::ServiceKey kService = lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.1"), 80};

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : timers_(clock_) {}

  // Starts Vs() in `e` with 10.0.1.2 failing its first check: out of the pool, the
  // notifications of that done.
  void StartWithSecondServerDown(std::unique_ptr<control::Engine>& e) {
    e = Make();
    ASSERT_TRUE(e->Start(Config({Vs()})));
    prober_.healthy["10.0.1.2:8080"] = false;
    timers_.Advance(seconds(1));
    ASSERT_EQ(Pool().count("10.0.1.2:8080"), 0u);
    scripts_.FinishAll();
  }

  std::unique_ptr<control::Engine> Make(bool dont_release = false) {
    EngineSeams seams;
    seams.make_backend = [this](lb::BackendKind kind) -> Result<std::unique_ptr<lb::Backend>> {
      chosen_ = kind;
      return std::unique_ptr<lb::Backend>(std::make_unique<FakeBackend>(kernel_));
    };
    seams.run_probe = prober_.Runner();
    seams.cancel_probe = prober_.Canceller();
    seams.timers = &timers_;
    seams.background = &background_;
    seams.random = &random_;
    seams.scripts = &scripts_;
    seams.clock = &clock_;
    seams.resolve_user = [](const std::string&, const std::optional<std::string>&)
        -> Result<std::pair<uid_t, gid_t>> { return std::make_pair(uid_t{0}, gid_t{0}); };
    seams.addresses = &addresses_;
    seams.ipvs_proc_path = "/nonexistent/ip_vs";
    seams.load_module = [this](std::string_view name) {
      modules_loaded_.emplace_back(name);
      return false;
    };
    auto e = MakeEngine(io_, EngineOptions{.dont_release_lb = dont_release}, std::move(seams));
    e->set_on_change([this] { ++changes_; });
    return e;
  }

  // Returns the destinations of the service (address -> weight).
  std::map<std::string, uint32_t> Pool(const lb::ServiceKey& key = kService) const {
    std::map<std::string, uint32_t> out;
    const lb::ServiceEntry* e = kernel_.state.Find(key);
    if (!e) return {{"<no service>", 0}};
    for (const auto& [k, d] : e->destinations) out[lb::DestinationKeyToString(k)] = d.weight;
    return out;
  }

  // Starts `e` with one virtual server set to omega, after its first round of checks.
  void StartOmega(control::Engine& e) {
    model::VirtualServer vs = Vs();
    vs.omega = true;
    ASSERT_TRUE(e.Start(Config({vs})));
    timers_.Advance(seconds(1));
  }

  control::Status Report(const control::Engine& e) const {
    control::Status s;
    e.Report(s);
    return s;
  }

  asio::io_context io_;
  FakeClock clock_;
  FakeTimers timers_;
  FakeProber prober_;
  FakeKernel kernel_;
  FakeBackground background_;
  FakeScripts scripts_;
  ZeroRandom random_;
  FakeAddresses addresses_;
  std::optional<lb::BackendKind> chosen_;
  std::vector<std::string> modules_loaded_;
  int changes_ = 0;
};

TEST_F(EngineTest, StartPutsEveryRealServerInThePoolAndReports) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  EXPECT_EQ(chosen_, lb::BackendKind::kNftables);
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{
                        {"10.0.1.1:8080", 1}, {"10.0.1.2:8080", 1}, {"10.0.1.3:8080", 1}}));
  EXPECT_EQ(kernel_.state.Find(kService)->service.scheduler, lb::Scheduler::kRr);
  control::Status s = Report(*e);
  EXPECT_EQ(s.lb_backend, "nftables");
  ASSERT_EQ(s.virtual_servers.size(), 1u);
  const auto& vs = s.virtual_servers[0];
  EXPECT_EQ(vs.name, "10.0.0.1:80/tcp");
  EXPECT_EQ(vs.scheduler, "rr");
  EXPECT_TRUE(vs.quorum_up);
  EXPECT_FALSE(vs.sorry_server_active);
  EXPECT_EQ(vs.live_weight, 3);
  ASSERT_EQ(vs.real_servers.size(), 3u);
  EXPECT_EQ(vs.real_servers[1], (control::RealServerStatus{.address = "10.0.1.2:8080",
                                                            .up = true,
                                                            .weight = 1,
                                                            .config_weight = 1}));
  EXPECT_TRUE(scripts_.started.empty());  // no notify at start without rs_init_notifies
}

TEST_F(EngineTest, HaSuspendProbesOnlyWhileTheAddressIsLocal) {
  model::VirtualServer suspended = Vs();
  suspended.ha_suspend = true;
  model::VirtualServer plain = Vs(81);  // the same real servers, always checked
  auto e = Make();
  prober_.healthy["10.0.1.2:8080"] = false;
  addresses_.now = {LocalOn(1, "127.0.0.1"), LocalOn(2, "10.0.0.2")};
  ASSERT_TRUE(e->Start(Config({suspended, plain})));
  EXPECT_EQ(addresses_.follows, 1);
  // Suspended: its servers keep their initial state (in the pool), nothing is counted;
  // plain's probes (not shared with it) run.
  timers_.Advance(seconds(21));
  EXPECT_EQ(prober_.runs["10.0.1.1:8080"], 5);
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{
                        {"10.0.1.1:8080", 1}, {"10.0.1.2:8080", 1}, {"10.0.1.3:8080", 1}}));
  control::Status s = Report(*e);
  EXPECT_TRUE(s.virtual_servers[0].checkers_suspended);
  EXPECT_FALSE(s.virtual_servers[1].checkers_suspended);
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].checks_ok, 0u);
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].checks_failed, 0u);
  EXPECT_EQ(s.virtual_servers[1].real_servers[1].checks_failed, 5u);
  // The address comes (on a second interface too): checks resume at their schedule.
  addresses_.Set({LocalOn(2, "10.0.0.2"), LocalOn(2, "10.0.0.1"), LocalOn(3, "10.0.0.1")});
  EXPECT_FALSE(Report(*e).virtual_servers[0].checkers_suspended);
  timers_.Advance(seconds(5));
  EXPECT_EQ(prober_.runs["10.0.1.1:8080"], 7);
  timers_.Advance(seconds(2));  // (delay_before_retry: the second failure)
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.1.1:8080", 1}, {"10.0.1.3:8080", 1}}));
  // Gone from one interface: still local. Gone from both: suspended, its state frozen.
  addresses_.Set({LocalOn(3, "10.0.0.1")});
  prober_.healthy["10.0.1.2:8080"] = true;
  addresses_.Set({});
  const int runs = prober_.runs["10.0.1.1:8080"];
  timers_.Advance(seconds(20));
  EXPECT_EQ(prober_.runs["10.0.1.1:8080"], runs + 4);  // plain's alone
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.1.1:8080", 1}, {"10.0.1.3:8080", 1}}));
  // Back: the server passes its next check and returns.
  addresses_.Set({LocalOn(2, "10.0.0.1")});
  timers_.Advance(seconds(5));
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{
                        {"10.0.1.1:8080", 1}, {"10.0.1.2:8080", 1}, {"10.0.1.3:8080", 1}}));
}

// A check under way when the suspension comes: its result changes nothing (keepalived 2.2.7
// applies it), so that nothing moves once the suspension is logged.
TEST_F(EngineTest, HaSuspendDropsTheResultOfACheckUnderWay) {
  model::VirtualServer suspended = Vs();
  suspended.ha_suspend = true;
  auto e = Make();
  addresses_.now = {LocalOn(2, "10.0.0.1")};
  prober_.hold = true;
  ASSERT_TRUE(e->Start(Config({suspended})));
  timers_.Advance(seconds(1));
  ASSERT_EQ(prober_.held.count("10.0.1.2:8080"), 1u);
  prober_.healthy["10.0.1.2:8080"] = false;
  addresses_.Set({});
  prober_.Answer("10.0.1.2:8080");
  control::Status s = Report(*e);
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].checks_failed, 0u);
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].checks_ok, 0u);
  timers_.Advance(seconds(20));
  EXPECT_EQ(prober_.runs["10.0.1.2:8080"], 1);  // suspended: no check after it
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{
                        {"10.0.1.1:8080", 1}, {"10.0.1.2:8080", 1}, {"10.0.1.3:8080", 1}}));
  // Resumed: checked again, and the failure counts now.
  prober_.hold = false;
  addresses_.Set({LocalOn(2, "10.0.0.1")});
  timers_.Advance(seconds(5));
  EXPECT_GE(prober_.runs["10.0.1.2:8080"], 2);
  EXPECT_GE(Report(*e).virtual_servers[0].real_servers[1].checks_failed, 1u);
}

TEST_F(EngineTest, HaSuspendOfAVirtualServerAReloadAddsIsTheAddressesNow) {
  auto e = Make();
  addresses_.now = {LocalOn(2, "10.0.0.1")};
  ASSERT_TRUE(e->Start(Config({Vs(81)})));
  timers_.Advance(seconds(1));
  EXPECT_EQ(addresses_.follows, 0);  // nobody asks for them
  model::VirtualServer local = Vs();
  local.ha_suspend = true;
  model::VirtualServer away = Vs(82);
  away.address = Ip("10.0.0.9");
  away.ha_suspend = true;
  ASSERT_TRUE(e->Reload(Config({Vs(81), local, away})));
  EXPECT_EQ(addresses_.follows, 1);
  const int runs = prober_.runs["10.0.1.1:8080"];
  timers_.Advance(seconds(1));
  EXPECT_EQ(prober_.runs["10.0.1.1:8080"], runs + 1);  // local's first check, not away's
  timers_.Advance(seconds(5));
  EXPECT_EQ(prober_.runs["10.0.1.1:8080"], runs + 3);  // 81's and local's, not away's
  // away's address comes: it is checked from then on.
  addresses_.Set({LocalOn(2, "10.0.0.1"), LocalOn(2, "10.0.0.9")});
  timers_.Advance(seconds(5));
  EXPECT_EQ(prober_.runs["10.0.1.1:8080"], runs + 6);
}

// Unlike keepalived 2.2.7 (suspended for ever), a group's service is checked while one of
// the group's addresses or ranges is local.
TEST_F(EngineTest, HaSuspendOfAGroupFollowsItsAddressesAndRanges) {
  model::VirtualServer grouped = Vs();
  grouped.address.reset();
  grouped.port = 0;
  grouped.group = "g";
  grouped.ha_suspend = true;
  grouped.real_servers = {Rs("10.0.2.1")};
  model::Config config = Config({grouped});
  config.virtual_server_groups.push_back(model::VirtualServerGroup{
      .name = "g",
      .entries = {model::VsgEntry{.address = Ip("10.0.0.1"), .port = 80},
                  model::VsgEntry{.address = Ip("10.0.0.20"), .range_end = Ip("10.0.0.29"),
                                  .port = 80}}});
  addresses_.now = {LocalOn(2, "10.0.0.30")};
  auto e = Make();
  ASSERT_TRUE(e->Start(config));
  timers_.Advance(seconds(11));
  EXPECT_EQ(prober_.runs["10.0.2.1:8080"], 0);
  addresses_.Set({LocalOn(2, "10.0.0.30"), LocalOn(2, "10.0.0.25")});
  timers_.Advance(seconds(5));
  EXPECT_EQ(prober_.runs["10.0.2.1:8080"], 1);
  addresses_.Set({LocalOn(2, "10.0.0.1")});
  timers_.Advance(seconds(5));
  EXPECT_EQ(prober_.runs["10.0.2.1:8080"], 2);
  addresses_.Set({});
  timers_.Advance(seconds(10));
  EXPECT_EQ(prober_.runs["10.0.2.1:8080"], 2);
  EXPECT_TRUE(Report(*e).virtual_servers[0].checkers_suspended);
}

control::Operation Drain(const char* rs, double timeout_s = 0) {
  return control::Operation{.command = "drain", .virtual_server = "10.0.0.1:80/tcp",
                            .real_server = rs, .timeout_s = timeout_s};
}

TEST_F(EngineTest, DrainEndsWhenTheServerHasNoConnectionLeft) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  kernel_.connections["10.0.1.1:8080"] = 2;
  ASSERT_TRUE(e->Operate(Drain("10.0.1.1:8080")));
  EXPECT_EQ(Pool()["10.0.1.1:8080"], 0u);
  EXPECT_TRUE(kernel_.counted.empty());
  // Counted each second while it has connections: it stays, at weight 0.
  timers_.Advance(seconds(5));
  EXPECT_EQ(kernel_.counted,
            std::vector<std::string>(5, "tcp 10.0.0.1:80 10.0.1.1:8080"));
  EXPECT_EQ(Pool()["10.0.1.1:8080"], 0u);
  EXPECT_EQ(Report(*e).virtual_servers[0].real_servers[0].admin, "draining");
  kernel_.connections["10.0.1.1:8080"] = 0;
  timers_.Advance(seconds(1));
  timers_.Advance(seconds(1));
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.1.2:8080", 1}, {"10.0.1.3:8080", 1}}));
  EXPECT_EQ(Report(*e).virtual_servers[0].real_servers[0].admin, "disabled");
  // Nothing is counted once no drain is pending, and its timeout is gone.
  const size_t counts = kernel_.counted.size();
  timers_.Advance(seconds(400));
  EXPECT_EQ(kernel_.counted.size(), counts);
  EXPECT_EQ(Report(*e).virtual_servers[0].real_servers[0].admin, "disabled");
}

TEST_F(EngineTest, DrainThatCannotCountEndsAtItsTimeout) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  kernel_.uncountable = true;
  ASSERT_TRUE(e->Operate(Drain("10.0.1.2:8080", 10)));
  timers_.Advance(seconds(9));
  EXPECT_EQ(kernel_.counted.size(), 9u);
  EXPECT_EQ(Report(*e).virtual_servers[0].real_servers[1].admin, "draining");
  timers_.Advance(seconds(2));
  EXPECT_EQ(Report(*e).virtual_servers[0].real_servers[1].admin, "disabled");
  EXPECT_FALSE(Pool().contains("10.0.1.2:8080"));
}

TEST_F(EngineTest, EnableDuringADrainStopsCounting) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  kernel_.connections["10.0.1.3:8080"] = 1;
  ASSERT_TRUE(e->Operate(Drain("10.0.1.3:8080")));
  timers_.Advance(seconds(2));
  ASSERT_TRUE(e->Operate(control::Operation{.command = "enable",
                                            .virtual_server = "10.0.0.1:80/tcp",
                                            .real_server = "10.0.1.3:8080"}));
  kernel_.connections["10.0.1.3:8080"] = 0;
  timers_.Advance(seconds(5));
  EXPECT_EQ(kernel_.counted.size(), 2u);
  EXPECT_EQ(Pool()["10.0.1.3:8080"], 1u);
  EXPECT_EQ(Report(*e).virtual_servers[0].real_servers[2].admin, "enabled");
}

TEST_F(EngineTest, AutoChoosesNftablesWithoutIpvs) {
  auto e = Make();
  model::Config c = Config({Vs()});
  c.global.other.clear();
  ASSERT_TRUE(e->Start(c));
  EXPECT_EQ(chosen_, lb::BackendKind::kNftables);
  EXPECT_EQ(modules_loaded_, std::vector<std::string>{"ip_vs"});  // tried before deciding
}

TEST_F(EngineTest, UnsupportedSchedulerFailsStartClearly) {
  auto e = Make();
  model::VirtualServer vs = Vs();
  vs.scheduler = model::Scheduler::kWlc;
  auto r = e->Start(Config({vs}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kUnsupported);
  EXPECT_THAT(r.error().context(), ::testing::HasSubstr("scheduler 'wlc'"));
  EXPECT_TRUE(kernel_.applies.empty());
}

TEST_F(EngineTest, BadBackendChoiceFailsStart) {
  auto e = Make();
  model::Config c = Config({Vs()});
  c.global.other[0].args = {"xdp"};
  auto r = e->Start(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context(), "load balancer backend 'xdp' is not one of ipvs, nftables or auto");
}

TEST_F(EngineTest, FailureIsRetriedThenRemovesTheServerAndSuccessBringsItBack) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  timers_.Advance(seconds(1));  // bootstrap delay: first round, all succeed
  EXPECT_EQ(prober_.runs["10.0.1.2:8080"], 1);

  prober_.healthy["10.0.1.2:8080"] = false;
  timers_.Advance(seconds(5));  // fails once: retried after delay_before_retry
  EXPECT_EQ(Pool().size(), 3u);
  timers_.Advance(seconds(1));  // fails again: retry used up -> DOWN
  EXPECT_EQ(prober_.runs["10.0.1.2:8080"], 3);
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.1.1:8080", 1}, {"10.0.1.3:8080", 1}}));
  EXPECT_EQ(scripts_.started, (std::vector<std::string>{"/bin/down 10.0.1.2"}));
  control::Status s = Report(*e);
  EXPECT_FALSE(s.virtual_servers[0].real_servers[1].up);
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].weight, 0);
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].checks_ok, 1u);
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].checks_failed, 2u);

  prober_.healthy["10.0.1.2:8080"] = true;
  timers_.Advance(seconds(5));
  EXPECT_EQ(Pool().size(), 3u);
  EXPECT_EQ(scripts_.started, (std::vector<std::string>{"/bin/down 10.0.1.2"}));  // in order
  scripts_.FinishOldest();
  EXPECT_EQ(scripts_.started, (std::vector<std::string>{"/bin/down 10.0.1.2", "/bin/up 10.0.1.2"}));
}

TEST_F(EngineTest, HealthQuorumAndTheEndOfADrainAreEvents) {
  auto e = Make();
  std::vector<std::string> events;
  e->set_on_event([&](std::string body) { events.push_back(std::move(body)); });
  ASSERT_TRUE(e->Start(Config({Vs()})));
  timers_.Advance(seconds(1));
  EXPECT_EQ(events, (std::vector<std::string>{
                        R"({"type":"quorum","virtual_server":"10.0.0.1:80/tcp","quorum":"up","live_weight":3,"threshold":1,"reason":"start"})"}));
  events.clear();
  for (const char* rs : {"10.0.1.1:8080", "10.0.1.2:8080", "10.0.1.3:8080"})
    prober_.healthy[rs] = false;
  timers_.Advance(seconds(6));
  EXPECT_EQ(events, (std::vector<std::string>{
      R"({"type":"real_server","virtual_server":"10.0.0.1:80/tcp","real_server":"10.0.1.1:8080","health":"DOWN","reason":"check"})",
      R"({"type":"real_server","virtual_server":"10.0.0.1:80/tcp","real_server":"10.0.1.2:8080","health":"DOWN","reason":"check"})",
      R"({"type":"real_server","virtual_server":"10.0.0.1:80/tcp","real_server":"10.0.1.3:8080","health":"DOWN","reason":"check"})",
      R"({"type":"quorum","virtual_server":"10.0.0.1:80/tcp","quorum":"down","live_weight":0,"threshold":1,"reason":"check"})"}));
  events.clear();
  prober_.healthy["10.0.1.2:8080"] = true;
  timers_.Advance(seconds(5));
  EXPECT_EQ(events, (std::vector<std::string>{
      R"({"type":"real_server","virtual_server":"10.0.0.1:80/tcp","real_server":"10.0.1.2:8080","health":"UP","reason":"check"})",
      R"({"type":"quorum","virtual_server":"10.0.0.1:80/tcp","quorum":"up","live_weight":1,"threshold":1,"reason":"check"})"}));
  events.clear();
  // Its only live server drains: weight 0 takes the quorum down.
  ASSERT_TRUE(e->Operate(Drain("10.0.1.2:8080", 3)));
  kernel_.connections["10.0.1.2:8080"] = 1;
  timers_.Advance(seconds(2));
  EXPECT_EQ(events, (std::vector<std::string>{
      R"({"type":"quorum","virtual_server":"10.0.0.1:80/tcp","quorum":"down","live_weight":0,"threshold":1,"reason":"check"})"}));
  events.clear();
  timers_.Advance(seconds(2));
  EXPECT_EQ(events, (std::vector<std::string>{
      R"({"type":"drain_ended","virtual_server":"10.0.0.1:80/tcp","real_server":"10.0.1.2:8080","reason":"timeout"})"}));
}

TEST_F(EngineTest, EachChangeIsOneSmallTransaction) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  timers_.Advance(seconds(1));
  const size_t before = kernel_.applies.size();
  prober_.healthy["10.0.1.3:8080"] = false;
  timers_.Advance(seconds(6));
  ASSERT_EQ(kernel_.applies.size(), before + 1);
  ASSERT_EQ(kernel_.applies.back().size(), 1u);
  EXPECT_EQ(kernel_.applies.back()[0].kind, lb::OpKind::kDeleteDestination);
}

TEST_F(EngineTest, ChangesDecidedInOnePassAreOneTransaction) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  timers_.Advance(seconds(1));
  const size_t before = kernel_.applies.size();
  // Both servers' probes run in the same turn and fail together.
  prober_.healthy["10.0.1.1:8080"] = false;
  prober_.healthy["10.0.1.3:8080"] = false;
  timers_.Advance(seconds(6));
  ASSERT_EQ(kernel_.applies.size(), before + 1);
  ASSERT_EQ(kernel_.applies.back().size(), 2u);
  EXPECT_EQ(kernel_.applies.back()[0].kind, lb::OpKind::kDeleteDestination);
  EXPECT_EQ(kernel_.applies.back()[1].kind, lb::OpKind::kDeleteDestination);
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.1.2:8080", 1}}));
}

TEST_F(EngineTest, APassHandsTheLoadBalancerOnlyTheServicesItChanged) {
  auto e = Make();
  model::VirtualServer web = Vs(80), mail = Vs(81);
  ASSERT_TRUE(e->Start(Config({web, mail})));
  timers_.Advance(seconds(1));
  const lb::ServiceKey web_key = kService;
  const lb::ServiceKey mail_key = lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.1"), 81};
  // Every server in both pools, as one set of operations from an empty kernel.
  std::mt19937 rng(512);
  const std::vector<std::string> servers = {"10.0.1.1:8080", "10.0.1.2:8080", "10.0.1.3:8080"};
  std::map<std::string, bool> up = {{servers[0], true}, {servers[1], true}, {servers[2], true}};
  std::map<std::pair<int, std::string>, int64_t> weight;  // set by the operator
  for (int round = 0; round < 60; ++round) {
    const size_t before = kernel_.applies.size();
    if (round % 3 == 2) {
      // The operator changes one server's weight in one virtual server.
      const int port = rng() % 2 == 0 ? 80 : 81;
      const std::string rs = servers[rng() % 3];
      const int64_t w = static_cast<int64_t>(rng() % 4);
      ASSERT_TRUE(e->Operate(control::Operation{.command = "weight",
                                                .virtual_server = "10.0.0.1:" +
                                                                  std::to_string(port) + "/tcp",
                                                .real_server = rs,
                                                .weight = w}));
      weight[{port, rs}] = w;
    } else {
      // Health flips: each server is probed once for both virtual servers (one probe).
      for (const std::string& rs : servers) {
        up[rs] = rng() % 3 != 0;
        prober_.healthy[rs] = up[rs];
      }
      timers_.Advance(seconds(12));
    }
    // Each apply names only services whose pool changed, and its operations alone turn the
    // kernel into the whole desired state.
    for (size_t i = before; i < kernel_.applies.size(); ++i) {
      for (const lb::Op& op : kernel_.applies[i]) {
        EXPECT_TRUE(op.kind == lb::OpKind::kAddDestination ||
                    op.kind == lb::OpKind::kUpdateDestination ||
                    op.kind == lb::OpKind::kDeleteDestination)
            << lb::ToString(op);
      }
    }
    ASSERT_EQ(kernel_.by_ops, kernel_.state) << round;
    for (int port : {80, 81}) {
      std::map<std::string, uint32_t> want;
      for (const std::string& rs : servers) {
        if (!up[rs]) continue;
        auto w = weight.find({port, rs});
        want[rs] = w == weight.end() ? 1u : static_cast<uint32_t>(w->second);
      }
      ASSERT_EQ(Pool(port == 80 ? web_key : mail_key), want) << round << " port " << port;
    }
  }
}

TEST_F(EngineTest, AuditRestoresWhatSomeoneElseRemovedAndCountsIt) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  timers_.Advance(seconds(1));
  // Someone deletes a real server behind the engine's back (IPVS has no events).
  kernel_.state.services.at(kService).destinations.erase(
      kernel_.state.services.at(kService).destinations.begin());
  EXPECT_EQ(Pool().size(), 2u);
  timers_.Advance(seconds(2));  // an audit finds it, the restoration follows 50 ms later
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{
                        {"10.0.1.1:8080", 1}, {"10.0.1.2:8080", 1}, {"10.0.1.3:8080", 1}}));
  EXPECT_EQ(Report(*e).lb_restorations, (std::map<std::string, uint64_t>{{"audit", 1}}));
  timers_.Advance(seconds(5));  // nothing more to restore
  EXPECT_EQ(Report(*e).lb_restorations, (std::map<std::string, uint64_t>{{"audit", 1}}));
}

TEST_F(EngineTest, AnAuditAwayFromTheLoopRestoresWhatSomeoneElseRemoved) {
  kernel_.audit_away = true;
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  timers_.Advance(seconds(1));
  ASSERT_EQ(background_.works.size(), 1u);  // the first audit waits for its thread
  background_.RunWork();
  background_.Deliver();  // nothing found
  kernel_.state.services.at(kService).destinations.erase(
      kernel_.state.services.at(kService).destinations.begin());
  timers_.Advance(seconds(1));
  EXPECT_TRUE(background_.dones.empty());
  ASSERT_EQ(background_.works.size(), 1u);
  background_.RunWork();
  // Until its findings reach the loop, the loop acts on nothing, and starts no other audit.
  timers_.Advance(seconds(3));
  EXPECT_EQ(Pool().size(), 2u);
  EXPECT_TRUE(background_.works.empty());
  background_.Deliver();
  timers_.Advance(milliseconds(50));  // the restoration follows 50 ms later
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{
                        {"10.0.1.1:8080", 1}, {"10.0.1.2:8080", 1}, {"10.0.1.3:8080", 1}}));
  EXPECT_EQ(Report(*e).lb_restorations, (std::map<std::string, uint64_t>{{"audit", 1}}));
}

TEST_F(EngineTest, AnAuditThatReadTheKernelAsVigilChangedItActsOnNothingAndIsRepeated) {
  kernel_.audit_away = true;
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  timers_.Advance(seconds(1));
  ASSERT_EQ(background_.works.size(), 1u);  // the audit's job, given the pool of three
  // Meanwhile a server fails and leaves the pool; then the job reads the kernel: to it, the
  // server is missing.
  prober_.healthy["10.0.1.3:8080"] = false;
  timers_.Advance(seconds(7));
  ASSERT_EQ(Pool().size(), 2u);
  background_.RunWork();
  background_.Deliver();
  timers_.Advance(seconds(1));
  EXPECT_EQ(Pool().size(), 2u);
  EXPECT_EQ(Report(*e).lb_restorations, (std::map<std::string, uint64_t>{}));
  // The next audit compares with the pool of two, and finds nothing.
  ASSERT_EQ(background_.works.size(), 1u);
  background_.RunWork();
  background_.Deliver();
  timers_.Advance(seconds(1));
  EXPECT_EQ(Report(*e).lb_restorations, (std::map<std::string, uint64_t>{}));
}

TEST_F(EngineTest, AnAuditThatEndsAfterTheEngineStoppedIsIgnored) {
  kernel_.audit_away = true;
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  timers_.Advance(seconds(1));
  ASSERT_EQ(background_.works.size(), 1u);
  kernel_.state.services.clear();  // someone deletes it all
  background_.RunWork();
  bool stopped = false;
  e->Stop([&] { stopped = true; });
  background_.Deliver();
  timers_.Advance(seconds(5));
  EXPECT_TRUE(stopped);
  EXPECT_TRUE(kernel_.state.services.empty());  // not restored after the stop
  EXPECT_EQ(Report(*e).lb_restorations, (std::map<std::string, uint64_t>{}));
}

TEST_F(EngineTest, InhibitOnFailureKeepsTheServerAtWeightZero) {
  auto e = Make();
  model::VirtualServer vs = Vs();
  vs.real_servers[0].inhibit_on_failure = true;
  vs.real_servers[0].weight = 5;
  prober_.healthy["10.0.1.1:8080"] = false;
  ASSERT_TRUE(e->Start(Config({vs})));
  EXPECT_EQ(Pool()["10.0.1.1:8080"], 5u);
  timers_.Advance(seconds(1));  // the very first failure decides at once
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{
                        {"10.0.1.1:8080", 0}, {"10.0.1.2:8080", 1}, {"10.0.1.3:8080", 1}}));
}

TEST_F(EngineTest, AlphaServersStartDown) {
  auto e = Make();
  model::VirtualServer vs = Vs();
  for (auto& rs : vs.real_servers) rs.checks[0].alpha = true;
  vs.quorum = 1;
  ASSERT_TRUE(e->Start(Config({vs})));
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{}));
  prober_.healthy["10.0.1.3:8080"] = false;
  timers_.Advance(seconds(1));
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.1.1:8080", 1}, {"10.0.1.2:8080", 1}}));
}

TEST_F(EngineTest, BfdCheckFollowsTheBfdEnginesNewsAtOnceAndIsNeverProbed) {
  auto e = Make();
  model::VirtualServer vs = Vs();
  // 10.0.1.2 is checked by BFD session "b2" besides its TCP_CHECK; 10.0.1.3 by "b3" alone,
  // alpha (down until the session is reported Up).
  model::CheckSpec bfd;
  bfd.detail = model::BfdCheck{"b2", std::nullopt, false};
  bfd.delay_loop = seconds(5);
  bfd.retry = 1;
  vs.real_servers[1].checks.push_back(bfd);
  bfd.detail = model::BfdCheck{"b3", std::nullopt, false};
  bfd.alpha = true;
  vs.real_servers[2].checks = {bfd};
  ASSERT_TRUE(e->Start(Config({vs})));
  timers_.Advance(seconds(1));
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.1.1:8080", 1}, {"10.0.1.2:8080", 1}}));

  e->OnBfdState("b3", true);
  timers_.Advance(seconds(0));
  EXPECT_EQ(Pool().size(), 3u);
  e->OnBfdState("b2", false);  // no retry: down at once
  timers_.Advance(seconds(0));
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.1.1:8080", 1}, {"10.0.1.3:8080", 1}}));
  EXPECT_EQ(scripts_.started,
            (std::vector<std::string>{"/bin/up 10.0.1.3", "/bin/down 10.0.1.2"}));
  e->OnBfdState("other", false);  // another session: nothing
  e->OnBfdState("b2", true);
  timers_.Advance(seconds(30));
  EXPECT_EQ(Pool().size(), 3u);
  // Only the TCP_CHECKs were ever probed.
  EXPECT_EQ(prober_.runs.count("10.0.1.3:8080"), 0u);
  control::Status s = Report(*e);
  EXPECT_EQ(s.virtual_servers[0].real_servers[2].checks_ok, 1u);
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].checks_failed, 1u);
}

TEST_F(EngineTest, LostQuorumSwapsInTheSorryServerAndRunsQuorumScripts) {
  auto e = Make();
  model::VirtualServer vs = Vs();
  for (auto& rs : vs.real_servers) rs.notify_up = rs.notify_down = std::nullopt;
  vs.quorum = 2;
  vs.sorry_server = model::SorryServer{.address = Ip("10.0.2.1"), .port = 80};
  vs.quorum_up = model::Script{.command = "/bin/qup"};
  vs.quorum_down = model::Script{.command = "/bin/qdown"};
  ASSERT_TRUE(e->Start(Config({vs})));
  EXPECT_EQ(scripts_.started, (std::vector<std::string>{"/bin/qup"}));  // starting with quorum
  scripts_.FinishAll();
  timers_.Advance(seconds(1));
  prober_.healthy["10.0.1.1:8080"] = false;
  prober_.healthy["10.0.1.2:8080"] = false;
  timers_.Advance(seconds(6));
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.2.1:80", 1}}));
  EXPECT_EQ(scripts_.started, (std::vector<std::string>{"/bin/qup", "/bin/qdown"}));
  control::Status s = Report(*e);
  EXPECT_FALSE(s.virtual_servers[0].quorum_up);
  EXPECT_TRUE(s.virtual_servers[0].sorry_server_active);
  scripts_.FinishAll();
  prober_.healthy["10.0.1.1:8080"] = true;
  timers_.Advance(seconds(5));
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.1.1:8080", 1}, {"10.0.1.3:8080", 1}}));
  EXPECT_EQ(scripts_.started, (std::vector<std::string>{"/bin/qup", "/bin/qdown", "/bin/qup"}));
}

TEST_F(EngineTest, IdenticalProbesRunOnce) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs(80), Vs(81)})));
  timers_.Advance(seconds(1));
  EXPECT_EQ(prober_.runs["10.0.1.1:8080"], 1);
  prober_.healthy["10.0.1.1:8080"] = false;
  timers_.Advance(seconds(6));
  const lb::ServiceKey other = lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.1"), 81};
  EXPECT_EQ(Pool().count("10.0.1.1:8080"), 0u);
  EXPECT_EQ(Pool(other).count("10.0.1.1:8080"), 0u);
  EXPECT_EQ(prober_.runs["10.0.1.1:8080"], 3);
  // The one probe's results count for the real server in both virtual servers.
  control::Status s = Report(*e);
  ASSERT_EQ(s.virtual_servers.size(), 2u);
  for (const auto& vs : s.virtual_servers) {
    EXPECT_EQ(vs.real_servers[0].checks_ok, 1u) << vs.name;
    EXPECT_EQ(vs.real_servers[0].checks_failed, 2u) << vs.name;
    EXPECT_EQ(vs.real_servers[1].checks_ok, 2u) << vs.name;
  }
  timers_.Advance(seconds(6));  // each run counted once in each, not twice
  const uint64_t runs = static_cast<uint64_t>(prober_.runs["10.0.1.2:8080"]);
  ASSERT_GT(runs, 2u);
  s = Report(*e);
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].checks_ok, runs);
  EXPECT_EQ(s.virtual_servers[1].real_servers[1].checks_ok, runs);
}

TEST_F(EngineTest, ReloadKeepsHealthAndEntriesOfUnchangedServers) {
  std::unique_ptr<control::Engine> e;
  ASSERT_NO_FATAL_FAILURE(StartWithSecondServerDown(e));
  const size_t scripts_before = scripts_.started.size();
  const int runs_before = prober_.runs["10.0.1.1:8080"];

  model::VirtualServer vs = Vs();
  vs.real_servers = {Rs("10.0.1.1"), Rs("10.0.1.2"), Rs("10.0.1.4")};  // .3 out, .4 in
  auto r = e->Reload(Config({vs}));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "virtual servers +0 -0 =1 (0 unchanged); real servers +1 -1; probes +1 -1 =2");
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.1.1:8080", 1}, {"10.0.1.4:8080", 1}}));
  ASSERT_FALSE(kernel_.applies.empty());
  EXPECT_EQ(kernel_.applies.back().size(), 2u);  // delete .3, add .4; nothing else touched
  // No flap: the only notification is the removed .3's notify_down (keepalived's
  // clear_service_rs).
  EXPECT_EQ(scripts_.started.size(), scripts_before + 1);
  EXPECT_EQ(scripts_.started.back(), "/bin/down 10.0.1.3");
  EXPECT_EQ(prober_.runs["10.0.1.1:8080"], runs_before);  // the running probe was kept
  control::Status s = Report(*e);
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].checks_failed, 1u);  // stats carried over

  // The kept probe stays on its schedule; the new one starts after the bootstrap delay.
  prober_.healthy["10.0.1.2:8080"] = true;
  timers_.Advance(seconds(1));
  EXPECT_EQ(prober_.runs["10.0.1.4:8080"], 1);
  EXPECT_EQ(prober_.runs["10.0.1.1:8080"], runs_before);
  timers_.Advance(seconds(3));  // t = 5 s: .2's next probe is due at 6 s
  EXPECT_EQ(Pool().size(), 2u);
  timers_.Advance(seconds(1));
  EXPECT_EQ(Pool().size(), 3u);
}

// The same real servers in the same order (the way most reloads at scale look): each keeps
// its health and counters by position, and only a changed weight reaches the kernel.
TEST_F(EngineTest, ReloadWithTheSameServersKeepsEachOnesStateInPlace) {
  std::unique_ptr<control::Engine> e;
  ASSERT_NO_FATAL_FAILURE(StartWithSecondServerDown(e));
  const size_t scripts_before = scripts_.started.size();
  const size_t applies_before = kernel_.applies.size();

  auto r = e->Reload(Config({Vs()}));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "virtual servers +0 -0 =1 (1 unchanged); real servers +0 -0; probes +0 -0 =3");
  EXPECT_EQ(kernel_.applies.size(), applies_before);  // nothing to change in the kernel
  control::Status s = Report(*e);
  ASSERT_EQ(s.virtual_servers[0].real_servers.size(), 3u);
  EXPECT_EQ(s.virtual_servers[0].real_servers[0].checks_ok, 1u);
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].checks_failed, 1u);
  EXPECT_EQ(s.virtual_servers[0].real_servers[2].checks_ok, 1u);

  model::VirtualServer vs = Vs();
  vs.real_servers[2].weight = 3;
  r = e->Reload(Config({vs}));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "virtual servers +0 -0 =1 (0 unchanged); real servers +0 -0; probes +0 -0 =3");
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.1.1:8080", 1}, {"10.0.1.3:8080", 3}}));
  ASSERT_EQ(kernel_.applies.size(), applies_before + 1);
  EXPECT_EQ(kernel_.applies.back().size(), 1u);  // .3's weight, nothing else
  EXPECT_EQ(scripts_.started.size(), scripts_before);  // no flap, no notification
  s = Report(*e);
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].checks_failed, 1u);
  EXPECT_EQ(s.virtual_servers[0].real_servers[2].checks_ok, 1u);
}

// A virtual server whose settings are unchanged, wherever the file now writes them, is kept
// as it runs: nothing of it is built, compared or applied again, and it goes on hearing
// its probes.
TEST_F(EngineTest, ReloadKeepsAVirtualServerMovedInTheFileAsItRuns) {
  std::unique_ptr<control::Engine> e;
  ASSERT_NO_FATAL_FAILURE(StartWithSecondServerDown(e));
  const size_t applies_before = kernel_.applies.size();
  const size_t scripts_before = scripts_.started.size();

  model::VirtualServer vs = Vs();  // as if a line were added above it
  vs.loc = {0, 41, 1};
  vs.real_servers[1].loc = {0, 47, 3};
  vs.real_servers[1].checks[0].loc = {0, 49, 5};
  vs.real_servers[1].notify_up->loc = {0, 48, 5};
  auto r = e->Reload(Config({vs}));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "virtual servers +0 -0 =1 (1 unchanged); real servers +0 -0; probes +0 -0 =3");
  EXPECT_EQ(kernel_.applies.size(), applies_before);
  EXPECT_EQ(scripts_.started.size(), scripts_before);
  EXPECT_EQ(Report(*e).virtual_servers[0].real_servers[1].checks_failed, 1u);

  prober_.healthy["10.0.1.2:8080"] = true;  // .2's next probe (t = 6 s) brings it back
  timers_.Advance(seconds(5));
  EXPECT_EQ(Pool().size(), 3u);
  EXPECT_EQ(scripts_.started.back(), "/bin/up 10.0.1.2");
}

// One real server changed (its weight, then its check) in an otherwise equal virtual server:
// that virtual server is built again, the other one beside it is kept as it runs.
TEST_F(EngineTest, ReloadBuildsAgainAVirtualServerWithOneRealServerChanged) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs(80), Vs(81)})));
  timers_.Advance(seconds(1));
  const lb::ServiceKey other = lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.1"), 81};
  const size_t applies_before = kernel_.applies.size();

  model::VirtualServer weighted = Vs(81);
  weighted.real_servers[2].weight = 3;
  auto r = e->Reload(Config({Vs(80), weighted}));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "virtual servers +0 -0 =2 (1 unchanged); real servers +0 -0; probes +0 -0 =3");
  EXPECT_EQ(Pool(other), (std::map<std::string, uint32_t>{
                             {"10.0.1.1:8080", 1}, {"10.0.1.2:8080", 1}, {"10.0.1.3:8080", 3}}));
  ASSERT_EQ(kernel_.applies.size(), applies_before + 1);
  EXPECT_EQ(kernel_.applies.back().size(), 1u);  // .3's weight in :81, nothing else

  model::VirtualServer checked = weighted;
  checked.real_servers[0].checks[0].connect_timeout = seconds(2);
  r = e->Reload(Config({Vs(80), checked}));
  ASSERT_TRUE(r) << r.error().ToString();
  // :81's .1 has a probe of its own now; :80's goes on.
  EXPECT_EQ(*r, "virtual servers +0 -0 =2 (1 unchanged); real servers +0 -0; probes +1 -0 =3");
  EXPECT_EQ(kernel_.applies.size(), applies_before + 1);
  EXPECT_EQ(Pool(other).size(), 3u);
}

// A virtual server kept as it runs takes its new place in the list: removing the one before
// it leaves its probes reporting to it, not to what is now gone.
TEST_F(EngineTest, AVirtualServerKeptAsItRunsHearsItsProbesAtItsNewPlace) {
  auto e = Make();
  model::VirtualServer second = Vs(81);
  second.real_servers = {Rs("10.0.2.1"), Rs("10.0.2.2")};
  ASSERT_TRUE(e->Start(Config({Vs(80), second})));
  timers_.Advance(seconds(1));
  auto r = e->Reload(Config({second}));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "virtual servers +0 -1 =1 (1 unchanged); real servers +0 -3; probes +0 -3 =2");
  EXPECT_EQ(kernel_.state.Find(kService), nullptr);
  const lb::ServiceKey other = lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.1"), 81};
  ASSERT_EQ(Pool(other).size(), 2u);

  prober_.healthy["10.0.2.2:8080"] = false;
  timers_.Advance(seconds(10));
  EXPECT_EQ(Pool(other), (std::map<std::string, uint32_t>{{"10.0.2.1:8080", 1}}));
  control::Status s = Report(*e);
  ASSERT_EQ(s.virtual_servers.size(), 1u);
  EXPECT_EQ(s.virtual_servers[0].name, "10.0.0.1:81/tcp");
  EXPECT_FALSE(s.virtual_servers[0].real_servers[1].up);
  EXPECT_GT(s.virtual_servers[0].real_servers[1].checks_failed, 0u);
}

// Probes shared by a virtual server kept in place (:80), one kept but moved (:81, after a
// removed one) and, at the next reload, one built again (:81 with a weight changed): each
// result reaches both, once, at their places now.
TEST_F(EngineTest, ProbesSharedAcrossAReloadReportToEveryVirtualServerAtItsPlace) {
  auto e = Make();
  model::VirtualServer gone = Vs(79);
  gone.real_servers = {Rs("10.0.3.1")};
  ASSERT_TRUE(e->Start(Config({Vs(80), gone, Vs(81)})));
  timers_.Advance(seconds(1));
  auto r = e->Reload(Config({Vs(80), Vs(81)}));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "virtual servers +0 -1 =2 (2 unchanged); real servers +0 -1; probes +0 -1 =3");
  const lb::ServiceKey other = lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.1"), 81};
  prober_.healthy["10.0.1.1:8080"] = false;
  timers_.Advance(seconds(6));  // two failed runs of .1 (t = 1 + 5, retry)
  EXPECT_EQ(Pool().count("10.0.1.1:8080"), 0u);
  EXPECT_EQ(Pool(other).count("10.0.1.1:8080"), 0u);

  model::VirtualServer weighted = Vs(81);
  weighted.real_servers[2].weight = 3;
  r = e->Reload(Config({Vs(80), weighted}));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "virtual servers +0 -0 =2 (1 unchanged); real servers +0 -0; probes +0 -0 =3");
  prober_.healthy["10.0.1.1:8080"] = true;
  prober_.healthy["10.0.1.2:8080"] = false;
  timers_.Advance(seconds(6));
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.1.1:8080", 1}, {"10.0.1.3:8080", 1}}));
  EXPECT_EQ(Pool(other),
            (std::map<std::string, uint32_t>{{"10.0.1.1:8080", 1}, {"10.0.1.3:8080", 3}}));
  control::Status s = Report(*e);
  ASSERT_EQ(s.virtual_servers.size(), 2u);
  const int runs = prober_.runs["10.0.1.2:8080"];
  for (const auto& vs : s.virtual_servers) {
    EXPECT_EQ(vs.real_servers[0].checks_ok + vs.real_servers[0].checks_failed,
              static_cast<uint64_t>(prober_.runs["10.0.1.1:8080"])) << vs.name;
    EXPECT_EQ(vs.real_servers[1].checks_ok + vs.real_servers[1].checks_failed,
              static_cast<uint64_t>(runs)) << vs.name;
  }
}

// Two virtual servers fed one service (an address and a group naming it); one goes, the
// other is kept as it runs: the service stays, with the kept one's real servers alone.
TEST_F(EngineTest, ReloadRemovingOneOfTwoVirtualServersOfAServiceKeepsTheOthersPart) {
  auto e = Make();
  model::VirtualServer grouped = Vs();
  grouped.address.reset();
  grouped.port = 0;
  grouped.group = "g";
  grouped.real_servers = {Rs("10.0.2.1")};
  model::Config both = Config({Vs(), grouped});
  both.virtual_server_groups.push_back(
      model::VirtualServerGroup{.name = "g", .entries = {model::VsgEntry{.address = Ip("10.0.0.1"), .port = 80}}});
  ASSERT_TRUE(e->Start(both));
  ASSERT_EQ(Pool().size(), 4u);
  model::Config one = both;
  one.virtual_servers.erase(one.virtual_servers.begin());
  auto r = e->Reload(one);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "virtual servers +0 -1 =1 (1 unchanged); real servers +0 -3; probes +0 -3 =1");
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.2.1:8080", 1}}));
}

// What a virtual server is read with besides itself changed (here the SSL settings), or it
// has a MISC_CHECK (its script's user and file are checked at every reload): built again.
TEST_F(EngineTest, ReloadBuildsAgainWhatItCannotTellUnchanged) {
  auto e = Make();
  model::VirtualServer misc = Vs(81);
  misc.real_servers[0].checks[0].detail = model::MiscCheck{.path = {.command = "/bin/true"}};
  ASSERT_TRUE(e->Start(Config({Vs(80), misc})));
  auto r = e->Reload(Config({Vs(80), misc}));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "virtual servers +0 -0 =2 (1 unchanged); real servers +0 -0; probes +0 -0 =4");
  model::Config ssl = Config({Vs(80), misc});
  ssl.ssl = model::SslConfig{.ca = "/etc/vigil/ca.pem"};
  r = e->Reload(ssl);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "virtual servers +0 -0 =2 (0 unchanged); real servers +0 -0; probes +0 -0 =4");
}

TEST_F(EngineTest, ProbeDroppedByReloadWhileInFlightIgnoresItsAnswer) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  prober_.hold = true;
  timers_.Advance(seconds(1));
  ASSERT_EQ(prober_.held.size(), 3u);
  model::VirtualServer vs = Vs();
  vs.real_servers = {Rs("10.0.1.1"), Rs("10.0.1.2")};  // .3 out while its probe runs
  ASSERT_TRUE(e->Reload(Config({vs})));
  // The removed server's check is cancelled at once (its socket or script goes now).
  EXPECT_EQ(prober_.cancelled, std::vector<std::string>{"10.0.1.3:8080"});
  const size_t applies = kernel_.applies.size();
  const size_t scripts = scripts_.started.size();

  prober_.healthy["10.0.1.3:8080"] = false;
  prober_.Answer("10.0.1.3:8080");  // the dropped probe's answer changes nothing
  EXPECT_EQ(kernel_.applies.size(), applies);
  EXPECT_EQ(scripts_.started.size(), scripts);
  prober_.healthy["10.0.1.2:8080"] = false;
  prober_.Answer("10.0.1.2:8080");  // a kept probe's answer counts as ever
  prober_.Answer("10.0.1.1:8080");
  control::Status s = Report(*e);
  EXPECT_EQ(s.virtual_servers[0].real_servers[0].checks_ok, 1u);
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].checks_failed, 1u);
  prober_.hold = false;
  timers_.Advance(seconds(1));  // retry of .2: down
  EXPECT_EQ(Pool(), (std::map<std::string, uint32_t>{{"10.0.1.1:8080", 1}}));
  EXPECT_EQ(prober_.runs["10.0.1.3:8080"], 1);
}

TEST_F(EngineTest, ReportShowsHowLongTheCheckInFlightHasRun) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  prober_.hold = true;
  timers_.Advance(seconds(1));
  ASSERT_EQ(prober_.held.size(), 3u);
  timers_.Advance(std::chrono::milliseconds(2500));  // the probes started at t = 1 s
  prober_.Answer("10.0.1.1:8080");
  control::Status s = Report(*e);
  EXPECT_EQ(s.virtual_servers[0].real_servers[0].check_running_s, 0.0);  // answered
  EXPECT_EQ(s.virtual_servers[0].real_servers[1].check_running_s, 2.5);
  EXPECT_EQ(s.virtual_servers[0].real_servers[2].check_running_s, 2.5);
  // Stopping cancels what still runs.
  bool stopped = false;
  e->Stop([&] { stopped = true; });
  std::vector<std::string> cancelled = prober_.cancelled;
  std::sort(cancelled.begin(), cancelled.end());
  EXPECT_EQ(cancelled, (std::vector<std::string>{"10.0.1.2:8080", "10.0.1.3:8080"}));
}

TEST_F(EngineTest, ReloadAddsAndRemovesVirtualServers) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs(80)})));
  auto r = e->Reload(Config({Vs(81)}));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "virtual servers +1 -1 =0 (0 unchanged); real servers +3 -3; probes +0 -0 =3");
  EXPECT_EQ(kernel_.state.Find(kService), nullptr);
  const lb::ServiceKey other = lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.1"), 81};
  EXPECT_EQ(Pool(other).size(), 3u);
}

TEST_F(EngineTest, RefusedReloadKeepsTheRunningState) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  const lb::State before = kernel_.state;
  model::VirtualServer vs = Vs();
  vs.scheduler = model::Scheduler::kLc;
  vs.real_servers.pop_back();
  auto r = e->Reload(Config({vs}));
  ASSERT_FALSE(r);
  EXPECT_EQ(kernel_.state, before);
  EXPECT_EQ(Report(*e).virtual_servers[0].real_servers.size(), 3u);
}

TEST_F(EngineTest, StopRemovesVigilsEntries) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  bool done = false;
  e->Stop([&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_TRUE(kernel_.state.services.empty());
  EXPECT_EQ(timers_.size(), 0u);
}

TEST_F(EngineTest, StopKeepsEntriesWithDontReleaseLb) {
  auto e = Make(/*dont_release=*/true);
  ASSERT_TRUE(e->Start(Config({Vs()})));
  e->Stop([] {});
  EXPECT_EQ(Pool().size(), 3u);
}

TEST_F(EngineTest, OmegaRunsTheDownNotifiersAtStopAndWaitsForThem) {
  auto e = Make();
  model::VirtualServer vs = Vs();
  vs.omega = true;
  vs.quorum_down = model::Script{.command = "/bin/qdown"};
  model::VirtualServer plain = Vs(81);  // without omega: nothing at stop
  plain.quorum_down = model::Script{.command = "/bin/qdown81"};
  ASSERT_TRUE(e->Start(Config({vs, plain})));
  timers_.Advance(seconds(1));
  prober_.healthy["10.0.1.2:8080"] = false;
  timers_.Advance(seconds(6));  // 10.0.1.2 is down: its notify_down has run already
  scripts_.FinishAll();
  scripts_.started.clear();
  bool done = false;
  e->Stop([&] { done = true; });
  EXPECT_TRUE(kernel_.state.services.empty());
  EXPECT_EQ(scripts_.started, (std::vector<std::string>{"/bin/down 10.0.1.1", "/bin/down 10.0.1.3",
                                                        "/bin/qdown"}));
  EXPECT_FALSE(done);  // the scripts still run
  scripts_.FinishAll();
  timers_.Advance(milliseconds(20));
  EXPECT_TRUE(done);
}

TEST_F(EngineTest, StopGivesUpOnHangingShutdownNotifiers) {
  auto e = Make();
  StartOmega(*e);
  bool done = false;
  e->Stop([&] { done = true; });
  EXPECT_EQ(scripts_.running.size(), 3u);
  timers_.Advance(milliseconds(1900));
  EXPECT_FALSE(done);
  timers_.Advance(milliseconds(200));
  EXPECT_TRUE(done);
}

TEST_F(EngineTest, NoShutdownNotifiersWhenTheEntriesStay) {
  auto e = Make(/*dont_release=*/true);  // -I: keepalived does not clear its services either
  StartOmega(*e);
  bool done = false;
  e->Stop([&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_TRUE(scripts_.started.empty());
}

TEST_F(EngineTest, StateChangesAreSignalled) {
  auto e = Make();
  ASSERT_TRUE(e->Start(Config({Vs()})));
  const int after_start = changes_;
  EXPECT_GE(after_start, 1);
  timers_.Advance(seconds(1));
  EXPECT_EQ(changes_, after_start);  // nothing changed
  prober_.healthy["10.0.1.1:8080"] = false;
  timers_.Advance(seconds(6));
  EXPECT_EQ(changes_, after_start + 1);
}

// keepalived's clear_diff_services: a reload that removes a virtual server runs the down
// notifiers of its live real servers, then its quorum_down (the live weight is gone); one
// that removes a real server from a kept virtual server runs that server's notify_down.
TEST_F(EngineTest, AReloadNotifiesWhatItRemovesAsKeepalived) {
  const std::string path = ::testing::TempDir() + "/vigil_engine_test_removed_fifo";
  std::filesystem::remove(path);
  auto e = Make();
  model::VirtualServer web = Vs(80), other = Vs(81);
  web.quorum_down = model::Script{.command = "/bin/qdown"};
  other.quorum_down = model::Script{.command = "/bin/qdown81"};
  model::Config c = Config({web, other});
  c.global.lvs_notify_fifo = model::NotifyFifo{.path = path};
  ASSERT_TRUE(e->Start(c));
  timers_.Advance(seconds(1));
  prober_.healthy["10.0.1.2:8080"] = false;
  timers_.Advance(seconds(6));  // 10.0.1.2 of both is down
  scripts_.FinishAll();
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  char buf[1024];
  (void)read(fd, buf, sizeof buf);  // what start and the checks wrote
  scripts_.started.clear();

  other.real_servers.pop_back();  // 10.0.1.3 leaves :81; :80 goes
  model::Config next = Config({other});
  next.global.lvs_notify_fifo = c.global.lvs_notify_fifo;
  ASSERT_TRUE(e->Reload(next));
  EXPECT_EQ(scripts_.started, (std::vector<std::string>{"/bin/down 10.0.1.3", "/bin/down 10.0.1.1",
                                                        "/bin/down 10.0.1.3", "/bin/qdown"}));
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)),
            "RS [10.0.1.3]:tcp:8080 [10.0.0.1]:tcp:81 DOWN\n"
            "RS [10.0.1.1]:tcp:8080 [10.0.0.1]:tcp:80 DOWN\n"
            "RS [10.0.1.3]:tcp:8080 [10.0.0.1]:tcp:80 DOWN\n"
            "VS [10.0.0.1]:tcp:80 DOWN\n");
  e->Stop([] {});
}

// With lvs_flush_on_stop keepalived removes a virtual server without its notifiers.
TEST_F(EngineTest, AReloadUnderLvsFlushOnStopRemovesAVirtualServerQuietly) {
  auto e = Make();
  model::VirtualServer web = Vs(80), other = Vs(81);
  web.quorum_down = model::Script{.command = "/bin/qdown"};
  ASSERT_TRUE(e->Start(Config({web, other})));
  timers_.Advance(seconds(1));
  scripts_.FinishAll();
  scripts_.started.clear();
  model::Config next = Config({other});
  next.global.lvs_flush_on_stop = model::LvsFlushOnStop::kVs;
  ASSERT_TRUE(e->Reload(next));
  EXPECT_EQ(scripts_.started, std::vector<std::string>{});
  e->Stop([] {});
}

TEST_F(EngineTest, FifoGetsKeepalivedLines) {
  const std::string path = ::testing::TempDir() + "/vigil_engine_test_fifo";
  std::filesystem::remove(path);
  auto e = Make();
  model::Config c = Config({Vs()});
  c.global.lvs_notify_fifo = model::NotifyFifo{.path = path};
  ASSERT_TRUE(e->Start(c));
  prober_.healthy["10.0.1.2:8080"] = false;
  timers_.Advance(seconds(1));
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)),
            "VS [10.0.0.1]:tcp:80 UP\n"
            "RS [10.0.1.2]:tcp:8080 [10.0.0.1]:tcp:80 DOWN\n");
  e->Stop([] {});
  EXPECT_FALSE(std::filesystem::exists(path));  // we made it, we remove it
}

TEST(NotifyQueueTest, RunsInOrderPerQueueAndQueuesIndependently) {
  FakeScripts scripts;
  std::vector<std::string> reports;
  NotifyQueue q(scripts, [&](const std::string& what, const std::string& result) {
    reports.push_back(what + " " + result);
  });
  q.Enqueue("a", SpawnSpec{.argv = {"/a1"}}, "a1", "up");
  q.Enqueue("a", SpawnSpec{.argv = {"/a2"}}, "a2", "down");
  q.Enqueue("b", SpawnSpec{.argv = {"/b1"}}, "b1", "up");
  EXPECT_EQ(scripts.started, (std::vector<std::string>{"/a1", "/b1"}));
  EXPECT_EQ(q.pending(), 3u);
  scripts.FinishOldest();  // a1
  EXPECT_EQ(scripts.started, (std::vector<std::string>{"/a1", "/b1", "/a2"}));
  scripts.FinishAll();
  EXPECT_EQ(reports, (std::vector<std::string>{"a1 exit 0", "b1 exit 0", "a2 exit 0"}));
  EXPECT_EQ(q.pending(), 0u);
}

TEST(NotifyQueueTest, AFlappingServerGetsOneScriptForItsLatestState) {
  FakeScripts scripts;
  std::vector<std::string> reports;
  NotifyQueue q(scripts, [&](const std::string& what, const std::string& result) {
    reports.push_back(what + " " + result);
  });
  q.Enqueue("rs", SpawnSpec{.argv = {"/down"}}, "down 1", "down");  // runs (slowly)
  for (int i = 2; i < 100; ++i) {
    q.Enqueue("rs", SpawnSpec{.argv = {"/up"}}, "up " + std::to_string(i), "up");
    q.Transition("rs", "down");  // no notify_down configured from here on
  }
  EXPECT_EQ(q.Enqueue("rs", SpawnSpec{.argv = {"/up"}}, "up 100", "up"), 0u);
  EXPECT_EQ(q.pending(), 2u);  // the running one and the latest: no backlog
  scripts.FinishAll();
  EXPECT_EQ(reports, (std::vector<std::string>{"down 1 exit 0", "up 100 exit 0"}));
  EXPECT_EQ(q.pending(), 0u);
}

TEST(NotifyFifoTest, LinesAreKeepalivedsFormat) {
  EXPECT_EQ(FifoVsLine("[10.0.0.1]:tcp:80", true), "VS [10.0.0.1]:tcp:80 UP\n");
  EXPECT_EQ(FifoVsLine("FWM 7", false), "VS FWM 7 DOWN\n");
  EXPECT_EQ(FifoRsLine("[10.0.1.2]:tcp:8080", "[10.0.0.1]:tcp:80", false),
            "RS [10.0.1.2]:tcp:8080 [10.0.0.1]:tcp:80 DOWN\n");
}


// ---- lvs_sync_daemon IF (no instance): the checker engine runs both sync daemons --------

// An IPVS socket that records the daemon requests (IPVS_CMD_NEW_DAEMON / DEL_DAEMON) and
// answers the family request; everything else succeeds with no reply.
class DaemonRecorder final : public net::NetlinkTransport {
 public:
  Result<void> Transact(std::span<const uint8_t> request,
                        const net::NetlinkReplyHandler& on_reply) override {
    std::vector<uint8_t> bytes(request.begin(), request.end());
    if (bytes.size() > 16 && bytes[4] == GENL_ID_CTRL) {  // the family request
      std::vector<uint8_t> reply = {
          40, 0, 0, 0, GENL_ID_CTRL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, CTRL_CMD_NEWFAMILY, 1,
          0, 0, 0x09, 0x00, 0x02, 0x00, 'I', 'P', 'V', 'S', 0x00, 0x00, 0x00, 0x00,
          0x06, 0x00, 0x01, 0x00, 0x1d, 0x00, 0x00, 0x00};
      if (on_reply) on_reply(*reinterpret_cast<const nlmsghdr*>(reply.data()));
      return {};
    }
    const uint8_t cmd = bytes.size() > 16 ? bytes[16] : 0;
    if (cmd == IPVS_CMD_NEW_DAEMON || cmd == IPVS_CMD_DEL_DAEMON) {
      requests->push_back(bytes);
      if (cmd == IPVS_CMD_DEL_DAEMON && !*running)  // nothing runs: the kernel says ESRCH
        return std::unexpected(Error::FromErrno(ESRCH, "netlink request"));
    }
    return {};
  }
  std::shared_ptr<std::vector<std::vector<uint8_t>>> requests =
      std::make_shared<std::vector<std::vector<uint8_t>>>();
  std::shared_ptr<bool> running = std::make_shared<bool>(false);
};

class SyncdEngineTest : public EngineTest {
 protected:
  std::unique_ptr<control::Engine> MakeIpvs() {
    EngineSeams seams;
    seams.make_backend = [this](lb::BackendKind) -> Result<std::unique_ptr<lb::Backend>> {
      auto t = std::make_unique<DaemonRecorder>();
      requests_ = t->requests;
      running_ = t->running;
      auto b = lb::IpvsBackend::Open(std::move(t));
      if (!b) return std::unexpected(b.error());
      return std::unique_ptr<lb::Backend>(std::move(*b));
    };
    seams.run_probe = prober_.Runner();
    seams.cancel_probe = prober_.Canceller();
    seams.timers = &timers_;
    seams.random = &random_;
    seams.scripts = &scripts_;
    seams.clock = &clock_;
    seams.resolve_user = [](const std::string&, const std::optional<std::string>&)
        -> Result<std::pair<uid_t, gid_t>> { return std::make_pair(uid_t{0}, gid_t{0}); };
    seams.ipvs_proc_path = "/nonexistent/ip_vs";
    seams.load_module = [](std::string_view) { return false; };
    return MakeEngine(io_, EngineOptions{}, std::move(seams));
  }

  static model::Config IpvsConfig(std::optional<model::LvsSyncDaemon> syncd) {
    model::Config c = Config({Vs()});
    c.global.other = {model::RawSetting{"vigil_lb_backend", {"ipvs"}, {}}};
    c.global.lvs_sync_daemon = std::move(syncd);
    return c;
  }

  // The daemon requests since the last call.
  std::vector<std::vector<uint8_t>> Take() {
    auto out = *requests_;
    requests_->clear();
    return out;
  }

  std::shared_ptr<std::vector<std::vector<uint8_t>>> requests_;
  std::shared_ptr<bool> running_;
};

TEST_F(SyncdEngineTest, InterfaceOnlyFormRunsBothDaemonsWhileTheEngineRuns) {
  using lb::ipvs::SyncRole;
  model::LvsSyncDaemon d;
  d.interface = "eth1";
  auto e = MakeIpvs();
  ASSERT_TRUE(e->Start(IpvsConfig(d)));
  const lb::ipvs::SyncDaemonConfig c{.interface = "eth1", .sync_id = 0};
  using Bytes = std::vector<uint8_t>;
  // Leftovers of an earlier run stopped first (none here: ESRCH, quiet), then both started.
  EXPECT_EQ(Take(), (std::vector<Bytes>{lb::ipvs::BuildStopDaemon(0x1d, SyncRole::kMaster, 0),
                                        lb::ipvs::BuildStopDaemon(0x1d, SyncRole::kBackup, 0),
                                        lb::ipvs::BuildStartDaemon(0x1d, SyncRole::kMaster, c),
                                        lb::ipvs::BuildStartDaemon(0x1d, SyncRole::kBackup, c)}));
  *running_ = true;
  // The same at a reload: nothing; another port: restarted with it.
  ASSERT_TRUE(e->Reload(IpvsConfig(d)));
  EXPECT_EQ(Take(), std::vector<Bytes>{});
  d.port = 9000;
  ASSERT_TRUE(e->Reload(IpvsConfig(d)));
  const lb::ipvs::SyncDaemonConfig c2{.interface = "eth1", .sync_id = 0, .port = 9000};
  EXPECT_EQ(Take(), (std::vector<Bytes>{lb::ipvs::BuildStopDaemon(0x1d, SyncRole::kMaster, 0),
                                        lb::ipvs::BuildStopDaemon(0x1d, SyncRole::kBackup, 0),
                                        lb::ipvs::BuildStartDaemon(0x1d, SyncRole::kMaster, c2),
                                        lb::ipvs::BuildStartDaemon(0x1d, SyncRole::kBackup, c2)}));
  // The engine stops: both stop.
  e->Stop([] {});
  EXPECT_EQ(Take(), (std::vector<Bytes>{lb::ipvs::BuildStopDaemon(0x1d, SyncRole::kMaster, 0),
                                        lb::ipvs::BuildStopDaemon(0x1d, SyncRole::kBackup, 0)}));
}

TEST_F(SyncdEngineTest, AnInstanceDrivesTheDaemonsNotTheChecker) {
  model::LvsSyncDaemon d;
  d.interface = "eth1";
  d.vrrp_instance = "VI_1";
  auto e = MakeIpvs();
  ASSERT_TRUE(e->Start(IpvsConfig(d)));
  EXPECT_EQ(Take(), std::vector<std::vector<uint8_t>>{});
  // A reload to the interface-only form starts them; back to an instance stops them.
  d.vrrp_instance.clear();
  ASSERT_TRUE(e->Reload(IpvsConfig(d)));
  EXPECT_EQ(Take().size(), 4u);
  *running_ = true;
  d.vrrp_instance = "VI_1";
  ASSERT_TRUE(e->Reload(IpvsConfig(d)));
  EXPECT_EQ(Take(), (std::vector<std::vector<uint8_t>>{
                        lb::ipvs::BuildStopDaemon(0x1d, lb::ipvs::SyncRole::kMaster, 0),
                        lb::ipvs::BuildStopDaemon(0x1d, lb::ipvs::SyncRole::kBackup, 0)}));
  e->Stop([] {});
  EXPECT_EQ(Take(), std::vector<std::vector<uint8_t>>{});
}

}  // namespace
}  // namespace vigil::check
