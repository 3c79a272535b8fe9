#include "lb/reconciler.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "test_util.h"

namespace vigil::lb {
namespace {

using testing::Dest;
using testing::Fwmark;
using testing::Tcp;
using testing::ToString;

// A state with `services` tcp services 10.0.0.N:80, each with real servers 10.1.N.1..3.
State Many(int services) {
  State s;
  for (int i = 1; i <= services; ++i) {
    Service svc = Tcp("10.0.0." + std::to_string(i), 80, Scheduler::kWrr);
    s.Put(svc);
    for (int j = 1; j <= 3; ++j) {
      s.PutDestination(svc.key, Dest("10.1." + std::to_string(i) + "." + std::to_string(j), 8080));
    }
  }
  return s;
}

TEST(ReconcileTest, EqualStatesGiveNoOps) {
  EXPECT_TRUE(Reconcile(Many(3), Many(3)).empty());
  EXPECT_TRUE(Reconcile(State{}, State{}).empty());
}

TEST(ReconcileTest, FromEmptyAddsServicesBeforeDestinations) {
  State want;
  Service web = Tcp("10.0.0.1", 80);
  Service mark = Fwmark(7, Scheduler::kSh);
  want.Put(mark);
  want.Put(web);
  want.PutDestination(mark.key, Dest("10.1.0.9", 0));
  want.PutDestination(web.key, Dest("10.1.0.2", 8080, 2));
  want.PutDestination(web.key, Dest("10.1.0.1", 8080));
  EXPECT_EQ(ToString(Reconcile(want, {})),
            "add-service tcp 10.0.0.1:80 rr\n"
            "add-service fwmark 7 ipv4 sh\n"
            "add-destination tcp 10.0.0.1:80 rr -> 10.1.0.1:8080 NAT weight=1\n"
            "add-destination tcp 10.0.0.1:80 rr -> 10.1.0.2:8080 NAT weight=2\n"
            "add-destination fwmark 7 ipv4 sh -> 10.1.0.9:0 NAT weight=1\n");
}

TEST(ReconcileTest, ToEmptyDeletesDestinationsBeforeServices) {
  State have = Many(2);
  EXPECT_EQ(ToString(Reconcile({}, have)),
            "delete-destination tcp 10.0.0.1:80 wrr -> 10.1.1.1:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.1:80 wrr -> 10.1.1.2:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.1:80 wrr -> 10.1.1.3:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.2:80 wrr -> 10.1.2.1:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.2:80 wrr -> 10.1.2.2:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.2:80 wrr -> 10.1.2.3:8080 NAT weight=1\n"
            "delete-service tcp 10.0.0.1:80 wrr\n"
            "delete-service tcp 10.0.0.2:80 wrr\n");
}

TEST(ReconcileTest, WeightOnlyChangeIsOneUpdateWhateverTheNumberOfServices) {
  for (int n : {1, 10, 200}) {
    State have = Many(n);
    State want = have;
    ServiceKey key = Tcp("10.0.0.1", 80).key;
    want.PutDestination(key, Dest("10.1.1.2", 8080, 0));  // inhibit_on_failure
    std::vector<Op> ops = Reconcile(want, have);
    ASSERT_EQ(ops.size(), 1u) << n;
    EXPECT_EQ(ops[0], (Op{OpKind::kUpdateDestination, Tcp("10.0.0.1", 80, Scheduler::kWrr),
                          Dest("10.1.1.2", 8080, 0)}));
  }
}

TEST(ReconcileTest, RemovingOneRealServerIsOneDelete) {
  State have = Many(50);
  State want = have;
  ServiceKey key = Tcp("10.0.0.42", 80).key;
  want.services.at(key).destinations.erase(DestinationKey{testing::Ip("10.1.42.3"), 8080});
  EXPECT_EQ(ToString(Reconcile(want, have)),
            "delete-destination tcp 10.0.0.42:80 wrr -> 10.1.42.3:8080 NAT weight=1\n");
}

TEST(ReconcileTest, ServiceAttributeChangeIsOneUpdateAndKeepsDestinations) {
  State have = Many(2);
  State want = have;
  Service changed = Tcp("10.0.0.2", 80, Scheduler::kSh);
  changed.persistence_timeout = 600;
  changed.persistence_prefix = 24;
  want.Put(changed);
  EXPECT_EQ(ToString(Reconcile(want, have)),
            "update-service tcp 10.0.0.2:80 sh persistent=600/24\n");
}

TEST(ReconcileTest, MixedChangesFollowTheFixedOrder) {
  State have = Many(3);
  State want = have;
  // Service 1 goes away; service 2 loses a server and changes another's method; service 4
  // is new; service 3 changes its scheduler and gains a server.
  want.services.erase(Tcp("10.0.0.1", 80).key);
  ServiceKey two = Tcp("10.0.0.2", 80).key;
  want.services.at(two).destinations.erase(DestinationKey{testing::Ip("10.1.2.1"), 8080});
  Destination dr = Dest("10.1.2.2", 8080);
  dr.forwarding = Forwarding::kDirectRoute;
  want.PutDestination(two, dr);
  Service three = Tcp("10.0.0.3", 80, Scheduler::kRr);
  want.Put(three);
  want.PutDestination(three.key, Dest("10.1.3.4", 8080));
  Service four = Tcp("10.0.0.4", 80, Scheduler::kRr);
  want.Put(four);
  want.PutDestination(four.key, Dest("10.1.4.1", 8080));

  EXPECT_EQ(ToString(Reconcile(want, have)),
            "delete-destination tcp 10.0.0.1:80 wrr -> 10.1.1.1:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.1:80 wrr -> 10.1.1.2:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.1:80 wrr -> 10.1.1.3:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.2:80 wrr -> 10.1.2.1:8080 NAT weight=1\n"
            "delete-service tcp 10.0.0.1:80 wrr\n"
            "update-service tcp 10.0.0.3:80 rr\n"
            "add-service tcp 10.0.0.4:80 rr\n"
            "update-destination tcp 10.0.0.2:80 wrr -> 10.1.2.2:8080 DR weight=1\n"
            "add-destination tcp 10.0.0.3:80 rr -> 10.1.3.4:8080 NAT weight=1\n"
            "add-destination tcp 10.0.0.4:80 rr -> 10.1.4.1:8080 NAT weight=1\n");
}

TEST(ReconcileTest, DestinationDeleteInSurvivingServiceNamesTheDesiredService) {
  State have = Many(1);
  State want = have;
  Service svc = Tcp("10.0.0.1", 80, Scheduler::kRr);
  want.Put(svc);
  want.services.at(svc.key).destinations.erase(DestinationKey{testing::Ip("10.1.1.1"), 8080});
  EXPECT_EQ(ToString(Reconcile(want, have)),
            "delete-destination tcp 10.0.0.1:80 rr -> 10.1.1.1:8080 NAT weight=1\n"
            "update-service tcp 10.0.0.1:80 rr\n");
}

// A random state: services 10.0.0.1..6 (some absent), each with a random scheduler and
// some of the real servers 10.1.0.1..8 at random weights, some as fwmark services.
State RandomState(std::mt19937& rng) {
  State s;
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  for (int i = 1; i <= 6; ++i) {
    if (pick(4) == 0) continue;
    Service svc = i == 6 ? Fwmark(6) : Tcp("10.0.0." + std::to_string(i), 80);
    svc.scheduler = pick(2) == 0 ? Scheduler::kRr : Scheduler::kWrr;
    if (pick(5) == 0) svc.persistence_timeout = 60;
    s.Put(svc);
    for (int j = 1; j <= 8; ++j) {
      if (pick(2) == 0) continue;
      s.PutDestination(svc.key, Dest("10.1.0." + std::to_string(j), 8080,
                                     static_cast<uint32_t>(pick(3))));
    }
  }
  return s;
}

// Every key of `a` or `b`, and whether the service differs between them.
std::map<ServiceKey, bool> Keys(const State& a, const State& b) {
  std::map<ServiceKey, bool> out;
  for (const auto* s : {&a, &b}) {
    for (const auto& [key, e] : s->services) {
      const ServiceEntry* x = a.Find(key);
      const ServiceEntry* y = b.Find(key);
      out[key] = x == nullptr || y == nullptr || !(*x == *y);
    }
  }
  return out;
}

TEST(ReconcileServicesTest, GivesReconcilesOpsWhenEveryDifferingServiceIsNamed) {
  std::mt19937 rng(20261205);
  for (int round = 0; round < 2000; ++round) {
    const State actual = RandomState(rng);
    // Half the rounds change only a service or two, as a pass of the checkers does.
    State desired = actual;
    if (round % 2 == 0) {
      desired = RandomState(rng);
    } else {
      const State other = RandomState(rng);
      for (const auto& [key, e] : other.services) {
        if (rng() % 3 == 0) desired.services[key] = e;
      }
      if (!desired.services.empty() && rng() % 4 == 0) desired.services.erase(desired.services.begin());
    }
    std::set<ServiceKey> differing, named;
    for (const auto& [key, differs] : Keys(desired, actual)) {
      if (differs) differing.insert(key);
      if (differs || rng() % 3 == 0) named.insert(key);  // and some that do not differ
    }
    const std::vector<Op> full = Reconcile(desired, actual);
    ASSERT_EQ(ToString(ReconcileServices(desired, actual, named)), ToString(full)) << round;
    ASSERT_EQ(ReconcileServices(desired, actual, differing), full) << round;
    // Naming a key neither state has changes nothing.
    named.insert(Tcp("10.0.0.99", 80).key);
    ASSERT_EQ(ReconcileServices(desired, actual, named), full) << round;
  }
}

TEST(ReconcileServicesTest, LeavesServicesItIsNotGivenAlone) {
  State have = Many(3);
  State want = have;
  want.PutDestination(Tcp("10.0.0.1", 80).key, Dest("10.1.1.1", 8080, 5));
  want.services.at(Tcp("10.0.0.2", 80).key).destinations.clear();
  want.services.erase(Tcp("10.0.0.3", 80).key);
  want.Put(Tcp("10.0.0.4", 80));
  EXPECT_EQ(ToString(ReconcileServices(want, have, {Tcp("10.0.0.1", 80).key})),
            "update-destination tcp 10.0.0.1:80 wrr -> 10.1.1.1:8080 NAT weight=5\n");
  EXPECT_EQ(ToString(ReconcileServices(want, have, {Tcp("10.0.0.3", 80).key,
                                                    Tcp("10.0.0.4", 80).key})),
            "delete-destination tcp 10.0.0.3:80 wrr -> 10.1.3.1:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.3:80 wrr -> 10.1.3.2:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.3:80 wrr -> 10.1.3.3:8080 NAT weight=1\n"
            "delete-service tcp 10.0.0.3:80 wrr\n"
            "add-service tcp 10.0.0.4:80 rr\n");
  EXPECT_TRUE(ReconcileServices(want, have, {}).empty());
}

TEST(ReconcileAtStartupTest, AdoptLeavesForeignServicesAlone) {
  State kernel = Many(2);
  State want;
  Service one = Tcp("10.0.0.1", 80, Scheduler::kWrr);
  want.Put(one);
  want.PutDestination(one.key, Dest("10.1.1.1", 8080));
  want.PutDestination(one.key, Dest("10.1.1.2", 8080));
  // Service 1 is converged (its stale server 10.1.1.3 goes); service 2 stays.
  EXPECT_EQ(ToString(ReconcileAtStartup(want, kernel, StalePolicy::kAdopt)),
            "delete-destination tcp 10.0.0.1:80 wrr -> 10.1.1.3:8080 NAT weight=1\n");
}

TEST(ReconcileAtStartupTest, ClearDeletesForeignServices) {
  State kernel = Many(2);
  State want = Many(1);
  EXPECT_EQ(ToString(ReconcileAtStartup(want, kernel, StalePolicy::kClear)),
            "delete-destination tcp 10.0.0.2:80 wrr -> 10.1.2.1:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.2:80 wrr -> 10.1.2.2:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.2:80 wrr -> 10.1.2.3:8080 NAT weight=1\n"
            "delete-service tcp 10.0.0.2:80 wrr\n");
}

TEST(ReconcileAtShutdownTest, DeletesOnlyWhatVigilOwns) {
  State kernel = Many(2);
  State owned;
  owned.Put(Tcp("10.0.0.2", 80, Scheduler::kWrr));
  owned.Put(Tcp("10.0.0.9", 80));  // Already gone from the kernel: nothing to do.
  EXPECT_EQ(ToString(ReconcileAtShutdown(owned, kernel, /*keep=*/false)),
            "delete-destination tcp 10.0.0.2:80 wrr -> 10.1.2.1:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.2:80 wrr -> 10.1.2.2:8080 NAT weight=1\n"
            "delete-destination tcp 10.0.0.2:80 wrr -> 10.1.2.3:8080 NAT weight=1\n"
            "delete-service tcp 10.0.0.2:80 wrr\n");
  EXPECT_TRUE(ReconcileAtShutdown(owned, kernel, /*keep=*/true).empty());
}

// lvs_flush_on_stop VS: the service goes, its real servers with it, without a delete each.
TEST(ReconcileAtShutdownTest, ServicesOnlyDeletesNoDestination) {
  State kernel = Many(2);
  State owned;
  owned.Put(Tcp("10.0.0.2", 80, Scheduler::kWrr));
  EXPECT_EQ(ToString(ReconcileAtShutdown(owned, kernel, /*keep=*/false, /*services_only=*/true)),
            "delete-service tcp 10.0.0.2:80 wrr\n");
  EXPECT_TRUE(ReconcileAtShutdown(owned, kernel, /*keep=*/true, /*services_only=*/true).empty());
}

}  // namespace
}  // namespace vigil::lb
