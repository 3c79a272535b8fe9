#include "net/sysctl.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "netns_helper.h"

namespace vigil::net {
namespace {

namespace fs = std::filesystem;

// A fake /proc/sys in a temporary directory.
class SysctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil_sysctl_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    for (const char* setting : {"arp_ignore", "arp_filter", "accept_local", "rp_filter",
                                "promote_secondaries"}) {
      Put(Ipv4ConfKey("eth0", setting), setting == std::string("rp_filter") ? "2\n" : "0\n");
      Put(Ipv4ConfKey("vrrp.5", setting), setting == std::string("rp_filter") ? "1\n" : "0\n");
    }
  }
  void TearDown() override { fs::remove_all(root_); }

  void Put(const std::string& key, const std::string& value) {
    fs::create_directories(fs::path(root_ + "/" + key).parent_path());
    std::ofstream(root_ + "/" + key) << value;
  }
  std::string Get(const std::string& key) {
    std::ifstream in(root_ + "/" + key);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string root_;
};

TEST_F(SysctlTest, KeyNamesFollowProcLayout) {
  EXPECT_EQ(Ipv4ConfKey("eth0", "arp_ignore"), "net/ipv4/conf/eth0/arp_ignore");
}

TEST_F(SysctlTest, ReadStripsNewlineAndWriteAddsOne) {
  Sysctl sysctl(root_);
  EXPECT_EQ(sysctl.Read("net/ipv4/conf/eth0/rp_filter").value(), "2");
  ASSERT_TRUE(sysctl.Write("net/ipv4/conf/eth0/rp_filter", "0").has_value());
  EXPECT_EQ(Get("net/ipv4/conf/eth0/rp_filter"), "0\n");
}

TEST_F(SysctlTest, MissingKeyIsNotFoundAndEscapesAreRejected) {
  Sysctl sysctl(root_);
  auto missing = sysctl.Read("net/ipv4/conf/nope/arp_ignore");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  for (const char* bad : {"../etc/passwd", "/etc/passwd", "net//x", "net/ipv4/", ""}) {
    auto r = sysctl.Write(bad, "1");
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST_F(SysctlTest, VmacSettingsAreAppliedAndRestoredInReverse) {
  Sysctl sysctl(root_);
  SysctlRestorer restorer(sysctl);
  ASSERT_TRUE(ConfigureVmacParent(restorer, "eth0").has_value());
  ASSERT_TRUE(ConfigureVmacInterface(restorer, "vrrp.5").has_value());
  EXPECT_EQ(Get("net/ipv4/conf/eth0/arp_ignore"), "1\n");
  EXPECT_EQ(Get("net/ipv4/conf/eth0/arp_filter"), "1\n");
  EXPECT_EQ(Get("net/ipv4/conf/eth0/rp_filter"), "2\n");  // parent keeps rp_filter
  EXPECT_EQ(Get("net/ipv4/conf/vrrp.5/arp_ignore"), "1\n");
  EXPECT_EQ(Get("net/ipv4/conf/vrrp.5/accept_local"), "1\n");
  EXPECT_EQ(Get("net/ipv4/conf/vrrp.5/rp_filter"), "0\n");
  EXPECT_EQ(Get("net/ipv4/conf/vrrp.5/promote_secondaries"), "1\n");
  using Saved = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(restorer.saved(), (Saved{{"net/ipv4/conf/eth0/arp_ignore", "0"},
                                     {"net/ipv4/conf/eth0/arp_filter", "0"},
                                     {"net/ipv4/conf/vrrp.5/arp_ignore", "0"},
                                     {"net/ipv4/conf/vrrp.5/accept_local", "0"},
                                     {"net/ipv4/conf/vrrp.5/rp_filter", "1"},
                                     {"net/ipv4/conf/vrrp.5/promote_secondaries", "0"}}));
  ASSERT_TRUE(restorer.Restore().has_value());
  EXPECT_EQ(Get("net/ipv4/conf/eth0/arp_ignore"), "0\n");
  EXPECT_EQ(Get("net/ipv4/conf/vrrp.5/rp_filter"), "1\n");
  EXPECT_TRUE(restorer.saved().empty());
}

TEST_F(SysctlTest, SecondSetKeepsTheOriginalValue) {
  Sysctl sysctl(root_);
  SysctlRestorer restorer(sysctl);
  ASSERT_TRUE(restorer.Set("net/ipv4/conf/eth0/rp_filter", "1").has_value());
  ASSERT_TRUE(restorer.Set("net/ipv4/conf/eth0/rp_filter", "0").has_value());
  ASSERT_EQ(restorer.saved().size(), 1u);
  EXPECT_EQ(restorer.saved()[0].second, "2");
  ASSERT_TRUE(restorer.Restore().has_value());
  EXPECT_EQ(Get("net/ipv4/conf/eth0/rp_filter"), "2\n");
}

TEST_F(SysctlTest, UnchangedValueIsNotRemembered) {
  Sysctl sysctl(root_);
  SysctlRestorer restorer(sysctl);
  ASSERT_TRUE(restorer.Set("net/ipv4/conf/eth0/rp_filter", "2").has_value());
  EXPECT_TRUE(restorer.saved().empty());
}

TEST(SysctlKernelTest, WritesRealDevconfInFreshNetns) {
  VIGIL_IN_FRESH_NETNS([]() -> std::string {
    Sysctl sysctl;
    SysctlRestorer restorer(sysctl);
    auto before = sysctl.Read(Ipv4ConfKey("lo", "arp_ignore"));
    if (!before) return "read: " + before.error().ToString();
    if (auto r = ConfigureVmacParent(restorer, "lo"); !r) return "set: " + r.error().ToString();
    if (sysctl.Read(Ipv4ConfKey("lo", "arp_ignore")).value_or("") != "1") return "not set";
    if (auto r = restorer.Restore(); !r) return "restore: " + r.error().ToString();
    if (sysctl.Read(Ipv4ConfKey("lo", "arp_ignore")).value_or("") != *before) return "not restored";
    return "";
  });
}

}  // namespace
}  // namespace vigil::net
