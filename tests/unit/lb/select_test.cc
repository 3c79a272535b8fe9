#include "lb/select.h"

#include <gtest/gtest.h>

namespace vigil::lb {
namespace {

TEST(SelectBackendTest, AutoFollowsTheIpvsProcFile) {
  // The test's own source file stands in for an existing /proc/net/ip_vs.
  const std::string present = std::string(VIGIL_SOURCE_DIR) + "/tests/unit/lb/select_test.cc";
  const std::string absent = std::string(VIGIL_SOURCE_DIR) + "/no/such/ip_vs";
  EXPECT_EQ(SelectBackend("auto", present), BackendKind::kIpvs);
  EXPECT_EQ(SelectBackend("auto", absent), BackendKind::kNftables);
  EXPECT_EQ(SelectBackend("", absent), BackendKind::kNftables);
}

TEST(SelectBackendTest, ExplicitChoiceWins) {
  const std::string absent = std::string(VIGIL_SOURCE_DIR) + "/no/such/ip_vs";
  EXPECT_EQ(SelectBackend("ipvs", absent), BackendKind::kIpvs);
  EXPECT_EQ(SelectBackend("nftables", std::string(VIGIL_SOURCE_DIR)), BackendKind::kNftables);
}

TEST(SelectBackendTest, RejectsOtherWords) {
  auto r = SelectBackend("iptables", "/nonexistent");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().ToString(),
            "load balancer backend 'iptables' is not one of ipvs, nftables or auto");
  EXPECT_EQ(BackendKindName(BackendKind::kNftables), "nftables");
}

}  // namespace
}  // namespace vigil::lb
