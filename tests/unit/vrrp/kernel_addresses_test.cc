#include "vrrp/kernel_addresses.h"

#include <cerrno>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::vrrp {
namespace {

using Bytes = std::vector<uint8_t>;

// Records every request; answers each with `errors` in turn (0: success), then success.
class RecordingTransport : public net::NetlinkTransport {
 public:
  Result<void> Transact(std::span<const uint8_t> request,
                        const net::NetlinkReplyHandler&) override {
    requests.emplace_back(request.begin(), request.end());
    int e = next < errors.size() ? errors[next] : 0;
    ++next;
    if (e != 0) return std::unexpected(Error::FromErrno(e, "fake"));
    return {};
  }
  std::vector<Bytes> requests;
  std::vector<int> errors;
  size_t next = 0;
};

VipSpec Vip(std::string_view prefix, std::string dev = "eth0") {
  VipSpec v;
  v.prefix = *model::IpPrefix::Parse(prefix);
  v.dev = std::move(dev);
  return v;
}

IfindexLookup Lookup() {
  return [](const std::string& name) { return name == "eth0" ? 3 : 0; };
}

TEST(KernelAddressesTest, AddressForCarriesScopeLabelAndBroadcast) {
  VipSpec v = Vip("192.0.2.10/24");
  v.scope = "link";
  v.label = "eth0:vip";
  v.broadcast = *model::IpAddress::Parse("192.0.2.255");
  net::AddressSpec a = AddressFor(v, 3);
  EXPECT_EQ(a.ifindex, 3);
  EXPECT_EQ(a.address, ToRaw(*model::IpAddress::Parse("192.0.2.10")));
  EXPECT_EQ(a.prefix_len, 24);
  EXPECT_EQ(a.scope, RT_SCOPE_LINK);
  EXPECT_EQ(a.label, "eth0:vip");
  EXPECT_EQ(a.broadcast, ToRaw(*model::IpAddress::Parse("192.0.2.255")));
  v.scope = "200";
  EXPECT_EQ(AddressFor(v, 3).scope, 200);
}

TEST(KernelAddressesTest, VipsAreAddedAndRemovedWithExactRequests) {
  RecordingTransport t;
  net::Rtnetlink rtnl(t);
  KernelAddresses k(rtnl);
  const VipSpec v = Vip("192.0.2.10/24");
  t.errors = {EEXIST, 0, EADDRNOTAVAIL};
  k.AddVip("VI_1", v, 3);                   // already there: fine
  EXPECT_TRUE(k.RemoveVip("VI_1", v, 3));   // removed
  EXPECT_FALSE(k.RemoveVip("VI_1", v, 3));  // already gone
  ASSERT_EQ(t.requests.size(), 3u);
  EXPECT_EQ(t.requests[0], net::BuildAddressRequest(net::ChangeOp::kAdd, AddressFor(v, 3)));
  EXPECT_EQ(t.requests[1], net::BuildAddressRequest(net::ChangeOp::kDelete, AddressFor(v, 3)));
}

TEST(KernelAddressesTest, RemovesExactlyTheRoutesAndRulesItAddedRulesFirst) {
  RecordingTransport t;
  net::Rtnetlink rtnl(t);
  KernelAddresses k(rtnl);
  const std::vector<std::vector<std::string>> routes = {
      {"10.1.0.0/16", "via", "192.0.2.1"},       // added
      {"10.2.0.0/16", "dev", "eth0"},            // there already (EEXIST): counts as added
      {"10.3.0.0/16", "via", "192.0.2.1"},       // refused (EPERM): not remembered
      {"10.4.0.0/16", "via", "192.0.2.1", "bogus"}};  // unreadable: never sent
  const std::vector<std::vector<std::string>> rules = {{"from", "192.0.2.10", "table", "100"}};
  t.errors = {0, EEXIST, EPERM, 0};
  k.AddRoutes("VI_1", routes, rules, "eth0", Lookup());
  ASSERT_EQ(t.requests.size(), 4u);
  auto r1 = ParseRoute(routes[0], "eth0", Lookup());
  auto r2 = ParseRoute(routes[1], "eth0", Lookup());
  auto rule = ParseRule(rules[0]);
  ASSERT_TRUE(r1 && r2 && rule);
  EXPECT_EQ(t.requests[0], net::BuildRouteRequest(net::ChangeOp::kAdd, *r1));
  EXPECT_EQ(t.requests[3], net::BuildRuleRequest(net::ChangeOp::kAdd, *rule));

  t.requests.clear();
  k.RemoveRoutes("other");  // another owner: nothing
  EXPECT_TRUE(t.requests.empty());
  k.RemoveRoutes("VI_1");
  EXPECT_EQ(t.requests, (std::vector<Bytes>{net::BuildRuleRequest(net::ChangeOp::kDelete, *rule),
                                            net::BuildRouteRequest(net::ChangeOp::kDelete, *r1),
                                            net::BuildRouteRequest(net::ChangeOp::kDelete, *r2)}));
  t.requests.clear();
  k.RemoveRoutes("VI_1");  // once only
  EXPECT_TRUE(t.requests.empty());
}

TEST(KernelAddressesTest, StaticAddressesOnMissingInterfacesAreSkipped) {
  RecordingTransport t;
  net::Rtnetlink rtnl(t);
  KernelAddresses k(rtnl);
  const VipSpec here = Vip("198.51.100.1/24");
  k.AddStaticAddresses({here, Vip("198.51.100.2/24", "eth9")}, Lookup());
  ASSERT_EQ(t.requests.size(), 1u);
  t.requests.clear();
  k.RemoveStaticAddresses();
  EXPECT_EQ(t.requests,
            (std::vector<Bytes>{net::BuildAddressRequest(net::ChangeOp::kDelete, AddressFor(here, 3))}));
}


TEST(KernelAddressesTest, VipsOnMissingInterfacesAreSkippedAndKeptOnesStayThroughAReload) {
  RecordingTransport t;
  net::Rtnetlink rtnl(t);
  KernelAddresses k(rtnl);
  const VipSpec a = Vip("192.0.2.10/24"), b = Vip("192.0.2.11/24");
  const VipSpec gone = Vip("192.0.2.12/24", "eth9");
  k.AddVips("VI_1", std::vector<VipSpec>{a, b, gone}, Lookup());
  EXPECT_EQ(t.requests, (std::vector<Bytes>{
                            net::BuildAddressRequest(net::ChangeOp::kAdd, AddressFor(a, 3)),
                            net::BuildAddressRequest(net::ChangeOp::kAdd, AddressFor(b, 3))}));
  t.requests.clear();
  // A reload whose masters hold `b` afterwards: only `a` goes.
  k.KeepThroughReload({VipKey(b)});
  k.RemoveVips("VI_1", std::vector<VipSpec>{a, b, gone}, Lookup());
  EXPECT_EQ(t.requests, (std::vector<Bytes>{
                            net::BuildAddressRequest(net::ChangeOp::kDelete, AddressFor(a, 3))}));
  t.requests.clear();
  k.KeepThroughReload({});
  k.RemoveVips("VI_1", std::vector<VipSpec>{b}, Lookup());
  EXPECT_EQ(t.requests, (std::vector<Bytes>{
                            net::BuildAddressRequest(net::ChangeOp::kDelete, AddressFor(b, 3))}));
  EXPECT_EQ(VipKey(b), "192.0.2.11/24%eth0");
}
}  // namespace
}  // namespace vigil::vrrp
