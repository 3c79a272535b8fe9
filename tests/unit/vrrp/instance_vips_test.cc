#include "vrrp/instance_vips.h"

#include <gtest/gtest.h>

namespace vigil::vrrp {
namespace {

VipSpec Vip(std::string_view address, std::string dev = "eth0") {
  VipSpec v;
  v.prefix = {*model::IpAddress::Parse(address), 32};
  v.dev = std::move(dev);
  return v;
}

TEST(VipsNotInTest, KeepsTheOrderOfTheFirstAndComparesDeviceAndPrefix) {
  const std::vector<VipSpec> before = {Vip("10.0.0.1"), Vip("10.0.0.2"), Vip("10.0.0.3")};
  const std::vector<VipSpec> after = {Vip("10.0.0.3"), Vip("10.0.0.2", "eth1"), Vip("10.0.0.4")};
  EXPECT_EQ(VipsNotIn(before, after), (std::vector<VipSpec>{Vip("10.0.0.1"), Vip("10.0.0.2")}));
  EXPECT_EQ(VipsNotIn(after, before),
            (std::vector<VipSpec>{Vip("10.0.0.2", "eth1"), Vip("10.0.0.4")}));
  EXPECT_TRUE(VipsNotIn(before, before).empty());
  EXPECT_EQ(VipsNotIn(before, {}), before);
}

}  // namespace
}  // namespace vigil::vrrp
