#include "lb/load_balancer.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "test_util.h"

namespace vigil::lb {
namespace {

using testing::Dest;
using testing::Tcp;

// A backend over an in-memory "kernel" that applies ops to it, like a real one would.
class MemoryBackend final : public Backend {
 public:
  explicit MemoryBackend(State* kernel, int* reads) : kernel_(kernel), reads_(reads) {}
  std::string_view Name() const override { return "memory"; }
  Result<void> ValidateService(const ServiceEntry& e) const override {
    if (e.service.scheduler == Scheduler::kTwos) return Fail(ErrorCode::kUnsupported, "no twos");
    return {};
  }
  Result<State> Read() override {
    ++*reads_;
    return *kernel_;
  }
  Result<void> Apply(const std::vector<Op>& ops, const State&, const State&) override {
    for (const Op& op : ops) {
      const ServiceKey& key = op.service.key;
      switch (op.kind) {
        case OpKind::kAddService:
        case OpKind::kUpdateService:
          kernel_->Put(op.service);
          break;
        case OpKind::kDeleteService:
          kernel_->services.erase(key);
          break;
        case OpKind::kAddDestination:
        case OpKind::kUpdateDestination:
          kernel_->PutDestination(key, *op.destination);
          break;
        case OpKind::kDeleteDestination: {
          auto it = kernel_->services.find(key);
          if (it == kernel_->services.end() || it->second.destinations.erase(op.destination->key) == 0) {
            return Fail(ErrorCode::kNotFound, "no such destination");  // as a kernel, mid-way
          }
          break;
        }
      }
    }
    return {};
  }

 private:
  State* kernel_;
  int* reads_;
};

State One(const std::string& vip, std::vector<Destination> dests) {
  State s;
  Service svc = Tcp(vip, 80, Scheduler::kWrr);
  s.Put(svc);
  for (const auto& d : dests) s.PutDestination(svc.key, d);
  return s;
}

State Merge(State a, const State& b) {
  for (const auto& [k, e] : b.services) a.services[k] = e;
  return a;
}

TEST(LoadBalancerTest, AnApplyTheKernelRefusesStartsOverFromAFreshReadOnce) {
  State kernel;
  int reads = 0;
  LoadBalancer lb(std::make_unique<MemoryBackend>(&kernel, &reads), {});
  State want = One("10.0.0.1", {Dest("10.1.0.1", 80), Dest("10.1.0.2", 80), Dest("10.1.0.3", 80)});
  ASSERT_TRUE(lb.Apply(want).has_value());
  EXPECT_EQ(reads, 1);
  // Someone deletes a server behind vigil's back; vigil then wants it gone, and one more.
  kernel.services.begin()->second.destinations.erase(Dest("10.1.0.2", 80).key);
  State less = One("10.0.0.1", {Dest("10.1.0.1", 80)});
  auto ops = lb.Apply(less);
  ASSERT_TRUE(ops.has_value()) << ops.error().ToString();
  EXPECT_EQ(testing::ToString(*ops),
            "delete-destination tcp 10.0.0.1:80 wrr -> 10.1.0.3:80 NAT weight=1\n");
  EXPECT_EQ(kernel, less);
  EXPECT_EQ(reads, 2);
  EXPECT_EQ(lb.restorations().at("rejected"), 1u);
}

TEST(LoadBalancerTest, AdoptKeepsForeignServicesThroughApplyAndShutdown) {
  State foreign = One("10.9.9.9", {Dest("10.1.9.1", 80)});
  State kernel = foreign;
  int reads = 0;
  LoadBalancer lb(std::make_unique<MemoryBackend>(&kernel, &reads), {});
  State want = One("10.0.0.1", {Dest("10.1.0.1", 80)});
  ASSERT_TRUE(lb.Apply(want).has_value());
  EXPECT_EQ(kernel, Merge(foreign, want));
  // A reload that drops vigil's service deletes it, and still leaves the foreign one.
  auto ops = lb.Apply(State{});
  ASSERT_TRUE(ops.has_value());
  EXPECT_EQ(ops->size(), 2u);
  EXPECT_EQ(kernel, foreign);
  ASSERT_TRUE(lb.Apply(want).has_value());
  ASSERT_TRUE(lb.Shutdown().has_value());
  EXPECT_EQ(kernel, foreign);
  EXPECT_EQ(reads, 1);
}

// lvs_flush_on_stop VS: vigil's services go with no destination delete; foreign ones stay.
TEST(LoadBalancerTest, ShutdownServicesDeletesOwnedServicesOnly) {
  State foreign = One("10.9.9.9", {Dest("10.1.9.1", 80)});
  State kernel = foreign;
  int reads = 0;
  LoadBalancer lb(std::make_unique<MemoryBackend>(&kernel, &reads),
                  {.shutdown = ShutdownFlush::kServices});
  ASSERT_TRUE(lb.Apply(One("10.0.0.1", {Dest("10.1.0.1", 80), Dest("10.1.0.2", 80)})).has_value());
  auto ops = lb.Shutdown();
  ASSERT_TRUE(ops.has_value());
  ASSERT_EQ(ops->size(), 1u);
  EXPECT_EQ(ops->at(0).kind, OpKind::kDeleteService);
  EXPECT_EQ(kernel, foreign);
}

// lvs_flush_on_stop on a backend with no table to flush (nftables): as without it.
TEST(LoadBalancerTest, ShutdownAllWithoutBackendFlushDeletesEach) {
  State foreign = One("10.9.9.9", {Dest("10.1.9.1", 80)});
  State kernel = foreign;
  int reads = 0;
  LoadBalancer lb(std::make_unique<MemoryBackend>(&kernel, &reads),
                  {.shutdown = ShutdownFlush::kAll});
  ASSERT_TRUE(lb.Apply(One("10.0.0.1", {Dest("10.1.0.1", 80)})).has_value());
  auto ops = lb.Shutdown();
  ASSERT_TRUE(ops.has_value());
  EXPECT_EQ(ops->size(), 2u);
  EXPECT_EQ(kernel, foreign);
}

TEST(LoadBalancerTest, ClearRemovesForeignServicesAtStartup) {
  State kernel = One("10.9.9.9", {Dest("10.1.9.1", 80)});
  int reads = 0;
  LoadBalancer lb(std::make_unique<MemoryBackend>(&kernel, &reads), {.stale = StalePolicy::kClear});
  State want = One("10.0.0.1", {Dest("10.1.0.1", 80)});
  ASSERT_TRUE(lb.Apply(want).has_value());
  EXPECT_EQ(kernel, want);
}

TEST(LoadBalancerTest, ChangingOneServerIsOneOpAndNoRead) {
  State kernel;
  int reads = 0;
  LoadBalancer lb(std::make_unique<MemoryBackend>(&kernel, &reads), {});
  State want = Merge(One("10.0.0.1", {Dest("10.1.0.1", 80), Dest("10.1.0.2", 80)}),
                     One("10.0.0.2", {Dest("10.1.0.1", 80)}));
  ASSERT_TRUE(lb.Apply(want).has_value());
  want.PutDestination(Tcp("10.0.0.1", 80).key, Dest("10.1.0.2", 80, 0));
  auto ops = lb.Apply(want);
  ASSERT_TRUE(ops.has_value());
  ASSERT_EQ(ops->size(), 1u);
  EXPECT_EQ(ops->at(0).kind, OpKind::kUpdateDestination);
  EXPECT_EQ(kernel, want);
  EXPECT_EQ(reads, 1);
}

TEST(LoadBalancerTest, ValidationFailureAppliesNothingAndKeepOnShutdownKeeps) {
  State kernel;
  int reads = 0;
  LoadBalancer lb(std::make_unique<MemoryBackend>(&kernel, &reads), {.keep_on_shutdown = true});
  State want = One("10.0.0.1", {Dest("10.1.0.1", 80)});
  ASSERT_TRUE(lb.Apply(want).has_value());
  State bad = want;
  bad.Put(Tcp("10.0.0.2", 80, Scheduler::kTwos));
  EXPECT_FALSE(lb.Apply(bad).has_value());
  EXPECT_EQ(kernel, want);
  auto ops = lb.Shutdown();
  ASSERT_TRUE(ops.has_value());
  EXPECT_TRUE(ops->empty());
  EXPECT_EQ(kernel, want);
}

TEST(LoadBalancerTest, AuditNamesWhatDiffersAndRestoreConvergesOwnedServicesOnly) {
  State foreign = One("10.9.9.9", {Dest("10.1.9.1", 80)});
  State kernel = foreign;
  int reads = 0;
  LoadBalancer lb(std::make_unique<MemoryBackend>(&kernel, &reads), {});
  State want = One("10.0.0.1", {Dest("10.1.0.1", 80), Dest("10.1.0.2", 80)});
  ASSERT_TRUE(lb.Apply(want).has_value());
  EXPECT_EQ(lb.Audit(), std::vector<std::string>{});
  kernel.services.begin()->second.destinations.erase(kernel.services.begin()->second.destinations.begin());
  kernel.services.at(foreign.services.begin()->first).destinations.clear();  // not vigil's
  EXPECT_EQ(lb.Audit(), std::vector<std::string>{
                            "add-destination tcp 10.0.0.1:80 wrr -> 10.1.0.1:80 NAT weight=1 is needed"});
  ASSERT_TRUE(lb.Restore("audit").has_value());
  EXPECT_EQ(lb.Audit(), std::vector<std::string>{});
  EXPECT_EQ(kernel.services.at(want.services.begin()->first), want.services.begin()->second);
  EXPECT_TRUE(kernel.services.at(foreign.services.begin()->first).destinations.empty());
  EXPECT_EQ(lb.restorations(), (std::map<std::string, uint64_t>{{"audit", 1}}));
}

TEST(LoadBalancerTest, AnAuditTicketHoldsOnlyUntilVigilChangesTheKernel) {
  State kernel;
  int reads = 0;
  LoadBalancer lb(std::make_unique<MemoryBackend>(&kernel, &reads), {});
  EXPECT_FALSE(lb.BeginAudit().has_value());  // nothing applied: nothing to compare
  State want = One("10.0.0.1", {Dest("10.1.0.1", 80), Dest("10.1.0.2", 80)});
  ASSERT_TRUE(lb.Apply(want).has_value());
  auto ticket = lb.BeginAudit();
  ASSERT_TRUE(ticket.has_value());
  EXPECT_FALSE(ticket->job);  // this backend audits on the loop only
  EXPECT_EQ(lb.FinishAudit(ticket->generation, {"found"}), std::vector<std::string>{"found"});
  // vigil changes the kernel (a real server leaves) after the ticket: what a job read by
  // then may be that change, not someone else's.
  State less = One("10.0.0.1", {Dest("10.1.0.1", 80)});
  ASSERT_TRUE(lb.ApplyChanged(less, {less.services.begin()->first}).has_value());
  EXPECT_EQ(lb.FinishAudit(ticket->generation, {"found"}), std::nullopt);
  auto next = lb.BeginAudit();
  ASSERT_TRUE(next.has_value());
  EXPECT_NE(next->generation, ticket->generation);
  EXPECT_EQ(lb.FinishAudit(next->generation, {}), std::vector<std::string>{});
  // A restoration changes it too, and so does an apply that changes nothing in the end.
  ASSERT_TRUE(lb.Restore("audit").has_value());
  EXPECT_EQ(lb.FinishAudit(next->generation, {}), std::nullopt);
  next = lb.BeginAudit();
  ASSERT_TRUE(lb.Apply(less).has_value());
  EXPECT_EQ(lb.FinishAudit(next->generation, {}), std::nullopt);
}

// Returns `state` with a few of its services changed at random, and names them in
// `*changed`: a real server's weight, one added or removed, a service added or removed.
State Mutate(const State& state, std::mt19937& rng, std::set<ServiceKey>* changed) {
  State out = state;
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const int n = 1 + pick(3);
  for (int i = 0; i < n; ++i) {
    const Service svc = Tcp("10.0.0." + std::to_string(1 + pick(8)), 80,
                            pick(4) == 0 ? Scheduler::kRr : Scheduler::kWrr);
    changed->insert(svc.key);
    const int what = pick(10);
    if (what == 0) {
      out.services.erase(svc.key);
      continue;
    }
    if (!out.services.contains(svc.key) || what == 1) out.Put(svc);
    const Destination d = Dest("10.1.0." + std::to_string(1 + pick(12)), 8080,
                               static_cast<uint32_t>(pick(4)));
    if (what < 5) {
      out.services.at(svc.key).destinations.erase(d.key);
    } else {
      out.PutDestination(svc.key, d);
    }
  }
  return out;
}

TEST(LoadBalancerTest, ApplyChangedDoesWhatApplyDoesOnRandomChangeSequences) {
  std::mt19937 rng(5122026);
  State kernel_full, kernel_changed;
  int reads_full = 0, reads_changed = 0;
  LoadBalancer full(std::make_unique<MemoryBackend>(&kernel_full, &reads_full), {});
  LoadBalancer changed(std::make_unique<MemoryBackend>(&kernel_changed, &reads_changed), {});
  State want;
  for (int step = 0; step < 3000; ++step) {
    std::set<ServiceKey> keys;
    want = Mutate(want, rng, &keys);
    if (step % 500 == 250) {
      // Someone removes a real server behind vigil's back (in both kernels): the next apply
      // that deletes it is refused and starts over from a fresh read.
      for (State* k : {&kernel_full, &kernel_changed}) {
        for (auto& [key, e] : k->services) {
          if (!e.destinations.empty()) {
            e.destinations.erase(e.destinations.begin());
            break;
          }
        }
      }
    }
    auto a = full.Apply(want);
    auto b = changed.ApplyChanged(want, keys);
    ASSERT_TRUE(a.has_value()) << step;
    ASSERT_TRUE(b.has_value()) << step;
    ASSERT_EQ(testing::ToString(*b), testing::ToString(*a)) << step;
    ASSERT_EQ(kernel_changed, kernel_full) << step;
    ASSERT_EQ(changed.owned(), full.owned()) << step;
  }
  EXPECT_EQ(kernel_changed, want);
  EXPECT_EQ(reads_changed, reads_full);
  EXPECT_GT(reads_full, 1);  // the refusals happened
  EXPECT_EQ(changed.restorations(), full.restorations());
}

TEST(LoadBalancerTest, ApplyChangedLooksOnlyAtTheChangedServicesOnceSteady) {
  State kernel;
  int reads = 0;
  LoadBalancer lb(std::make_unique<MemoryBackend>(&kernel, &reads), {});
  const ServiceKey one = Tcp("10.0.0.1", 80).key, two = Tcp("10.0.0.2", 80).key;
  // Before the first apply it is a whole one: the kernel is read and converged.
  kernel = One("10.0.0.9", {Dest("10.1.9.1", 80)});
  State want = Merge(One("10.0.0.1", {Dest("10.1.0.1", 80)}), One("10.0.0.2", {Dest("10.1.0.1", 80)}));
  auto ops = lb.ApplyChanged(want, {});
  ASSERT_TRUE(ops.has_value());
  EXPECT_EQ(ops->size(), 4u);
  EXPECT_EQ(reads, 1);
  // The kernel holds a service vigil does not own (adopted): whole applies still.
  want.PutDestination(two, Dest("10.1.0.2", 80));
  ops = lb.ApplyChanged(want, {one});
  ASSERT_TRUE(ops.has_value());
  EXPECT_EQ(testing::ToString(*ops), "add-destination tcp 10.0.0.2:80 wrr -> 10.1.0.2:80 NAT weight=1\n");
  // Steady (vigil's services only): a service outside `changed` is neither validated nor
  // reconciled, even when it differs.
  State kernel2;
  LoadBalancer lb2(std::make_unique<MemoryBackend>(&kernel2, &reads), {});
  ASSERT_TRUE(lb2.Apply(want).has_value());
  State next = want;
  next.PutDestination(one, Dest("10.1.0.1", 80, 7));
  next.PutDestination(two, Dest("10.1.0.2", 80, 3));
  next.Put(Tcp("10.0.0.3", 80, Scheduler::kTwos));  // not expressible, and not named
  ops = lb2.ApplyChanged(next, {one});
  ASSERT_TRUE(ops.has_value()) << ops.error().ToString();
  EXPECT_EQ(testing::ToString(*ops), "update-destination tcp 10.0.0.1:80 wrr -> 10.1.0.1:80 NAT weight=7\n");
  EXPECT_EQ(kernel2.services.at(two), want.services.at(two));
  EXPECT_FALSE(kernel2.services.contains(Tcp("10.0.0.3", 80).key));
  // A named service is validated.
  ops = lb2.ApplyChanged(next, {Tcp("10.0.0.3", 80).key});
  ASSERT_FALSE(ops.has_value());
  EXPECT_EQ(ops.error().context(), "no twos");
}

}  // namespace
}  // namespace vigil::lb
