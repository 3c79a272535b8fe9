#include "vrrp/tracking.h"

#include <gtest/gtest.h>

#include <vector>

namespace vigil::vrrp {
namespace {

TrackedStatus T(int weight, bool ok, bool reverse = false) {
  TrackedStatus t;
  t.weight = weight;
  t.ok = ok;
  t.reverse = reverse;
  return t;
}

TrackedFile F(int weight, int64_t value, bool reverse = false) {
  TrackedFile f;
  f.weight = weight;
  f.value = value;
  f.reverse = reverse;
  return f;
}

TEST(TrackingTest, PositiveWeightAddsWhileOk) {
  EXPECT_EQ(Contribution(T(10, true)), 10);
  EXPECT_EQ(Contribution(T(10, false)), 0);
}

TEST(TrackingTest, NegativeWeightSubtractsWhileFailed) {
  EXPECT_EQ(Contribution(T(-20, true)), 0);
  EXPECT_EQ(Contribution(T(-20, false)), -20);
}

TEST(TrackingTest, ReverseFlipsTheAdjustment) {
  EXPECT_EQ(Contribution(T(10, true, true)), -10);
  EXPECT_EQ(Contribution(T(10, false, true)), 0);
  EXPECT_EQ(Contribution(T(-20, true, true)), 0);
  EXPECT_EQ(Contribution(T(-20, false, true)), 20);
}

TEST(TrackingTest, WeightZeroFailureIsFault) {
  EXPECT_TRUE(IsFault(T(0, false)));
  EXPECT_FALSE(IsFault(T(0, true)));
  EXPECT_FALSE(IsFault(T(-50, false)));  // a weighted failure only lowers priority
  EXPECT_EQ(Contribution(T(0, false)), 0);
}

TEST(TrackingTest, WeightZeroReversedFaultsWhileOk) {
  EXPECT_TRUE(IsFault(T(0, true, true)));
  EXPECT_FALSE(IsFault(T(0, false, true)));
}

TEST(TrackingTest, EffectivePrioritySumsEveryTracker) {
  const std::vector<TrackedStatus> ts = {T(10, true), T(-30, false), T(5, false)};
  const TrackingResult r = ComputeEffectivePriority(100, ts);
  EXPECT_FALSE(r.fault);
  EXPECT_EQ(r.total, 80);
  EXPECT_EQ(r.effective, 80);
}

TEST(TrackingTest, EffectivePriorityIsClampedAndNeverReachesOwner) {
  const std::vector<TrackedStatus> up = {T(100, true), T(100, true)};
  EXPECT_EQ(ComputeEffectivePriority(200, up).effective, 254);
  EXPECT_EQ(ComputeEffectivePriority(200, up).total, 400);
  const std::vector<TrackedStatus> down = {T(-253, false)};
  EXPECT_EQ(ComputeEffectivePriority(100, down).effective, 1);
}

TEST(TrackingTest, OwnerIsNeverAdjustedButStillFaults) {
  const std::vector<TrackedStatus> ts = {T(-50, false)};
  EXPECT_EQ(ComputeEffectivePriority(255, ts).effective, 255);
  const std::vector<TrackedStatus> fault = {T(0, false)};
  const TrackingResult r = ComputeEffectivePriority(255, fault);
  EXPECT_TRUE(r.fault);
  EXPECT_EQ(r.effective, 255);
}

TEST(TrackingTest, FileValueTimesWeight) {
  EXPECT_EQ(FileContribution(F(2, 5)), 10);
  EXPECT_EQ(FileContribution(F(2, -5)), -10);
  EXPECT_EQ(FileContribution(F(2, 5, true)), -10);
}

TEST(TrackingTest, FileContributionIsClampedAndMinus254IsFault) {
  EXPECT_EQ(FileContribution(F(10, 100)), 253);
  EXPECT_EQ(FileContribution(F(1, -253)), -253);
  EXPECT_EQ(FileContribution(F(1, -254)), std::nullopt);
  EXPECT_EQ(FileContribution(F(254, -(int64_t{1} << 62))), std::nullopt);  // no overflow
}

TEST(TrackingTest, FileWeightZeroFaultsOnNonZeroValue) {
  EXPECT_EQ(FileContribution(F(0, 0)), 0);
  EXPECT_EQ(FileContribution(F(0, 3)), std::nullopt);
  EXPECT_EQ(FileContribution(F(0, 0, true)), std::nullopt);
  EXPECT_EQ(FileContribution(F(0, 3, true)), 0);
}

TEST(TrackingTest, FilesJoinTheSum) {
  const std::vector<TrackedStatus> ts = {T(10, true)};
  const std::vector<TrackedFile> fs = {F(1, -30)};
  const TrackingResult r = ComputeEffectivePriority(100, ts, fs);
  EXPECT_EQ(r.effective, 80);
  const std::vector<TrackedFile> faulty = {F(1, -300)};
  EXPECT_TRUE(ComputeEffectivePriority(100, ts, faulty).fault);
}

}  // namespace
}  // namespace vigil::vrrp
