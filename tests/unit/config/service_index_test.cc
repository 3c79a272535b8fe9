#include "config/service_index.h"

#include <gtest/gtest.h>

namespace vigil::config {
namespace {

model::VirtualServer ByAddress(const char* address, uint16_t port, model::Protocol protocol) {
  model::VirtualServer vs;
  vs.address = *model::IpAddress::Parse(address);
  vs.port = port;
  vs.protocol = protocol;
  return vs;
}

model::VirtualServer ByFwmark(uint32_t mark, model::Family family) {
  model::VirtualServer vs;
  vs.fwmark = mark;
  vs.family = family;
  return vs;
}

model::VirtualServer ByGroup(const char* name) {
  model::VirtualServer vs;
  vs.group = name;
  return vs;
}

TEST(ServiceIndexTest, FindsTheFirstVirtualServerOfTheSameService) {
  ServiceIndex index;
  index.Add(ByAddress("10.0.0.1", 80, model::Protocol::kTcp), 0);
  index.Add(ByFwmark(7, model::Family::kIpv4), 1);
  index.Add(ByGroup("web"), 2);
  index.Add(ByAddress("10.0.0.1", 80, model::Protocol::kTcp), 3);  // a repeat keeps 0
  EXPECT_EQ(index.Find(ByAddress("10.0.0.1", 80, model::Protocol::kTcp)), 0u);
  EXPECT_EQ(index.Find(ByFwmark(7, model::Family::kIpv4)), 1u);
  EXPECT_EQ(index.Find(ByGroup("web")), 2u);
}

TEST(ServiceIndexTest, AnotherPortProtocolFamilyOrGroupIsAnotherService) {
  ServiceIndex index;
  index.Add(ByAddress("10.0.0.1", 80, model::Protocol::kTcp), 0);
  index.Add(ByFwmark(7, model::Family::kIpv4), 1);
  index.Add(ByGroup("web"), 2);
  EXPECT_EQ(index.Find(ByAddress("10.0.0.1", 81, model::Protocol::kTcp)), std::nullopt);
  EXPECT_EQ(index.Find(ByAddress("10.0.0.1", 80, model::Protocol::kUdp)), std::nullopt);
  EXPECT_EQ(index.Find(ByAddress("10.0.0.2", 80, model::Protocol::kTcp)), std::nullopt);
  EXPECT_EQ(index.Find(ByFwmark(7, model::Family::kIpv6)), std::nullopt);
  EXPECT_EQ(index.Find(ByFwmark(8, model::Family::kIpv4)), std::nullopt);
  EXPECT_EQ(index.Find(ByGroup("mail")), std::nullopt);
}

}  // namespace
}  // namespace vigil::config
