#include "vrrp/link_debounce.h"

#include <gtest/gtest.h>

namespace vigil::vrrp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Strings = std::vector<std::string>;

class LinkDebounceTest : public ::testing::Test {
 protected:
  LinkDebounceTest() {
    d_.SetDelays({{"eth0", {seconds(2), milliseconds(500)}}});
    // Seen at start, up: counts at once.
    EXPECT_TRUE(d_.Observe("eth0", true, true, t0_));
    EXPECT_TRUE(d_.Usable("eth0"));
  }
  LinkDebounce::TimePoint At(milliseconds ms) const { return t0_ + ms; }

  LinkDebounce d_;
  LinkDebounce::TimePoint t0_{seconds(1000)};
};

TEST_F(LinkDebounceTest, AFlapShorterThanTheDownDelayChangesNothing) {
  EXPECT_FALSE(d_.Observe("eth0", false, false, At(milliseconds(100))));
  EXPECT_TRUE(d_.Usable("eth0"));
  EXPECT_TRUE(d_.Pending("eth0"));
  EXPECT_EQ(d_.NextDeadline(), At(milliseconds(2100)));
  EXPECT_FALSE(d_.Observe("eth0", true, false, At(milliseconds(1900))));
  EXPECT_FALSE(d_.Pending("eth0"));
  EXPECT_EQ(d_.NextDeadline(), std::nullopt);
  EXPECT_EQ(d_.Expire(At(milliseconds(5000))), Strings{});
  EXPECT_TRUE(d_.Usable("eth0"));
}

TEST_F(LinkDebounceTest, DownForTheWholeDelayCountsAtItsEnd) {
  EXPECT_FALSE(d_.Observe("eth0", false, false, At(milliseconds(100))));
  // More notifications in the same direction do not restart the delay.
  EXPECT_FALSE(d_.Observe("eth0", false, false, At(milliseconds(1500))));
  EXPECT_EQ(d_.NextDeadline(), At(milliseconds(2100)));
  EXPECT_EQ(d_.Expire(At(milliseconds(2099))), Strings{});
  EXPECT_TRUE(d_.Usable("eth0"));
  EXPECT_EQ(d_.Expire(At(milliseconds(2100))), Strings{"eth0"});
  EXPECT_FALSE(d_.Usable("eth0"));
  // Up again: the up delay applies.
  EXPECT_FALSE(d_.Observe("eth0", true, false, At(milliseconds(3000))));
  EXPECT_EQ(d_.NextDeadline(), At(milliseconds(3500)));
  EXPECT_EQ(d_.Expire(At(milliseconds(3500))), Strings{"eth0"});
  EXPECT_TRUE(d_.Usable("eth0"));
}

TEST_F(LinkDebounceTest, WithoutDelaysChangesCountAtOnce) {
  EXPECT_FALSE(d_.Observe("eth1", false, true, At(milliseconds(0))));
  EXPECT_TRUE(d_.Observe("eth1", true, false, At(milliseconds(1))));
  EXPECT_TRUE(d_.Observe("eth1", false, false, At(milliseconds(2))));
  EXPECT_FALSE(d_.Usable("eth1"));
  EXPECT_EQ(d_.NextDeadline(), std::nullopt);
}

TEST_F(LinkDebounceTest, ZeroUpDelayMeansUpAtOnce) {
  d_.SetDelays({{"eth0", {seconds(2), microseconds(0)}}});
  EXPECT_FALSE(d_.Observe("eth0", false, false, At(milliseconds(0))));
  EXPECT_EQ(d_.Expire(At(milliseconds(2000))), Strings{"eth0"});
  EXPECT_TRUE(d_.Observe("eth0", true, false, At(milliseconds(2001))));
  EXPECT_TRUE(d_.Usable("eth0"));
}

TEST_F(LinkDebounceTest, UntilSeenUpOnceEveryChangeCountsAtOnce) {
  d_.SetDelays({{"eth1", {seconds(2), seconds(2)}}});
  // Down at start: coming up counts at once, and only then do delays apply.
  EXPECT_FALSE(d_.Observe("eth1", false, true, At(milliseconds(0))));
  EXPECT_TRUE(d_.Observe("eth1", true, false, At(milliseconds(10))));
  EXPECT_TRUE(d_.Usable("eth1"));
  EXPECT_FALSE(d_.Observe("eth1", false, false, At(milliseconds(20))));
  EXPECT_TRUE(d_.Usable("eth1"));
  EXPECT_TRUE(d_.Pending("eth1"));
}

TEST_F(LinkDebounceTest, DeletionCountsAtOnceAndTheSuccessorStartsAfresh) {
  EXPECT_FALSE(d_.Observe("eth0", false, false, At(milliseconds(100))));
  EXPECT_TRUE(d_.Knows("eth0"));
  EXPECT_TRUE(d_.Remove("eth0"));
  EXPECT_FALSE(d_.Knows("eth0"));
  EXPECT_FALSE(d_.Usable("eth0"));
  EXPECT_FALSE(d_.Pending("eth0"));
  EXPECT_EQ(d_.NextDeadline(), std::nullopt);
  EXPECT_FALSE(d_.Remove("eth0"));
  // Re-created down, then up: never seen up, so at once; its next down waits again.
  EXPECT_FALSE(d_.Observe("eth0", false, true, At(milliseconds(200))));
  EXPECT_TRUE(d_.Observe("eth0", true, false, At(milliseconds(300))));
  EXPECT_FALSE(d_.Observe("eth0", false, false, At(milliseconds(400))));
  EXPECT_TRUE(d_.Pending("eth0"));
}

TEST_F(LinkDebounceTest, ARecreatedInterfaceCountsAtOnce) {
  EXPECT_FALSE(d_.Observe("eth0", false, false, At(milliseconds(100))));
  // Another interface takes the name, down: no delay, the pending change goes.
  EXPECT_TRUE(d_.Observe("eth0", false, true, At(milliseconds(200))));
  EXPECT_FALSE(d_.Usable("eth0"));
  EXPECT_FALSE(d_.Pending("eth0"));
}

TEST_F(LinkDebounceTest, TheEarliestDeadlineIsNext) {
  d_.SetDelays({{"eth0", {seconds(2), seconds(2)}}, {"eth1", {seconds(1), seconds(1)}}});
  EXPECT_TRUE(d_.Observe("eth1", true, true, At(milliseconds(0))));
  EXPECT_FALSE(d_.Observe("eth0", false, false, At(milliseconds(100))));
  EXPECT_FALSE(d_.Observe("eth1", false, false, At(milliseconds(200))));
  EXPECT_EQ(d_.NextDeadline(), At(milliseconds(1200)));
  EXPECT_EQ(d_.Expire(At(milliseconds(3000))), (Strings{"eth0", "eth1"}));
}

TEST(CapDelaysTest, StaysBelowTheDownTimerLessOneAdvert) {
  // advert_int 1 s, down_timer_adverts 3: at most 2 s - 1/256 s.
  EXPECT_EQ(CapDelays({seconds(5), seconds(5)}, 3, seconds(1)),
            (UpDownDelays{microseconds(1996094), microseconds(1996094)}));
  // An up delay that differs from the down delay is kept.
  EXPECT_EQ(CapDelays({seconds(5), seconds(1)}, 3, seconds(1)),
            (UpDownDelays{microseconds(1996094), seconds(1)}));
  EXPECT_EQ(CapDelays({seconds(1), seconds(9)}, 3, seconds(1)), (UpDownDelays{seconds(1), seconds(9)}));
  EXPECT_EQ(CapDelays({seconds(5), seconds(5)}, 1, seconds(1)), UpDownDelays{});
  EXPECT_EQ(CapDelays({seconds(30), seconds(2)}, 10, milliseconds(500)),
            (UpDownDelays{microseconds(4498047), seconds(2)}));
}

TEST(CapDelaysTest, LinkDebounceCapsOneInterface) {
  LinkDebounce d;
  d.SetDelays({{"eth0", {seconds(5), seconds(5)}}, {"eth1", {seconds(5), seconds(5)}}});
  EXPECT_TRUE(d.Cap("eth0", 3, seconds(1)));
  EXPECT_FALSE(d.Cap("eth0", 3, seconds(1)));
  EXPECT_FALSE(d.Cap("eth2", 3, seconds(1)));
  EXPECT_EQ(d.DelaysOf("eth0"), (UpDownDelays{microseconds(1996094), microseconds(1996094)}));
  EXPECT_EQ(d.DelaysOf("eth1"), (UpDownDelays{seconds(5), seconds(5)}));
  EXPECT_EQ(d.DelaysOf("eth2"), UpDownDelays{});
}

}  // namespace
}  // namespace vigil::vrrp
