#include "bfd/session.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/clock.h"

namespace vigil::bfd {
namespace {

using std::chrono::milliseconds;

constexpr uint32_t kLocal = 0x1111;
constexpr uint32_t kRemote = 0x2222;

// The jitter source: always the top (no reduction) unless a test picks the bottom.
struct Jitter {
  bool lowest = false;
  std::vector<std::pair<uint64_t, uint64_t>> asked;
  RandomBetween Fn() {
    return [this](uint64_t lo, uint64_t hi) {
      asked.emplace_back(lo, hi);
      return lowest ? lo : hi;
    };
  }
};

SessionParams Fast() {
  SessionParams p;
  p.desired_min_tx = milliseconds(100);
  p.required_min_rx = milliseconds(100);
  p.idle_tx = milliseconds(1000);
  p.detect_mult = 3;
  return p;
}

std::vector<ControlPacket> Sent(const std::vector<Action>& actions) {
  std::vector<ControlPacket> out;
  for (const auto& a : actions)
    if (const auto* t = std::get_if<Transmit>(&a)) out.push_back(t->packet);
  return out;
}

std::vector<StateChange> Changes(const std::vector<Action>& actions) {
  std::vector<StateChange> out;
  for (const auto& a : actions)
    if (const auto* c = std::get_if<StateChange>(&a)) out.push_back(*c);
  return out;
}

// What the remote (FRR, keepalived) sends.
ControlPacket Remote(State state, uint32_t your, uint32_t tx_us = 100000, uint32_t rx_us = 100000,
                     uint8_t mult = 3) {
  ControlPacket p;
  p.state = state;
  p.detect_mult = mult;
  p.my_discriminator = kRemote;
  p.your_discriminator = your;
  p.desired_min_tx_us = tx_us;
  p.required_min_rx_us = rx_us;
  return p;
}

class SessionTest : public ::testing::Test {
 protected:
  // Brings the session Up with the remote's Init and completes the Poll of min_tx.
  void BringUp(Session& s) {
    s.Start(clock_.Now());
    s.OnPacket(Remote(State::kInit, kLocal), clock_.Now());
    ASSERT_EQ(s.state(), State::kUp);
    auto f = Remote(State::kUp, kLocal);
    f.final = true;
    s.OnPacket(f, clock_.Now());
    ASSERT_FALSE(s.polling());
  }

  FakeClock clock_;
  Jitter jitter_;
};

TEST_F(SessionTest, StartsDownSendingIdleTxAtOnceThenEverySecond) {
  Session s(Fast(), kLocal, jitter_.Fn());
  EXPECT_FALSE(s.NextDeadline().has_value());  // nothing before Start
  const auto sent = Sent(s.Start(clock_.Now()));
  ASSERT_EQ(sent.size(), 1u);
  const ControlPacket& p = sent[0];
  EXPECT_EQ(p.state, State::kDown);
  EXPECT_EQ(p.my_discriminator, kLocal);
  EXPECT_EQ(p.your_discriminator, 0u);
  EXPECT_EQ(p.desired_min_tx_us, 1000000u);  // idle_tx while not Up
  EXPECT_EQ(p.required_min_rx_us, 100000u);
  EXPECT_EQ(p.detect_mult, 3);
  EXPECT_FALSE(p.poll || p.final || p.demand || p.auth_present);
  EXPECT_EQ(s.NextDeadline(), clock_.Now() + milliseconds(1000));
  EXPECT_EQ(jitter_.asked.back(), (std::pair<uint64_t, uint64_t>{750000, 1000000}));
}

TEST_F(SessionTest, ThreeWayBringUpFromDown) {
  Session a(Fast(), kLocal, jitter_.Fn());
  a.Start(clock_.Now());
  // The remote's Down (no discriminator of ours yet) takes us to Init.
  auto c = Changes(a.OnPacket(Remote(State::kDown, 0), clock_.Now()));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].from, State::kDown);
  EXPECT_EQ(c[0].to, State::kInit);
  EXPECT_EQ(a.remote_discriminator(), kRemote);
  // Its Init takes us Up, and Up starts the Poll for min_tx (1 s -> 100 ms).
  c = Changes(a.OnPacket(Remote(State::kInit, kLocal), clock_.Now()));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].to, State::kUp);
  EXPECT_EQ(c[0].diag, Diag::kNone);
  EXPECT_TRUE(a.polling());
  EXPECT_EQ(a.tx_interval(), milliseconds(100));  // a faster rate applies at once
  clock_.Advance(milliseconds(100));
  const auto sent = Sent(a.OnTimer(clock_.Now()));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].state, State::kUp);
  EXPECT_TRUE(sent[0].poll);
  EXPECT_EQ(sent[0].your_discriminator, kRemote);
  EXPECT_EQ(sent[0].desired_min_tx_us, 100000u);
}

TEST_F(SessionTest, DownToUpDirectlyOnRemoteInitAndInitToUpOnRemoteUp) {
  Session a(Fast(), kLocal, jitter_.Fn());
  a.Start(clock_.Now());
  a.OnPacket(Remote(State::kDown, 0), clock_.Now());
  ASSERT_EQ(a.state(), State::kInit);
  EXPECT_TRUE(Changes(a.OnPacket(Remote(State::kDown, kLocal), clock_.Now())).empty());
  a.OnPacket(Remote(State::kUp, kLocal), clock_.Now());
  EXPECT_EQ(a.state(), State::kUp);
}

TEST_F(SessionTest, TwoSessionsComeUpOverAnInMemoryWire) {
  Jitter jb;
  Session a(Fast(), kLocal, jitter_.Fn());
  Session b(Fast(), kRemote, jb.Fn());
  std::vector<ControlPacket> to_a, to_b;
  auto run = [&](Session& s, std::vector<Action> actions, std::vector<ControlPacket>& wire) {
    for (auto& p : Sent(actions)) wire.push_back(p);
    (void)s;
  };
  run(a, a.Start(clock_.Now()), to_b);
  run(b, b.Start(clock_.Now()), to_a);
  for (int step = 0; step < 5000 && (a.state() != State::kUp || b.state() != State::kUp ||
                                     a.polling() || b.polling());
       ++step) {
    for (auto& p : std::exchange(to_a, {})) run(a, a.OnPacket(p, clock_.Now()), to_b);
    for (auto& p : std::exchange(to_b, {})) run(b, b.OnPacket(p, clock_.Now()), to_a);
    clock_.Advance(milliseconds(1));
    run(a, a.OnTimer(clock_.Now()), to_b);
    run(b, b.OnTimer(clock_.Now()), to_a);
  }
  EXPECT_EQ(a.state(), State::kUp);
  EXPECT_EQ(b.state(), State::kUp);
  EXPECT_FALSE(a.polling());
  EXPECT_EQ(a.tx_interval(), milliseconds(100));
  EXPECT_EQ(a.detection_time(), milliseconds(300));
  EXPECT_EQ(b.detection_time(), milliseconds(300));
}

TEST_F(SessionTest, DetectionExpiresExactlyAtMultiplierTimesAgreedInterval) {
  Session s(Fast(), kLocal, jitter_.Fn());
  BringUp(s);
  // The remote asks for 150 ms rx and offers 200 ms tx with multiplier 4: the agreed rx
  // interval is max(our 100 ms, its 200 ms) = 200 ms, detection 800 ms.
  s.OnPacket(Remote(State::kUp, kLocal, 200000, 150000, 4), clock_.Now());
  const TimePoint last = clock_.Now();
  EXPECT_EQ(s.detection_time(), milliseconds(800));
  EXPECT_EQ(s.detection_deadline(), last + milliseconds(800));
  EXPECT_EQ(s.tx_interval(), milliseconds(150));
  // Run the timers as the shell would, up to just before the deadline.
  while (*s.NextDeadline() < last + milliseconds(800)) {
    clock_.Set(*s.NextDeadline());
    s.OnTimer(clock_.Now());
    ASSERT_EQ(s.state(), State::kUp);
  }
  clock_.Set(last + milliseconds(800) - std::chrono::microseconds(1));
  EXPECT_TRUE(Changes(s.OnTimer(clock_.Now())).empty());
  EXPECT_EQ(s.NextDeadline(), last + milliseconds(800));
  clock_.Set(last + milliseconds(800));
  const auto out = s.OnTimer(clock_.Now());
  const auto c = Changes(out);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].from, State::kUp);
  EXPECT_EQ(c[0].to, State::kDown);
  EXPECT_EQ(c[0].diag, Diag::kDetectionExpired);
  EXPECT_EQ(s.remote_discriminator(), 0u);
  // Back to the 1 s idle rate, saying why.
  EXPECT_EQ(s.tx_interval(), milliseconds(1000));
  clock_.Set(*s.NextDeadline());
  const auto sent = Sent(s.OnTimer(clock_.Now()));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].state, State::kDown);
  EXPECT_EQ(sent[0].diag, Diag::kDetectionExpired);
  EXPECT_EQ(sent[0].your_discriminator, 0u);
  EXPECT_EQ(sent[0].desired_min_tx_us, 1000000u);
}

TEST_F(SessionTest, EachPacketPushesTheDetectionDeadline) {
  Session s(Fast(), kLocal, jitter_.Fn());
  BringUp(s);
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(milliseconds(290));
    s.OnTimer(clock_.Now());
    s.OnPacket(Remote(State::kUp, kLocal), clock_.Now());
  }
  EXPECT_EQ(s.state(), State::kUp);
  EXPECT_EQ(s.detection_deadline(), clock_.Now() + milliseconds(300));
}

TEST_F(SessionTest, InitAlsoExpires) {
  Session s(Fast(), kLocal, jitter_.Fn());
  s.Start(clock_.Now());
  s.OnPacket(Remote(State::kDown, 0, 1000000, 100000, 3), clock_.Now());
  ASSERT_EQ(s.state(), State::kInit);
  EXPECT_EQ(s.detection_deadline(), clock_.Now() + milliseconds(3000));
  clock_.Advance(milliseconds(3000));
  s.OnTimer(clock_.Now());
  EXPECT_EQ(s.state(), State::kDown);
  EXPECT_EQ(s.local_diag(), Diag::kDetectionExpired);
}

TEST_F(SessionTest, JitterIs75To100PercentAnd75To90WithMultiplierOne) {
  Session s(Fast(), kLocal, jitter_.Fn());
  BringUp(s);
  jitter_.asked.clear();
  clock_.Set(*s.NextDeadline());
  s.OnTimer(clock_.Now());
  ASSERT_FALSE(jitter_.asked.empty());
  EXPECT_EQ(jitter_.asked.back(), (std::pair<uint64_t, uint64_t>{75000, 100000}));

  SessionParams one = Fast();
  one.detect_mult = 1;
  Jitter j1;
  j1.lowest = true;
  Session m(one, kLocal, j1.Fn());
  m.Start(clock_.Now());
  EXPECT_EQ(j1.asked.back(), (std::pair<uint64_t, uint64_t>{750000, 900000}));
  EXPECT_EQ(m.NextDeadline(), clock_.Now() + milliseconds(750));
}

TEST_F(SessionTest, RepliesToAPollAtOnceWithFinalAndWithoutPoll) {
  Session s(Fast(), kLocal, jitter_.Fn());
  BringUp(s);
  const auto before = s.NextDeadline();
  auto p = Remote(State::kUp, kLocal, 300000, 300000);
  p.poll = true;
  const auto sent = Sent(s.OnPacket(p, clock_.Now()));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0].final);
  EXPECT_FALSE(sent[0].poll);
  EXPECT_EQ(sent[0].state, State::kUp);
  // The remote's slower rx applies at once: 300 ms between our packets.
  EXPECT_EQ(s.tx_interval(), milliseconds(300));
  EXPECT_EQ(s.detection_time(), milliseconds(900));
  EXPECT_EQ(s.NextDeadline(), before);  // the periodic timer is not reset by the reply
}

TEST_F(SessionTest, PollFinalOnIntervalChange) {
  Session s(Fast(), kLocal, jitter_.Fn());
  BringUp(s);
  ASSERT_EQ(s.tx_interval(), milliseconds(100));
  // A slower min_tx and a shorter min_rx: both wait for the Final.
  SessionParams slower = Fast();
  slower.desired_min_tx = milliseconds(400);
  slower.required_min_rx = milliseconds(50);
  s.SetParams(slower, clock_.Now());
  EXPECT_TRUE(s.polling());
  EXPECT_EQ(s.tx_interval(), milliseconds(100));
  EXPECT_EQ(s.detection_time(), milliseconds(300));
  clock_.Set(*s.NextDeadline());
  auto sent = Sent(s.OnTimer(clock_.Now()));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0].poll);
  EXPECT_EQ(sent[0].desired_min_tx_us, 400000u);  // advertised at once
  EXPECT_EQ(sent[0].required_min_rx_us, 50000u);
  // Until the Final, every periodic packet carries P.
  clock_.Set(*s.NextDeadline());
  sent = Sent(s.OnTimer(clock_.Now()));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0].poll);
  // A packet without F does not end it.
  s.OnPacket(Remote(State::kUp, kLocal), clock_.Now());
  EXPECT_TRUE(s.polling());
  auto f = Remote(State::kUp, kLocal, 50000, 100000);
  f.final = true;
  s.OnPacket(f, clock_.Now());
  EXPECT_FALSE(s.polling());
  EXPECT_EQ(s.tx_interval(), milliseconds(400));
  EXPECT_EQ(s.detection_time(), milliseconds(150));  // 3 x max(50, 50)
  clock_.Set(*s.NextDeadline());
  sent = Sent(s.OnTimer(clock_.Now()));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_FALSE(sent[0].poll);
}

TEST_F(SessionTest, FasterTxAndLongerRxApplyBeforeTheFinal) {
  Session s(Fast(), kLocal, jitter_.Fn());
  BringUp(s);
  SessionParams p = Fast();
  p.desired_min_tx = milliseconds(20);
  p.required_min_rx = milliseconds(500);
  s.SetParams(p, clock_.Now());
  EXPECT_TRUE(s.polling());
  s.OnPacket(Remote(State::kUp, kLocal, 100000, 20000), clock_.Now());
  EXPECT_EQ(s.tx_interval(), milliseconds(20));
  EXPECT_EQ(s.detection_time(), milliseconds(1500));
  EXPECT_LE(*s.NextDeadline(), clock_.Now() + milliseconds(20));  // rescheduled sooner
}

TEST_F(SessionTest, NoPollWhenIdleEqualsMinTx) {
  SessionParams p = Fast();
  p.desired_min_tx = p.idle_tx;
  Session s(p, kLocal, jitter_.Fn());
  s.Start(clock_.Now());
  s.OnPacket(Remote(State::kInit, kLocal), clock_.Now());
  EXPECT_EQ(s.state(), State::kUp);
  EXPECT_FALSE(s.polling());
}

TEST_F(SessionTest, RemoteDownOrAdminDownTakesUsDownWithNeighborDiag) {
  Session s(Fast(), kLocal, jitter_.Fn());
  BringUp(s);
  auto c = Changes(s.OnPacket(Remote(State::kDown, kLocal), clock_.Now()));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].to, State::kDown);
  EXPECT_EQ(c[0].diag, Diag::kNeighborDown);
  EXPECT_EQ(s.tx_interval(), milliseconds(1000));
  // The remote's Down also restarts the three-way handshake... once it says Down again.
  s.OnPacket(Remote(State::kDown, 0), clock_.Now());
  EXPECT_EQ(s.state(), State::kInit);
  c = Changes(s.OnPacket(Remote(State::kAdminDown, kLocal), clock_.Now()));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].from, State::kInit);
  EXPECT_EQ(c[0].to, State::kDown);
  EXPECT_EQ(c[0].diag, Diag::kNeighborDown);
  // AdminDown while we are Down changes nothing.
  EXPECT_TRUE(Changes(s.OnPacket(Remote(State::kAdminDown, kLocal), clock_.Now())).empty());
  EXPECT_EQ(s.state(), State::kDown);
}

TEST_F(SessionTest, AdminDownSaysSoForOneDetectionTimeThenIsSilentAndDeaf) {
  Session s(Fast(), kLocal, jitter_.Fn());
  BringUp(s);
  auto out = s.SetAdminDown(true, clock_.Now());
  auto c = Changes(out);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].to, State::kAdminDown);
  EXPECT_EQ(c[0].diag, Diag::kAdminDown);
  auto sent = Sent(out);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].state, State::kAdminDown);
  EXPECT_EQ(sent[0].diag, Diag::kAdminDown);
  int more = 0;
  for (int i = 0; i < 10 && s.NextDeadline(); ++i) {
    clock_.Set(*s.NextDeadline());
    more += static_cast<int>(Sent(s.OnTimer(clock_.Now())).size());
  }
  EXPECT_EQ(more, 2);  // multiplier 3 in all
  EXPECT_FALSE(s.NextDeadline().has_value());
  // Packets are ignored in AdminDown.
  EXPECT_TRUE(s.OnPacket(Remote(State::kInit, kLocal), clock_.Now()).empty());
  EXPECT_EQ(s.state(), State::kAdminDown);
  // Enabled again: Down, sending, and able to come Up.
  c = Changes(s.SetAdminDown(false, clock_.Now()));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].to, State::kDown);
  ASSERT_TRUE(s.NextDeadline().has_value());
  s.OnPacket(Remote(State::kInit, kLocal), clock_.Now());
  EXPECT_EQ(s.state(), State::kUp);
}

TEST_F(SessionTest, IgnoresAPacketForAnotherDiscriminator) {
  Session s(Fast(), kLocal, jitter_.Fn());
  s.Start(clock_.Now());
  EXPECT_TRUE(s.OnPacket(Remote(State::kInit, kLocal + 1), clock_.Now()).empty());
  EXPECT_EQ(s.state(), State::kDown);
  EXPECT_EQ(s.remote_discriminator(), 0u);
}

TEST_F(SessionTest, DemandModeIsNeverAskedForAndARemoteInDemandSilencesUsWhileBothUp) {
  Session s(Fast(), kLocal, jitter_.Fn());
  BringUp(s);
  for (int i = 0; i < 3; ++i) {
    clock_.Set(*s.NextDeadline());
    for (const auto& p : Sent(s.OnTimer(clock_.Now()))) EXPECT_FALSE(p.demand);
    s.OnPacket(Remote(State::kUp, kLocal), clock_.Now());
  }
  auto d = Remote(State::kUp, kLocal);
  d.demand = true;
  s.OnPacket(d, clock_.Now());
  // No periodic packets any more; only the detection timer remains.
  EXPECT_EQ(s.NextDeadline(), s.detection_deadline());
  auto back = Remote(State::kUp, kLocal);
  s.OnPacket(back, clock_.Now());
  EXPECT_LT(*s.NextDeadline(), *s.detection_deadline());
}

TEST_F(SessionTest, PassiveWaitsForTheRemoteAndFallsSilentWhenItIsLost) {
  SessionParams p = Fast();
  p.passive = true;
  Session s(p, kLocal, jitter_.Fn());
  EXPECT_TRUE(s.Start(clock_.Now()).empty());
  EXPECT_FALSE(s.NextDeadline().has_value());
  s.OnPacket(Remote(State::kDown, 0), clock_.Now());
  EXPECT_EQ(s.state(), State::kInit);
  ASSERT_TRUE(s.NextDeadline().has_value());
  clock_.Advance(milliseconds(3000));
  s.OnTimer(clock_.Now());  // expired: the remote's discriminator is forgotten
  EXPECT_EQ(s.state(), State::kDown);
  clock_.Advance(milliseconds(1000));
  EXPECT_TRUE(Sent(s.OnTimer(clock_.Now())).empty());
  EXPECT_FALSE(s.NextDeadline().has_value());
}

TEST_F(SessionTest, RemoteRequiredMinRxZeroStopsPeriodicTransmission) {
  Session s(Fast(), kLocal, jitter_.Fn());
  s.Start(clock_.Now());
  s.OnPacket(Remote(State::kDown, 0, 1000000, 0), clock_.Now());
  EXPECT_EQ(s.state(), State::kInit);
  EXPECT_EQ(s.NextDeadline(), s.detection_deadline());
}

}  // namespace
}  // namespace vigil::bfd
