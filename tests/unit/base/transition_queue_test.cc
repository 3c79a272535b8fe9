#include "base/transition_queue.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil {
namespace {

using Q = TransitionQueue<std::string>;
using V = std::vector<std::string>;

// Runs everything left, in order.
V Drain(Q& q) {
  V out;
  while (auto item = q.Next()) out.push_back(*item);
  return out;
}

TEST(TransitionQueueTest, RunsGroupsInOrder) {
  Q q;
  EXPECT_EQ(q.Push("MASTER", true, {"notify_master", "notify MASTER"}), 0u);
  EXPECT_EQ(q.Next(), "notify_master");  // started
  EXPECT_EQ(q.Push("PRIORITY", false, {"notify PRIORITY 90"}), 0u);
  EXPECT_EQ(q.pending(), 2u);
  EXPECT_EQ(Drain(q), (V{"notify MASTER", "notify PRIORITY 90"}));
  EXPECT_EQ(q.Next(), std::nullopt);
}

TEST(TransitionQueueTest, AFlapKeepsOnlyTheLatestStateWaiting) {
  Q q;
  q.Push("BACKUP", true, {"notify_backup"});
  EXPECT_EQ(q.Next(), "notify_backup");  // a slow script runs while the instance flaps
  EXPECT_EQ(q.Push("MASTER", true, {"notify_master"}), 0u);
  EXPECT_EQ(q.Push("BACKUP", true, {"notify_backup"}), 2u);  // back where it was: nothing
  EXPECT_EQ(q.waiting(), 0u);
  EXPECT_EQ(q.Push("MASTER", true, {"notify_master"}), 0u);
  EXPECT_EQ(q.Push("FAULT", true, {"notify_fault"}), 1u);
  for (int i = 0; i < 1000; ++i) {  // minutes of flapping: never more than one waits
    q.Push("MASTER", true, {"notify_master"});
    q.Push("FAULT", true, {"notify_fault"});
    ASSERT_LE(q.waiting(), 1u);
  }
  EXPECT_EQ(Drain(q), (V{"notify_fault"}));
}

TEST(TransitionQueueTest, AStartedGroupRunsToItsEnd) {
  Q q;
  q.Push("MASTER", true, {"notify_master", "notify MASTER"});
  EXPECT_EQ(q.Next(), "notify_master");
  EXPECT_EQ(q.Push("BACKUP", true, {"notify_backup", "notify BACKUP"}), 0u);
  EXPECT_EQ(Drain(q), (V{"notify MASTER", "notify_backup", "notify BACKUP"}));
}

TEST(TransitionQueueTest, AnEventReplacesAWaitingOneOfItsKind) {
  Q q;
  q.Push("MASTER", true, {"m"});
  EXPECT_EQ(q.Next(), "m");
  q.Push("PRIORITY", false, {"p 90"});
  q.Push("MASTER_RX_LOWER_PRI", false, {"rx"});
  EXPECT_EQ(q.Push("PRIORITY", false, {"p 80"}), 1u);
  EXPECT_EQ(Drain(q), (V{"rx", "p 80"}));
  // A state change makes waiting events stale too.
  q.Push("PRIORITY", false, {"p 70"});
  EXPECT_EQ(q.Push("BACKUP", true, {"b"}), 1u);
  EXPECT_EQ(Drain(q), (V{"b"}));
}

TEST(TransitionQueueTest, WaitingGroupsAreBounded) {
  Q q(2);
  q.Push("MASTER", true, {"m"});
  EXPECT_EQ(q.Next(), "m");
  q.Push("A", false, {"a"});
  q.Push("B", false, {"b"});
  EXPECT_EQ(q.Push("C", false, {"c"}), 1u);  // the oldest waiting one goes
  EXPECT_EQ(Drain(q), (V{"b", "c"}));
}

TEST(TransitionQueueTest, TheFirstStateIsAlwaysDelivered) {
  Q q;
  EXPECT_EQ(q.Push("BACKUP", true, {"b"}), 0u);
  EXPECT_EQ(q.Push("MASTER", true, {"m"}), 1u);  // BACKUP never started: stale
  EXPECT_EQ(Drain(q), (V{"m"}));
  EXPECT_EQ(q.Push("MASTER", true, {"m"}), 1u);  // no change since "m" started
  EXPECT_EQ(Drain(q), V{});
}

TEST(TransitionQueueTest, AStateWithoutScriptsStillCounts) {
  Q q;  // only "up" has a script
  q.Push("up", true, {"notify_up"});
  EXPECT_EQ(q.Next(), "notify_up");
  EXPECT_EQ(q.Push("down", true, {}), 0u);
  EXPECT_EQ(q.Push("up", true, {"notify_up"}), 0u);  // a new "up": delivered again
  EXPECT_EQ(Drain(q), (V{"notify_up"}));
}

}  // namespace
}  // namespace vigil
