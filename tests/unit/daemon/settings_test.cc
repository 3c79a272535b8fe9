#include "daemon/settings.h"

#include <gtest/gtest.h>

namespace vigil::daemon {
namespace {

model::Config WithNamespace(std::optional<std::string> ns, std::optional<std::string> inst = {}) {
  model::Config c;
  c.net_namespace = std::move(ns);
  c.instance = std::move(inst);
  return c;
}

TEST(SettingsTest, FilesMoveIntoTheNamespaceDirectory) {
  model::Config plain;
  EXPECT_EQ(DefaultPidFile("", plain), "/run/vigild.pid");
  EXPECT_EQ(DefaultPidFile("vrrp", plain), "/run/vigild_vrrp.pid");
  EXPECT_EQ(ControlSocketPath(plain), "/run/vigild.ctl");

  model::Config blue = WithNamespace("blue");
  EXPECT_EQ(RunDirectory(blue), "/run/vigild/blue");
  EXPECT_EQ(DefaultPidFile("", blue), "/run/vigild/blue/vigild.pid");
  EXPECT_EQ(DefaultPidFile("check", blue), "/run/vigild/blue/vigild_check.pid");
  EXPECT_EQ(ControlSocketPath(blue), "/run/vigild/blue/vigild.ctl");

  model::Config blue2 = WithNamespace("blue", "two");
  EXPECT_EQ(DefaultPidFile("vrrp", blue2), "/run/vigild/blue/vigild_vrrp_two.pid");
  EXPECT_EQ(ControlSocketPath(blue2), "/run/vigild/blue/vigild_two.ctl");

  model::Config dir;
  dir.use_pid_dir = true;
  EXPECT_EQ(DefaultPidFile("", dir), "/run/vigild/vigild.pid");
  EXPECT_EQ(DefaultPidFile("check", dir), "/run/vigild/vigild_check.pid");
  EXPECT_EQ(ControlSocketPath(dir), "/run/vigild.ctl");

  // As keepalived: an instance implies use_pid_dir.
  model::Config two = WithNamespace(std::nullopt, "two");
  EXPECT_EQ(RunDirectory(two), "/run/vigild");
  EXPECT_EQ(DefaultPidFile("vrrp", two), "/run/vigild/vigild_vrrp_two.pid");
  EXPECT_EQ(ControlSocketPath(two), "/run/vigild/vigild_two.ctl");
}

// keepalived's open_dump_file rule, applied to each dump.
TEST(SettingsTest, DumpPathFollowsKeepalivedsRule) {
  model::Config c;
  const std::optional<std::string> none;
  EXPECT_EQ(DumpPath(c, none, "keepalived.data", nullptr), "/tmp/keepalived.data");
  EXPECT_EQ(DumpPath(c, none, "keepalived.data", "relative"), "/tmp/keepalived.data");
  EXPECT_EQ(DumpPath(c, none, "keepalived.json", "/run/t"), "/run/t/keepalived.json");
  EXPECT_EQ(DumpPath(c, std::string("/var/lib/ka/state.txt"), "keepalived.data", "/run/t"),
            "/var/lib/ka/state.txt");
  EXPECT_EQ(DumpPath(c, std::string("/var/lib/ka/"), "keepalived.stats", "/run/t"),
            "/var/lib/ka/keepalived.stats");
  EXPECT_EQ(DumpPath(c, std::string("/top"), "keepalived.data", nullptr), "/top");
  // Not absolute: its last component, in the temporary directory.
  EXPECT_EQ(DumpPath(c, std::string("dumps/state"), "keepalived.data", "/run/t"), "/run/t/state");
  EXPECT_EQ(DumpPath(c, std::string("dumps/"), "keepalived.data", "/run/t"),
            "/run/t/keepalived.data");

  // data_use_instance: only with a namespace or an instance.
  c.global.data_use_instance = true;
  EXPECT_EQ(DumpPath(c, none, "keepalived.data", nullptr), "/tmp/keepalived.data");
  model::Config ns = WithNamespace("blue");
  ns.global.data_use_instance = true;
  EXPECT_EQ(DumpPath(ns, none, "keepalived.data", nullptr), "/tmp/keepalived.blue.data");
  model::Config both = WithNamespace("blue", "two");
  both.global.data_use_instance = true;
  EXPECT_EQ(DumpPath(both, none, "keepalived.json", nullptr), "/tmp/keepalived.blue_two.json");
  EXPECT_EQ(DumpPath(both, std::string("/d/st.a.te"), "keepalived.data", nullptr),
            "/d/st.a.blue_two.te");
  EXPECT_EQ(DumpPath(both, std::string("/d/state"), "keepalived.data", nullptr),
            "/d/state.blue_two");
  model::Config inst = WithNamespace(std::nullopt, "two");
  inst.global.data_use_instance = true;
  EXPECT_EQ(DumpPath(inst, none, "keepalived.stats", nullptr), "/tmp/keepalived.two.stats");
  inst.global.data_use_instance = false;
  EXPECT_EQ(DumpPath(inst, none, "keepalived.stats", nullptr), "/tmp/keepalived.stats");
}

TEST(SettingsTest, LogIdentNamesNamespaceAndInstance) {
  EXPECT_EQ(LogIdent("vigild", model::Config()), "vigild");
  EXPECT_EQ(LogIdent("vigild", WithNamespace("blue")), "vigild_blue");
  EXPECT_EQ(LogIdent("vigild-vrrp", WithNamespace("blue", "two")), "vigild-vrrp_blue_two");
  EXPECT_EQ(LogIdent("vigild", WithNamespace(std::nullopt, "two")), "vigild_two");
}

TEST(SettingsTest, ReloadMayNotMoveNamespaces) {
  model::Config a = WithNamespace("blue");
  EXPECT_EQ(UnreloadableChange(a, a), "");
  EXPECT_EQ(UnreloadableChange(a, WithNamespace("red")), "net_namespace");
  EXPECT_EQ(UnreloadableChange(a, model::Config()), "net_namespace");
  model::Config ipvs = a;
  ipvs.net_namespace_ipvs = "";
  EXPECT_EQ(UnreloadableChange(a, ipvs), "net_namespace_ipvs");
  EXPECT_EQ(UnreloadableChange(a, WithNamespace("blue", "two")), "instance");
  model::Config named = a, bare = a;
  named.global.nftables = "fw";
  bare.global.nftables = "";  // `nftables` alone: vigil's own table, as without the keyword
  EXPECT_EQ(UnreloadableChange(a, named), "nftables");
  EXPECT_EQ(UnreloadableChange(named, bare), "nftables");
  EXPECT_EQ(UnreloadableChange(a, bare), "");
  named.global.nftables_priority = 5;  // the engine keeps its tables as they are
  EXPECT_EQ(UnreloadableChange(a, a), "");
}

}  // namespace
}  // namespace vigil::daemon

namespace vigil::daemon {
namespace {

TEST(RenderDataDumpTest, ShowsAnInstancesDebugLevelAsKeepalivedWhenSet) {
  control::Status s;
  control::InstanceStatus a;
  a.name = "VI_1";
  a.debug = 3;
  control::InstanceStatus b;
  b.name = "VI_2";
  s.instances = {a, b};
  const std::string text = RenderDataDump(s);
  const auto vi1 = text.find(" VRRP instance = VI_1\n");
  const auto vi2 = text.find(" VRRP instance = VI_2\n");
  ASSERT_NE(vi1, std::string::npos);
  ASSERT_NE(vi2, std::string::npos);
  const auto debug = text.find("   Debug level = 3\n");
  EXPECT_TRUE(debug > vi1 && debug < vi2) << text;
  EXPECT_EQ(text.find("Debug level", vi2), std::string::npos) << text;
}

}  // namespace
}  // namespace vigil::daemon
