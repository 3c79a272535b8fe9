#include "bfd/session_table.h"

#include <gtest/gtest.h>

#include "base/clock.h"
#include "model/config.h"

namespace vigil::bfd {
namespace {

using std::chrono::milliseconds;

model::IpAddress Ip(const char* s) { return *model::IpAddress::Parse(s); }

// Discriminators 1, 2, 3, ... and no jitter (the top of the range).
RandomBetween Predictable() {
  auto next = std::make_shared<uint32_t>(0);
  return [next](uint64_t lo, uint64_t hi) -> uint64_t {
    if (lo == 1 && hi == 0xffffffffu) return 0x100 + ++*next;
    return hi;
  };
}

SessionConfig Peer(const char* name, const char* neighbor, const char* source = nullptr) {
  SessionConfig c;
  c.name = name;
  c.neighbor = Ip(neighbor);
  if (source) c.source = Ip(source);
  c.params.desired_min_tx = milliseconds(100);
  c.params.required_min_rx = milliseconds(100);
  c.params.idle_tx = milliseconds(1000);
  c.params.detect_mult = 3;
  return c;
}

// Two tables joined by an in-memory wire: `a` at 10.0.0.1, `b` at 10.0.0.2.
struct Pair {
  FakeClock clock;
  SessionTable a{Predictable()};
  SessionTable b{Predictable()};
  std::vector<Transition> a_changes, b_changes;

  void Deliver(const Output& out, const SessionTable& sender, SessionTable& to, const char* from,
               const char* to_addr, std::vector<Transition>& to_changes, uint8_t ttl = 255) {
    for (const auto& s : out.sends) {
      auto it = sender.sessions().find(s.session);
      if (it == sender.sessions().end() || it->second.config.neighbor != Ip(to_addr)) continue;
      Received r;
      r.from = Ip(from);
      r.to = Ip(to_addr);
      r.ttl = ttl;
      r.payload = s.bytes;
      Output back;
      to.OnReceive(r, clock.Now(), back);
      for (auto& t : back.transitions) to_changes.push_back(t);
      pending_.push_back({&to == &a, back});
    }
  }
  // Delivers `out` (sent by `a` if from_a) and everything it provokes, to quiescence.
  void Run(const Output& out, bool from_a) {
    pending_.push_back({from_a, out});
    for (int i = 0; i < 100 && !pending_.empty(); ++i) {
      auto [sender_a, o] = pending_.front();
      pending_.erase(pending_.begin());
      if (sender_a) Deliver(o, a, b, "10.0.0.1", "10.0.0.2", b_changes);
      else Deliver(o, b, a, "10.0.0.2", "10.0.0.1", a_changes);
    }
  }
  // Advances both tables' timers to `t`, step by step, delivering what they send.
  void AdvanceTo(TimePoint t) {
    for (int i = 0; i < 10000; ++i) {
      auto na = a.NextDeadline();
      auto nb = b.NextDeadline();
      std::optional<TimePoint> next = na;
      if (nb && (!next || *nb < *next)) next = nb;
      if (!next || *next > t) break;
      clock.Set(*next);
      Output oa, ob;
      a.OnTimer(clock.Now(), oa);
      b.OnTimer(clock.Now(), ob);
      for (auto& x : oa.transitions) a_changes.push_back(x);
      for (auto& x : ob.transitions) b_changes.push_back(x);
      Run(oa, true);
      Run(ob, false);
    }
    clock.Set(t);
  }

 private:
  std::vector<std::pair<bool, Output>> pending_;
};

TEST(SessionTableTest, ActiveAndPassiveTablesComeUpThroughTheWire) {
  Pair p;
  SessionConfig passive = Peer("toA", "10.0.0.1", "10.0.0.2");
  passive.params.passive = true;
  Output ob;
  p.b.Configure({passive}, p.clock.Now(), ob);
  EXPECT_TRUE(ob.sends.empty());  // passive: silent until it hears from its neighbor
  Output oa;
  p.a.Configure({Peer("toB", "10.0.0.2")}, p.clock.Now(), oa);
  ASSERT_EQ(oa.sends.size(), 1u);
  EXPECT_EQ(oa.sends[0].session, "toB");
  p.Run(oa, true);
  p.AdvanceTo(p.clock.Now() + milliseconds(3000));
  EXPECT_EQ(p.a.sessions().at("toB").session->state(), State::kUp);
  EXPECT_EQ(p.b.sessions().at("toA").session->state(), State::kUp);
  ASSERT_FALSE(p.b_changes.empty());
  EXPECT_EQ(p.b_changes.front().session, "toA");
  EXPECT_EQ(p.b_changes.front().from, State::kDown);
  EXPECT_EQ(p.b_changes.front().to, State::kInit);
  EXPECT_EQ(p.a.sessions().at("toB").counters.up, 1u);
  EXPECT_EQ(p.a.sessions().at("toB").counters.down, 0u);
  EXPECT_GT(p.a.sessions().at("toB").counters.received, 0u);
  EXPECT_TRUE(p.a.dropped().empty());
  EXPECT_TRUE(p.b.dropped().empty());
}

TEST(SessionTableTest, SilenceTakesTheSessionDownAtTheDetectionTime) {
  Pair p;
  Output oa, ob;
  p.a.Configure({Peer("toB", "10.0.0.2")}, p.clock.Now(), oa);
  p.b.Configure({Peer("toA", "10.0.0.1")}, p.clock.Now(), ob);
  p.Run(oa, true);
  p.Run(ob, false);
  p.AdvanceTo(p.clock.Now() + milliseconds(3000));
  ASSERT_EQ(p.a.sessions().at("toB").session->state(), State::kUp);
  // b dies: a hears nothing more. Its last packet arrived at most one interval ago.
  const auto& s = *p.a.sessions().at("toB").session;
  EXPECT_EQ(s.detection_time(), milliseconds(300));
  auto deadline = s.detection_deadline();
  ASSERT_TRUE(deadline);
  TimePoint last_heard = *deadline - milliseconds(300);
  for (int i = 0; i < 100; ++i) {
    auto next = p.a.NextDeadline();
    ASSERT_TRUE(next);
    p.clock.Set(*next);
    Output o;
    p.a.OnTimer(p.clock.Now(), o);
    if (!o.transitions.empty()) {
      ASSERT_EQ(o.transitions.size(), 1u);
      EXPECT_EQ(o.transitions[0].to, State::kDown);
      EXPECT_EQ(o.transitions[0].diag, Diag::kDetectionExpired);
      EXPECT_EQ(p.clock.Now() - last_heard, milliseconds(300));
      break;
    }
  }
  EXPECT_EQ(p.a.sessions().at("toB").session->state(), State::kDown);
  EXPECT_EQ(p.a.sessions().at("toB").counters.down, 1u);
}

// A Down packet from `from` to `to` with Your Discriminator 0.
Received Datagram(const std::array<uint8_t, kMandatorySize>& bytes, const char* from,
                  const char* to, uint8_t ttl, bool multihop = false) {
  Received r;
  r.from = Ip(from);
  r.to = Ip(to);
  r.ttl = ttl;
  r.multihop = multihop;
  r.payload = bytes;
  return r;
}

// b's Up packet to a, as b's session would send it.
std::array<uint8_t, kMandatorySize> UpPacketFrom(const Pair& p) {
  ControlPacket c;
  c.state = State::kUp;
  c.detect_mult = 3;
  c.my_discriminator = p.b.sessions().at("toA").session->local_discriminator();
  c.your_discriminator = p.a.sessions().at("toB").session->local_discriminator();
  c.desired_min_tx_us = 100'000;
  c.required_min_rx_us = 100'000;
  return Encode(c);
}

// The shell reads a datagram late (a busy process): the detection time counts from when
// the kernel received it, not from when it was handled, so the session goes Down 300 ms
// after the peer's last packet reached the host, and stays Up when a packet that arrived
// before the deadline is handled after it.
TEST(SessionTableTest, DetectionCountsFromTheKernelsArrivalTime) {
  Pair p;
  Output oa, ob;
  p.a.Configure({Peer("toB", "10.0.0.2")}, p.clock.Now(), oa);
  p.b.Configure({Peer("toA", "10.0.0.1")}, p.clock.Now(), ob);
  p.Run(oa, true);
  p.Run(ob, false);
  p.AdvanceTo(p.clock.Now() + milliseconds(3000));
  const Session& s = *p.a.sessions().at("toB").session;
  ASSERT_EQ(s.state(), State::kUp);
  ASSERT_EQ(s.detection_time(), milliseconds(300));
  const TimePoint deadline = *s.detection_deadline();
  const auto bytes = UpPacketFrom(p);

  // Arrived 10 ms before the deadline, handled 20 ms after it: still Up, and the next
  // deadline is 300 ms after its arrival.
  Received r = Datagram(bytes, "10.0.0.2", "10.0.0.1", 255);
  r.arrived = deadline - milliseconds(10);
  p.clock.Set(deadline + milliseconds(20));
  Output o;
  p.a.OnReceive(r, p.clock.Now(), o);
  p.a.OnTimer(p.clock.Now(), o);
  EXPECT_TRUE(o.transitions.empty());
  EXPECT_EQ(s.state(), State::kUp);
  EXPECT_EQ(s.detection_deadline(), deadline + milliseconds(290));

  // An arrival before the last one's (out of order) does not move the deadline back; one
  // "after now" (a clock gone wrong) counts as now.
  r.arrived = deadline - milliseconds(50);
  p.a.OnReceive(r, p.clock.Now(), o);
  EXPECT_EQ(s.detection_deadline(), deadline + milliseconds(290));
  r.arrived = p.clock.Now() + milliseconds(500);
  p.a.OnReceive(r, p.clock.Now(), o);
  EXPECT_EQ(s.detection_deadline(), p.clock.Now() + milliseconds(300));

  // Then silence: Down exactly 300 ms after that last packet.
  const TimePoint last = p.clock.Now();
  p.clock.Set(last + milliseconds(299));
  p.a.OnTimer(p.clock.Now(), o);
  EXPECT_EQ(s.state(), State::kUp);
  p.clock.Set(last + milliseconds(300));
  p.a.OnTimer(p.clock.Now(), o);
  EXPECT_EQ(s.state(), State::kDown);
  EXPECT_EQ(s.local_diag(), Diag::kDetectionExpired);
}

TEST(SessionTableTest, PacketsAreMatchedByAddressesPortAndTtlAsKeepalived) {
  FakeClock clock;
  SessionTable t(Predictable());
  SessionConfig gtsm = Peer("gtsm", "10.0.0.2", "10.0.0.1");
  SessionConfig loose = Peer("loose", "10.0.0.3");
  loose.max_hops = 1;
  SessionConfig hop = Peer("hop", "10.0.0.4");
  hop.multihop = true;
  hop.max_hops = 255;
  Output out;
  t.Configure({gtsm, loose, hop}, clock.Now(), out);
  ControlPacket down;
  down.state = State::kDown;
  down.detect_mult = 3;
  down.my_discriminator = 77;
  down.desired_min_tx_us = 1000000;
  down.required_min_rx_us = 100000;
  const auto bytes = Encode(down);
  auto received = [&](const std::string& name) { return t.sessions().at(name).counters.received; };

  Output o;
  t.OnReceive(Datagram(bytes, "10.0.0.2", "10.0.0.1", 255), clock.Now(), o);
  EXPECT_EQ(received("gtsm"), 1u);
  t.OnReceive(Datagram(bytes, "10.0.0.2", "10.0.0.1", 254), clock.Now(), o);  // one hop away
  t.OnReceive(Datagram(bytes, "10.0.0.2", "10.0.0.9", 255), clock.Now(), o);  // not source_ip
  t.OnReceive(Datagram(bytes, "10.0.0.2", "10.0.0.1", 255, true), clock.Now(), o);  // port 4784
  EXPECT_EQ(received("gtsm"), 1u);
  t.OnReceive(Datagram(bytes, "10.0.0.3", "10.0.0.1", 254), clock.Now(), o);  // max_hops 1
  t.OnReceive(Datagram(bytes, "10.0.0.3", "10.0.0.1", 253), clock.Now(), o);
  EXPECT_EQ(received("loose"), 1u);
  t.OnReceive(Datagram(bytes, "10.0.0.4", "10.0.0.1", 7, true), clock.Now(), o);  // unchecked
  t.OnReceive(Datagram(bytes, "10.0.0.4", "10.0.0.1", 255), clock.Now(), o);     // port 3784
  EXPECT_EQ(received("hop"), 1u);
  // A Your Discriminator that is not ours, or ours from another address.
  ControlPacket init = down;
  init.state = State::kInit;
  init.your_discriminator = t.sessions().at("gtsm").session->local_discriminator();
  const auto ours = Encode(init);
  t.OnReceive(Datagram(ours, "10.0.0.3", "10.0.0.1", 255), clock.Now(), o);
  init.your_discriminator = 4242;
  const auto other = Encode(init);
  t.OnReceive(Datagram(other, "10.0.0.2", "10.0.0.1", 255), clock.Now(), o);
  EXPECT_EQ(received("gtsm"), 1u);
  EXPECT_EQ(received("loose"), 1u);
  // Garbage is counted under the codec's reason.
  std::array<uint8_t, 3> shorty{0x20, 0x40, 0x03};
  Received r = Datagram(bytes, "10.0.0.2", "10.0.0.1", 255);
  r.payload = shorty;
  t.OnReceive(r, clock.Now(), o);
  EXPECT_EQ(t.dropped(), (std::map<std::string, uint64_t>{
                             {"bad_ttl", 2}, {"no_session", 5}, {"too_short", 1}}));
}

TEST(SessionTableTest, ConfigureKeepsASessionWhosePeerIsUnchanged) {
  Pair p;
  Output oa, ob;
  p.a.Configure({Peer("toB", "10.0.0.2"), Peer("other", "10.0.0.7")}, p.clock.Now(), oa);
  p.b.Configure({Peer("toA", "10.0.0.1")}, p.clock.Now(), ob);
  p.Run(oa, true);
  p.Run(ob, false);
  p.AdvanceTo(p.clock.Now() + milliseconds(3000));
  ASSERT_EQ(p.a.sessions().at("toB").session->state(), State::kUp);
  const uint32_t discr = p.a.sessions().at("toB").session->local_discriminator();

  SessionConfig slower = Peer("toB", "10.0.0.2");
  slower.params.desired_min_tx = milliseconds(200);
  Output o;
  auto removed = p.a.Configure({slower}, p.clock.Now(), o);
  EXPECT_EQ(removed, std::vector<std::string>{"other"});
  EXPECT_EQ(p.a.sessions().size(), 1u);
  EXPECT_EQ(p.a.sessions().at("toB").session->state(), State::kUp);
  EXPECT_EQ(p.a.sessions().at("toB").session->local_discriminator(), discr);
  EXPECT_TRUE(p.a.sessions().at("toB").session->polling());  // a Poll Sequence for the change
  EXPECT_EQ(p.a.sessions().at("toB").config.params.desired_min_tx, milliseconds(200));

  // Another neighbor under the same name: a new session.
  Output o2;
  removed = p.a.Configure({Peer("toB", "10.0.0.9")}, p.clock.Now(), o2);
  EXPECT_EQ(removed, std::vector<std::string>{"toB"});
  EXPECT_EQ(p.a.sessions().at("toB").session->state(), State::kDown);
  EXPECT_NE(p.a.sessions().at("toB").session->local_discriminator(), discr);
  ASSERT_EQ(o2.sends.size(), 1u);
}

TEST(SessionTableTest, SessionsFromModelCarryTheBfdInstance) {
  model::Config cfg;
  model::BfdInstance b;
  b.name = "B";
  b.neighbor_ip = Ip("fd00::2");
  b.source_ip = Ip("fd00::1");
  b.min_rx = std::chrono::microseconds(3312);
  b.min_tx = milliseconds(20);
  b.idle_tx = milliseconds(2000);
  b.multiplier = 4;
  b.passive = true;
  b.ttl = 64;
  b.max_hops = 2;
  b.multihop = true;
  cfg.bfd_instances.push_back(b);
  auto s = SessionsFromModel(cfg);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].name, "B");
  EXPECT_EQ(s[0].neighbor, Ip("fd00::2"));
  EXPECT_EQ(s[0].source, Ip("fd00::1"));
  EXPECT_EQ(s[0].params.required_min_rx, std::chrono::microseconds(3312));
  EXPECT_EQ(s[0].params.desired_min_tx, milliseconds(20));
  EXPECT_EQ(s[0].params.idle_tx, milliseconds(2000));
  EXPECT_EQ(s[0].params.detect_mult, 4);
  EXPECT_TRUE(s[0].params.passive);
  EXPECT_EQ(s[0].ttl, 64);
  EXPECT_EQ(s[0].max_hops, 2);
  EXPECT_EQ(s[0].port(), kMultihopControlPort);
}

}  // namespace
}  // namespace vigil::bfd
