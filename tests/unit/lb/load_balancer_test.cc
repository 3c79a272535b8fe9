#include "lb/load_balancer.h"

#include <gtest/gtest.h>

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
  Result<void> Validate(const State& s) const override {
    for (const auto& [k, e] : s.services) {
      if (e.service.scheduler == Scheduler::kTwos) return Fail(ErrorCode::kUnsupported, "no twos");
    }
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

}  // namespace
}  // namespace vigil::lb
