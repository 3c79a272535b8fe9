#include "check/announce.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include <gtest/gtest.h>

#include "net/rtnetlink.h"

namespace vigil::check {
namespace {

using model::IpAddress;
using Bytes = std::vector<std::uint8_t>;

IpAddress A(const char* text) { return *IpAddress::Parse(text); }

AnnounceSource Source(std::vector<const char*> addresses, bool up,
                      std::optional<std::string> with = std::nullopt) {
  AnnounceSource s;
  for (const char* a : addresses) s.addresses.push_back(A(a));
  s.up = up;
  s.with = std::move(with);
  return s;
}

TEST(AnnounceDecisionTest, AnAddressIsAnnouncedWhileOneOfItsServicesIsUp) {
  // 10.0.0.1 has two services (:80 up, :443 down); 10.0.0.2's only service is down.
  std::vector<AnnounceSource> s = {Source({"10.0.0.1"}, true), Source({"10.0.0.1"}, false),
                                   Source({"10.0.0.2"}, false), Source({"fd00::1"}, true)};
  EXPECT_EQ(DesiredAnnouncements(s, {}, false), (std::set<IpAddress>{A("10.0.0.1"), A("fd00::1")}));
  s[0].up = false;
  EXPECT_EQ(DesiredAnnouncements(s, {}, false), (std::set<IpAddress>{A("fd00::1")}));
}

TEST(AnnounceDecisionTest, MaintenanceAnnouncesNothing) {
  std::vector<AnnounceSource> s = {Source({"10.0.0.1"}, true), Source({"10.0.0.2"}, true, "VI_1")};
  EXPECT_TRUE(DesiredAnnouncements(s, {"VI_1"}, true).empty());
  EXPECT_EQ(DesiredAnnouncements(s, {"VI_1"}, false).size(), 2u);
}

TEST(AnnounceDecisionTest, AnnounceWithNeedsTheInstanceMasterAndTheServiceUp) {
  std::vector<AnnounceSource> s = {Source({"10.0.0.1"}, true, "VI_1")};
  // services up × instance states: only up and MASTER announces.
  EXPECT_TRUE(DesiredAnnouncements(s, {}, false).empty());
  EXPECT_TRUE(DesiredAnnouncements(s, {"VI_2"}, false).empty());
  EXPECT_EQ(DesiredAnnouncements(s, {"VI_1"}, false), (std::set<IpAddress>{A("10.0.0.1")}));
  s[0].up = false;
  EXPECT_TRUE(DesiredAnnouncements(s, {"VI_1"}, false).empty());
  // Another service of the same address without the tie still announces it.
  s.push_back(Source({"10.0.0.1"}, true));
  EXPECT_EQ(DesiredAnnouncements(s, {}, false), (std::set<IpAddress>{A("10.0.0.1")}));
}

TEST(AnnounceDecisionTest, DiffWithdrawsAndAnnouncesTheDifferenceOnly) {
  auto d = DiffAnnouncements({A("10.0.0.1"), A("10.0.0.2")}, {A("10.0.0.2"), A("10.0.0.3")});
  EXPECT_EQ(d.withdraw, (std::vector<IpAddress>{A("10.0.0.1")}));
  EXPECT_EQ(d.announce, (std::vector<IpAddress>{A("10.0.0.3")}));
  EXPECT_TRUE(DiffAnnouncements({A("10.0.0.1")}, {A("10.0.0.1")}).empty());
}

TEST(AnnounceAddressesTest, AddressGroupRangeAndFwmark) {
  model::VirtualServer vs;
  vs.address = A("10.0.0.9");
  EXPECT_EQ(AnnounceAddresses(vs, {}), (std::vector<IpAddress>{A("10.0.0.9")}));

  model::VirtualServerGroup g;
  g.name = "G";
  model::VsgEntry one;
  one.address = A("10.0.1.5");
  model::VsgEntry range;
  range.address = A("10.0.1.1");
  range.range_end = A("10.0.1.3");
  model::VsgEntry again;  // the same address on another port: once
  again.address = A("10.0.1.2");
  again.port = 443;
  model::VsgEntry mark;
  mark.fwmark = 7;
  model::VsgEntry v6;
  v6.address = A("fd00::ff");
  v6.range_end = A("fd00::101");
  g.entries = {one, range, again, mark, v6};
  model::VirtualServer gvs;
  gvs.group = "G";
  EXPECT_EQ(AnnounceAddresses(gvs, {g}),
            (std::vector<IpAddress>{A("10.0.1.1"), A("10.0.1.2"), A("10.0.1.3"), A("10.0.1.5"),
                                    A("fd00::ff"), A("fd00::100"), A("fd00::101")}));
  // A range is cut at max_range addresses.
  EXPECT_EQ(AnnounceAddresses(gvs, {g}, 2).size(), 2u + 1u + 2u);

  model::VirtualServer fw;
  fw.fwmark = 3;
  EXPECT_TRUE(AnnounceAddresses(fw, {g}).empty());
}

// A transport that records requests, answers dumps from `replies` and fails the requests
// whose index is in `errors`.
class RecordingTransport : public net::NetlinkTransport {
 public:
  Result<void> Transact(std::span<const std::uint8_t> request,
                        const net::NetlinkReplyHandler& on_reply) override {
    const std::size_t i = requests.size();
    requests.emplace_back(request.begin(), request.end());
    const auto* h = reinterpret_cast<const nlmsghdr*>(request.data());
    if (h->nlmsg_type == RTM_GETROUTE)
      for (const Bytes& r : replies) on_reply(*reinterpret_cast<const nlmsghdr*>(r.data()));
    if (auto e = errors.find(i); e != errors.end())
      return std::unexpected(Error::FromErrno(e->second, "fake"));
    return {};
  }
  std::vector<Bytes> requests;
  std::vector<Bytes> replies;
  std::map<std::size_t, int> errors;
};

net::RouteSpec Blackhole(const char* dst, std::uint32_t table) {
  net::RouteSpec spec;
  spec.dst = net::RawAddress::Parse(dst);
  spec.family = spec.dst->family;
  spec.dst_len = spec.family == AF_INET ? 32 : 128;
  spec.table = table;
  spec.protocol = kAnnounceProtocol;
  spec.type = RTN_BLACKHOLE;
  spec.scope = RT_SCOPE_UNIVERSE;
  return spec;
}

TEST(RouteAnnouncerTest, ApplyAddsAndDeletesBlackholeHostRoutesInItsTable) {
  RecordingTransport fake;
  net::Rtnetlink rt(fake);
  RouteAnnouncer ann(rt, 100);
  ASSERT_TRUE(ann.Apply({A("10.0.0.1"), A("fd00::1")}));
  ASSERT_EQ(fake.requests.size(), 2u);
  EXPECT_EQ(fake.requests[0], net::BuildRouteRequest(net::ChangeOp::kAdd, Blackhole("10.0.0.1", 100)));
  EXPECT_EQ(fake.requests[1], net::BuildRouteRequest(net::ChangeOp::kAdd, Blackhole("fd00::1", 100)));
  // The exact bytes of the first: RTM_NEWROUTE, inet /32, table 100, protocol 86,
  // universe scope, blackhole; RTA_TABLE 100, RTA_DST 10.0.0.1.
  const Bytes want = {
      44, 0, 0, 0, 24, 0, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0,
      2, 32, 0, 0, 100, 86, 0, RTN_BLACKHOLE, 0, 0, 0, 0,
      8, 0, RTA_TABLE, 0, 100, 0, 0, 0,
      8, 0, RTA_DST, 0, 10, 0, 0, 1,
  };
  EXPECT_EQ(fake.requests[0], want);
  EXPECT_EQ(ann.installed(), (std::set<IpAddress>{A("10.0.0.1"), A("fd00::1")}));

  ASSERT_TRUE(ann.Apply({A("fd00::1")}));
  ASSERT_EQ(fake.requests.size(), 3u);
  EXPECT_EQ(fake.requests[2], net::BuildRouteRequest(net::ChangeOp::kDelete, Blackhole("10.0.0.1", 100)));
  ASSERT_TRUE(ann.Apply({A("fd00::1")}));  // nothing to do
  EXPECT_EQ(fake.requests.size(), 3u);
}

TEST(RouteAnnouncerTest, AFailedChangeIsTriedAgainAndAGoneRouteCountsAsWithdrawn) {
  RecordingTransport fake;
  net::Rtnetlink rt(fake);
  RouteAnnouncer ann(rt, 7);
  fake.errors = {{0, ENETUNREACH}};
  auto r = ann.Apply({A("10.0.0.1"), A("10.0.0.2")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().rfind("announcing 10.0.0.1 in table 7: ", 0), 0u) << r.error().context();
  EXPECT_EQ(ann.installed(), (std::set<IpAddress>{A("10.0.0.2")}));
  fake.errors = {{2, EEXIST}};  // someone added it meanwhile: announced all the same
  ASSERT_TRUE(ann.Apply({A("10.0.0.1"), A("10.0.0.2")}));
  EXPECT_EQ(ann.installed().size(), 2u);
  fake.errors = {{3, ESRCH}};  // someone deleted it: withdrawn all the same
  ASSERT_TRUE(ann.Apply({A("10.0.0.2")}));
  EXPECT_EQ(ann.installed(), (std::set<IpAddress>{A("10.0.0.2")}));
}

TEST(RouteAnnouncerTest, FlushDeletesOnlyVigilsRoutesOfItsTable) {
  RecordingTransport fake;
  auto reply = [](net::RouteSpec spec) {
    Bytes b = net::BuildRouteRequest(net::ChangeOp::kAdd, spec);
    return b;
  };
  net::RouteSpec ours = Blackhole("10.0.0.1", 100);
  net::RouteSpec ours6 = Blackhole("fd00::1", 100);
  net::RouteSpec other_table = Blackhole("10.0.0.2", 101);
  net::RouteSpec other_proto = Blackhole("10.0.0.3", 100);
  other_proto.protocol = RTPROT_STATIC;
  fake.replies = {reply(ours), reply(other_table), reply(other_proto), reply(ours6)};
  net::Rtnetlink rt(fake);
  RouteAnnouncer ann(rt, 100);
  auto n = ann.Flush();
  ASSERT_TRUE(n) << n.error().ToString();
  EXPECT_EQ(*n, 2);
  ASSERT_EQ(fake.requests.size(), 3u);
  EXPECT_EQ(fake.requests[0], net::BuildRouteDump(AF_UNSPEC));
  net::RouteSpec del = ours;
  del.scope.reset();
  EXPECT_EQ(fake.requests[1], net::BuildRouteRequest(net::ChangeOp::kDelete, del));
  del = ours6;
  del.scope.reset();
  EXPECT_EQ(fake.requests[2], net::BuildRouteRequest(net::ChangeOp::kDelete, del));
}

}  // namespace
}  // namespace vigil::check
