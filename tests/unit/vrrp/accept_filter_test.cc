#include "vrrp/accept_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil::vrrp {
namespace {

model::IpAddress Ip(std::string_view text) { return *model::IpAddress::Parse(text); }

class RecordingRunner final : public net::NftRunner {
 public:
  explicit RecordingRunner(std::vector<std::string>* log) : log_(log) {}
  Result<std::string> Run(std::string_view commands, bool) override {
    log_->emplace_back(commands);
    return std::string();
  }

 private:
  std::vector<std::string>* log_;
};

TEST(AcceptFilterTest, TableDropsVipTrafficBothWaysAsKeepalivedDoes) {
  EXPECT_EQ(RenderAcceptTable("vigil_vrrp"),
            "add table inet vigil_vrrp\n"
            "delete table inet vigil_vrrp\n"
            "add table inet vigil_vrrp\n"
            "add set inet vigil_vrrp vips4 { type ipv4_addr; }\n"
            "add set inet vigil_vrrp vips6 { type ipv6_addr; }\n"
            "add chain inet vigil_vrrp in { type filter hook input priority filter - 1; policy accept; }\n"
            "add chain inet vigil_vrrp out { type filter hook output priority filter - 1; policy accept; }\n"
            "add rule inet vigil_vrrp in ip daddr @vips4 drop\n"
            "add rule inet vigil_vrrp in ip6 daddr @vips6 drop\n"
            "add rule inet vigil_vrrp out ip saddr @vips4 drop\n"
            "add rule inet vigil_vrrp out ip6 saddr @vips6 drop\n");
}

TEST(AcceptFilterTest, ChangesGoByFamilyRemovalsFirst) {
  EXPECT_EQ(RenderAcceptChange("vigil_vrrp", {Ip("10.0.0.2"), Ip("fd00::1"), Ip("10.0.0.1")}, {Ip("10.0.0.9")}),
            "delete element inet vigil_vrrp vips4 { 10.0.0.9 }\n"
            "add element inet vigil_vrrp vips4 { 10.0.0.1, 10.0.0.2 }\n"
            "add element inet vigil_vrrp vips6 { fd00::1 }\n");
  EXPECT_EQ(RenderAcceptChange("vigil_vrrp", {}, {}), "");
}

TEST(AcceptFilterTest, CreatesTheTableOnFirstNeedAndSendsOnlyDifferences) {
  std::vector<std::string> log;
  int made = 0;
  AcceptFilter f("vigil_vrrp", [&] {
    ++made;
    return std::make_unique<RecordingRunner>(&log);
  });
  ASSERT_TRUE(f.Sync({}));
  EXPECT_EQ(made, 0);  // nothing to filter: nftables is never touched
  ASSERT_TRUE(f.Sync({Ip("10.0.0.1")}));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], RenderAcceptTable("vigil_vrrp") + "add element inet vigil_vrrp vips4 { 10.0.0.1 }\n");
  ASSERT_TRUE(f.Sync({Ip("10.0.0.1")}));
  EXPECT_EQ(log.size(), 1u);
  ASSERT_TRUE(f.Sync({Ip("10.0.0.2")}));
  EXPECT_EQ(log[1], "delete element inet vigil_vrrp vips4 { 10.0.0.1 }\n"
                    "add element inet vigil_vrrp vips4 { 10.0.0.2 }\n");
  ASSERT_TRUE(f.Teardown());
  EXPECT_EQ(log[2], "delete table inet vigil_vrrp\n");
  EXPECT_EQ(made, 1);
  EXPECT_TRUE(f.filtered().empty());
}

TEST(AcceptFilterTest, EachDaemonInstanceHasATableOfItsOwn) {
  EXPECT_EQ(AcceptFilterTable(std::nullopt), "vigil_vrrp");
  EXPECT_EQ(AcceptFilterTable(std::string("lb-2")), "vigil_vrrp_lb-2");
  EXPECT_EQ(AcceptFilterTable(std::string("a b")), "vigil_vrrp_a_b");
  std::vector<std::string> log;
  AcceptFilter f(AcceptFilterTable(std::string("east")),
                 [&] { return std::make_unique<RecordingRunner>(&log); });
  ASSERT_TRUE(f.Sync({Ip("fd00::7")}));
  ASSERT_TRUE(f.Teardown());
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0], RenderAcceptTable("vigil_vrrp_east") +
                        "add element inet vigil_vrrp_east vips6 { fd00::7 }\n");
  EXPECT_EQ(log[1], "delete table inet vigil_vrrp_east\n");
}

}  // namespace
}  // namespace vigil::vrrp
