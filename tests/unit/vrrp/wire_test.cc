// Several StateMachines exchanging real adverts (encoded, "sent", validated, decoded)
// through an in-memory wire with a fixed latency, driven by a simulated clock.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vrrp/packet.h"
#include "vrrp/state_machine.h"

namespace vigil::vrrp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

model::IpAddress Ip(std::string_view text) { return *model::IpAddress::Parse(text); }

constexpr TimePoint kT0 = TimePoint{} + seconds(1000);

struct Router {
  std::string name;
  Params params;
  std::unique_ptr<StateMachine> sm;
  std::optional<TimePoint> timer;
  bool alive = false;
  bool vips = false;
  uint16_t ip_id = 0;
  std::vector<model::IpAddress> virtual_addresses;
  // "NAME STATE@microseconds" for every state change.
  std::vector<std::string> transitions;
  std::map<std::string, int> rejects;
};

class Wire {
 public:
  explicit Wire(microseconds latency) : latency_(latency) {}

  // Adds a router; it stays off the wire until Start().
  Router& Add(std::string name, uint8_t priority, std::string_view address, Params base) {
    auto r = std::make_unique<Router>();
    r->name = std::move(name);
    r->params = base;
    r->params.priority = priority;
    r->params.primary_address = Ip(address);
    r->virtual_addresses = {base.primary_address.is_v6() ? Ip("fe80::100") : Ip("10.0.0.100")};
    routers_.push_back(std::move(r));
    return *routers_.back();
  }

  // Starts (or restarts, with a fresh state machine) `r` at `t`.
  void Start(Router& r, microseconds t) {
    RunUntil(t);
    r.sm = std::make_unique<StateMachine>(r.params);
    r.alive = true;
    r.timer.reset();
    r.vips = false;
    Apply(r, r.sm->Handle(Startup{}, kT0 + t));
  }

  // Kills `r` at `t` without a word: no priority-0 advert, it hears nothing.
  void Crash(Router& r, microseconds t) {
    RunUntil(t);
    r.alive = false;
    r.timer.reset();
  }

  // Delivers `event` to `r` at `t`.
  void Send(Router& r, microseconds t, const Event& event) {
    RunUntil(t);
    Apply(r, r.sm->Handle(event, kT0 + t));
  }

  // Processes every delivery and timer due up to `t` (deliveries first at equal times).
  void RunUntil(microseconds t) {
    const TimePoint end = kT0 + t;
    while (true) {
      std::optional<TimePoint> next;
      if (!in_flight_.empty()) next = in_flight_.begin()->first.first;
      for (auto& r : routers_) {
        if (r->alive && r->timer && (!next || *r->timer < *next)) next = r->timer;
      }
      if (!next || *next > end) break;
      now_ = *next;
      if (!in_flight_.empty() && in_flight_.begin()->first.first == now_) {
        auto node = in_flight_.extract(in_flight_.begin());
        Deliver(*node.mapped().first, node.mapped().second);
        continue;
      }
      for (auto& r : routers_) {
        if (r->alive && r->timer && *r->timer == now_) {
          r->timer.reset();
          Apply(*r, r->sm->Handle(TimerExpired{}, now_));
          break;
        }
      }
    }
    now_ = end;
  }

  // Returns the names of the routers holding the VIPs.
  std::vector<std::string> VipHolders() const {
    std::vector<std::string> out;
    for (const auto& r : routers_) {
      if (r->alive && r->vips) out.push_back(r->name);
    }
    return out;
  }

 private:
  static std::string Stamp(const std::string& state, TimePoint t) {
    return state + "@" + std::to_string(std::chrono::duration_cast<microseconds>(t - kT0).count());
  }

  void Apply(Router& r, const std::vector<Action>& actions) {
    for (const Action& a : actions) {
      if (const auto* s = std::get_if<SendAdvert>(&a)) {
        Transmit(r, s->priority);
      } else if (std::get_if<BecomeMaster>(&a)) {
        r.transitions.push_back(Stamp("MASTER", now_));
      } else if (std::get_if<BecomeBackup>(&a)) {
        r.transitions.push_back(Stamp("BACKUP", now_));
      } else if (std::get_if<EnterFault>(&a)) {
        r.transitions.push_back(Stamp("FAULT", now_));
      } else if (std::get_if<AddVips>(&a)) {
        r.vips = true;
      } else if (std::get_if<RemoveVips>(&a)) {
        r.vips = false;
      } else if (const auto* t = std::get_if<SetTimer>(&a)) {
        r.timer = t->deadline;
      } else if (std::get_if<CancelTimer>(&a)) {
        r.timer.reset();
      }
    }
  }

  void Transmit(Router& from, uint8_t priority) {
    Advert advert;
    advert.version = from.params.version;
    advert.vrid = from.params.vrid;
    advert.priority = priority;
    advert.interval = IntervalField(from.params.version, from.params.advert_interval);
    advert.addresses = from.virtual_addresses;
    const model::IpAddress& src = from.params.primary_address;
    std::vector<uint8_t> bytes;
    if (src.is_v4()) {
      Ipv4Fields ip;
      ip.src = src;
      ip.dst = Ipv4MulticastGroup();
      from.ip_id = NextIpv4Id(from.ip_id);
      ip.id = from.ip_id;
      bytes = *EncodeIpv4Packet(advert, ip);
    } else {
      bytes = *EncodeVrrp(advert, src, Ipv6MulticastGroup());
    }
    for (auto& r : routers_) {
      if (r.get() == &from) continue;
      in_flight_.emplace(std::make_pair(now_ + latency_, seq_++),
                         std::make_pair(r.get(), std::make_pair(src, bytes)));
    }
  }

  void Deliver(Router& to, const std::pair<model::IpAddress, std::vector<uint8_t>>& packet) {
    if (!to.alive) return;
    ReceivedPacket rx;
    rx.bytes = packet.second;
    rx.family = to.params.primary_address.family();
    if (rx.family == model::Family::kIpv6) {
      rx.source = packet.first;
      rx.destination = Ipv6MulticastGroup();
      rx.hop_limit = 255;
    }
    Expectation e;
    e.family = rx.family;
    e.version = to.params.version;
    e.vrid = to.params.vrid;
    e.interval = IntervalField(to.params.version, to.params.advert_interval);
    e.virtual_addresses = to.virtual_addresses;
    e.verify_ipv6_checksum = true;
    e.check_addresses = to.sm->ShouldCheckAdvertAddresses(packet.first);
    auto valid = ValidateAdvert(rx, e);
    if (!valid) {
      ++to.rejects[std::string(RejectReasonName(valid.error()))];
      return;
    }
    AdvertReceived ev;
    ev.source = valid->source;
    ev.priority = valid->advert.priority;
    ev.interval = IntervalDuration(valid->advert.version, valid->advert.interval);
    Apply(to, to.sm->Handle(ev, now_));
  }

  using Packet = std::pair<model::IpAddress, std::vector<uint8_t>>;
  microseconds latency_;
  TimePoint now_ = kT0;
  uint64_t seq_ = 0;
  std::vector<std::unique_ptr<Router>> routers_;
  std::map<std::pair<TimePoint, uint64_t>, std::pair<Router*, Packet>> in_flight_;
};

Params V2Params() {
  Params p;
  p.vrid = 51;
  p.version = Version::kV2;
  p.advert_interval = seconds(1);
  p.primary_address = Ip("10.0.0.1");
  return p;
}

class WireTest : public ::testing::Test {
 protected:
  WireTest()
      : wire_(milliseconds(1)),
        a_(wire_.Add("A", 100, "10.0.0.1", V2Params())),
        b_(wire_.Add("B", 200, "10.0.0.2", V2Params())),
        c_(wire_.Add("C", 150, "10.0.0.3", V2Params())) {}

  void StartAll() {
    wire_.Start(a_, microseconds(0));
    wire_.Start(b_, microseconds(0));
    wire_.Start(c_, microseconds(0));
  }

  Wire wire_;
  Router& a_;
  Router& b_;
  Router& c_;
};

TEST_F(WireTest, ElectionPicksHighestPriority) {
  StartAll();
  wire_.RunUntil(seconds(20));
  // B's down timer is the shortest: 3 s + (256-200)/256 s.
  EXPECT_EQ(b_.transitions, (std::vector<std::string>{"BACKUP@0", "MASTER@3218750"}));
  EXPECT_EQ(a_.transitions, std::vector<std::string>{"BACKUP@0"});
  EXPECT_EQ(c_.transitions, std::vector<std::string>{"BACKUP@0"});
  EXPECT_EQ(wire_.VipHolders(), std::vector<std::string>{"B"});
  EXPECT_TRUE(a_.rejects.empty());
}

TEST_F(WireTest, FailoverOnSilenceGoesToNextHighestPriority) {
  StartAll();
  wire_.Crash(b_, seconds(20));
  wire_.RunUntil(seconds(30));
  // B's last advert left at 19.21875 s and arrived at 19.21975 s; C's down timer is
  // 3 s + 106/256 s (414062 us).
  EXPECT_EQ(c_.transitions, (std::vector<std::string>{"BACKUP@0", "MASTER@22633812"}));
  EXPECT_EQ(a_.transitions, std::vector<std::string>{"BACKUP@0"});
  EXPECT_EQ(wire_.VipHolders(), std::vector<std::string>{"C"});
}

TEST_F(WireTest, ReturningHigherPriorityRouterPreempts) {
  StartAll();
  wire_.Crash(b_, seconds(20));
  wire_.Start(b_, seconds(30));
  wire_.RunUntil(seconds(40));
  // B ignores C's lower-priority adverts and takes over when its down timer runs out;
  // C yields on hearing B one latency later.
  EXPECT_EQ(b_.transitions.back(), "MASTER@33218750");
  EXPECT_EQ(c_.transitions.back(), "BACKUP@33219750");
  EXPECT_EQ(wire_.VipHolders(), std::vector<std::string>{"B"});
}

TEST_F(WireTest, PriorityZeroGivesFastTakeover) {
  StartAll();
  wire_.Send(b_, seconds(10), Shutdown{});
  wire_.RunUntil(seconds(20));
  // C hears the priority-0 advert at 10.001 s and waits only its skew (414062 us);
  // A's skew is longer and C's advert reaches A first.
  EXPECT_EQ(c_.transitions.back(), "MASTER@10415062");
  EXPECT_EQ(a_.transitions, std::vector<std::string>{"BACKUP@0"});
  EXPECT_EQ(wire_.VipHolders(), std::vector<std::string>{"C"});
}

TEST_F(WireTest, FaultOnMasterHandsOverLikeShutdown) {
  StartAll();
  wire_.Send(b_, seconds(10), Fault{true});
  wire_.RunUntil(seconds(20));
  EXPECT_EQ(b_.transitions.back(), "FAULT@10000000");
  EXPECT_EQ(c_.transitions.back(), "MASTER@10415062");
  wire_.Send(b_, seconds(20), Fault{false});
  wire_.RunUntil(seconds(30));
  // Back as BACKUP, then preempts C after its full down timer.
  EXPECT_EQ(b_.transitions,
            (std::vector<std::string>{"BACKUP@0", "MASTER@3218750", "FAULT@10000000",
                                      "BACKUP@20000000", "MASTER@23218750"}));
  EXPECT_EQ(wire_.VipHolders(), std::vector<std::string>{"B"});
}

TEST_F(WireTest, NopreemptKeepsCurrentMaster) {
  wire_.Start(a_, microseconds(0));
  wire_.Start(c_, microseconds(0));
  wire_.RunUntil(seconds(10));
  ASSERT_EQ(wire_.VipHolders(), std::vector<std::string>{"C"});
  b_.params.nopreempt = true;
  wire_.Start(b_, seconds(10));
  wire_.RunUntil(seconds(30));
  EXPECT_EQ(b_.transitions, std::vector<std::string>{"BACKUP@10000000"});
  EXPECT_EQ(wire_.VipHolders(), std::vector<std::string>{"C"});
}

TEST(WireTieTest, EqualPriorityHigherAddressWins) {
  Wire wire(milliseconds(1));
  Router& low = wire.Add("low", 100, "10.0.0.1", V2Params());
  Router& high = wire.Add("high", 100, "10.0.0.2", V2Params());
  wire.Start(low, microseconds(0));
  wire.Start(high, microseconds(0));
  wire.RunUntil(seconds(10));
  // Both time out together and become master; the lower address yields on hearing
  // the other.
  EXPECT_EQ(low.transitions,
            (std::vector<std::string>{"BACKUP@0", "MASTER@3609375", "BACKUP@3610375"}));
  EXPECT_EQ(high.transitions, (std::vector<std::string>{"BACKUP@0", "MASTER@3609375"}));
  EXPECT_EQ(wire.VipHolders(), std::vector<std::string>{"high"});
}

TEST(WireV3Test, FastV3Ipv6AdvertsElectAndFailOver) {
  Params p;
  p.vrid = 7;
  p.version = Version::kV3;
  p.advert_interval = milliseconds(100);
  p.primary_address = Ip("fe80::1");
  Wire wire(milliseconds(1));
  Router& a = wire.Add("A", 100, "fe80::1", p);
  Router& b = wire.Add("B", 200, "fe80::2", p);
  wire.Start(a, microseconds(0));
  wire.Start(b, microseconds(0));
  wire.RunUntil(seconds(1));
  // 3 x 0.1 s + 56 x 0.1 s / 256 = 0.321875 s
  EXPECT_EQ(b.transitions, (std::vector<std::string>{"BACKUP@0", "MASTER@321875"}));
  wire.Crash(b, seconds(1));
  wire.RunUntil(seconds(2));
  // B's last advert at 0.921875 s arrives at 0.922875 s; A waits 0.3 s + 60937 us.
  EXPECT_EQ(a.transitions, (std::vector<std::string>{"BACKUP@0", "MASTER@1283812"}));
  EXPECT_TRUE(a.rejects.empty());
}

}  // namespace
}  // namespace vigil::vrrp
