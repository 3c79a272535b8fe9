#include <gtest/gtest.h>

#include <tuple>

#include "config/build.h"
#include "tree_text.h"

namespace vigil::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::DiagLines;
using testing::TreeFromText;
using Strings = std::vector<std::string>;

// Builds `text`; only the builder's diagnostics go to `d` (the parser's are the
// parser tests' business).
model::Config BuildText(std::string_view text, Diagnostics& d) {
  Diagnostics parse;
  return Build(TreeFromText(text, parse), d);
}

TEST(BuildGlobalTest, DefaultsWhenEmpty) {
  Diagnostics d;
  auto cfg = BuildText("", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  const auto& g = cfg.global;
  EXPECT_FALSE(g.router_id);
  EXPECT_EQ(g.smtp_connect_timeout, seconds(30));
  EXPECT_EQ(g.vrrp_version, 2);
  EXPECT_EQ(g.vrrp_mcast_group4.ToString(), "224.0.0.18");
  EXPECT_EQ(g.vrrp_mcast_group6.ToString(), "ff02::12");
  EXPECT_EQ(g.vrrp_garp_master_delay, seconds(5));
  EXPECT_EQ(g.vrrp_garp_master_repeat, 5u);
  EXPECT_EQ(cfg.child_wait_time, seconds(5));
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);
}

TEST(BuildGlobalTest, NetNamespaces) {
  Diagnostics d;
  auto cfg = BuildText("net_namespace blue\nnet_namespace red\nnet_namespace_ipvs\n", d);
  EXPECT_EQ(DiagLines(d),
            Strings{"2:1: warning: net_namespace is already 'blue'; this one is ignored"});
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);  // keepalived: "Duplicate net_namespace"
  EXPECT_EQ(cfg.net_namespace, "blue");
  EXPECT_TRUE(SamePlace(cfg.net_namespace_loc, model::SourceRef{0, 1, 1}));
  EXPECT_EQ(cfg.net_namespace_ipvs, "");  // no name: the init namespace
  Diagnostics d2;
  auto named = BuildText("net_namespace_ipvs lb\n", d2);
  EXPECT_EQ(DiagLines(d2), Strings{});
  EXPECT_EQ(named.net_namespace, std::nullopt);
  EXPECT_EQ(named.net_namespace_ipvs, "lb");
  Diagnostics d3;
  auto bad = BuildText("net_namespace ../etc\n", d3);
  EXPECT_EQ(DiagLines(d3), Strings{"1:15: error: '../etc' is not a network namespace name (a "
                                   "name of ip netns)"});
  EXPECT_EQ(bad.net_namespace, std::nullopt);
}

TEST(BuildGlobalTest, DynamicInterfacesAndMonitorBuffer) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  dynamic_interfaces allow_if_changes
  vrrp_netlink_monitor_rcv_bufs 65536
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  EXPECT_TRUE(cfg.global.dynamic_interfaces);
  EXPECT_EQ(cfg.global.vrrp_netlink_monitor_rcv_bufs, (model::ReceiveBuffer{65536u, false}));
  Diagnostics d2;
  auto plain = BuildText("global_defs {\n  dynamic_interfaces\n}", d2);
  EXPECT_EQ(DiagLines(d2), Strings{});
  EXPECT_TRUE(plain.global.dynamic_interfaces);
  EXPECT_EQ(plain.global.vrrp_netlink_monitor_rcv_bufs, model::ReceiveBuffer{});
}

TEST(BuildGlobalTest, NetlinkReceiveBuffersAsKeepalivedReadsThem) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  vrrp_netlink_cmd_rcv_bufs 100
  vrrp_netlink_cmd_rcv_bufs_force
  vrrp_netlink_monitor_rcv_bufs 4294967295
  vrrp_netlink_monitor_rcv_bufs_force no
  process_monitor_rcv_bufs 0
  process_monitor_rcv_bufs_force true
  process_monitor_rcv_bufs 4294967296
  vrrp_netlink_cmd_rcv_bufs_force maybe
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"8:28: error: process_monitor_rcv_bufs 4294967296 is out of range 0..4294967295",
                     "9:35: error: vrrp_netlink_cmd_rcv_bufs_force: 'maybe' is not a valid boolean"}));
  EXPECT_EQ(cfg.global.vrrp_netlink_cmd_rcv_bufs, (model::ReceiveBuffer{100u, true}));
  EXPECT_EQ(cfg.global.vrrp_netlink_monitor_rcv_bufs, (model::ReceiveBuffer{4294967295u, false}));
  // 0 leaves the size unset, as keepalived.
  EXPECT_EQ(cfg.global.process_monitor_rcv_bufs, (model::ReceiveBuffer{std::nullopt, true}));
}

TEST(BuildGlobalTest, CoreKeywords) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  router_id LVS_1
  notification_email {
    a@example.org
    b@example.org
  }
  notification_email_from lvs@example.org
  smtp_server 192.0.2.5 2525
  smtp_connect_timeout 10
  enable_script_security
  script_user nobody nogroup
  vrrp_skip_check_adv_addr
  vrrp_strict off
  vrrp_garp_interval 0.001
  vrrp_gna_interval 0.5
  vrrp_mcast_group4 224.0.0.19
  lvs_sync_daemon eth1 VI_1 id 5
  vigil_metrics_listen 127.0.0.1:9650
}
instance one
use_pid_dir
child_wait_time 9)", d);
  // lvs_sync_daemon names an instance that does not exist: keepalived -t says nothing.
  EXPECT_EQ(DiagLines(d), (Strings{"17:3: warning: lvs_sync_daemon: vrrp_instance 'VI_1' is "
                                   "not defined; lvs_sync_daemon ignored"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);
  const auto& g = cfg.global;
  EXPECT_EQ(g.router_id, "LVS_1");
  EXPECT_EQ(g.notification_email, (Strings{"a@example.org", "b@example.org"}));
  EXPECT_EQ(g.notification_email_from, "lvs@example.org");
  EXPECT_EQ(g.smtp_server, "192.0.2.5");
  EXPECT_EQ(g.smtp_port, 2525);
  EXPECT_EQ(g.smtp_connect_timeout, seconds(10));
  EXPECT_TRUE(g.enable_script_security);
  EXPECT_EQ(g.script_user, "nobody");
  EXPECT_EQ(g.script_group, "nogroup");
  EXPECT_TRUE(g.vrrp_skip_check_adv_addr);
  EXPECT_FALSE(g.vrrp_strict);
  EXPECT_EQ(g.vrrp_garp_interval, milliseconds(1));
  EXPECT_EQ(g.vrrp_gna_interval, milliseconds(500));
  EXPECT_EQ(g.vrrp_mcast_group4.ToString(), "224.0.0.19");
  EXPECT_FALSE(g.lvs_sync_daemon);
  EXPECT_EQ(cfg.instance, "one");
  EXPECT_TRUE(cfg.use_pid_dir);
  EXPECT_EQ(cfg.child_wait_time, seconds(9));
}

// lvs_flush_on_stop [VS], as keepalived 2.2.7 reads it: no argument flushes the whole IPVS
// table, VS deletes the virtual servers only; any other word is refused (-t exits 5), and
// what follows VS is ignored.
TEST(BuildGlobalTest, LvsFlushOnStop) {
  using model::LvsFlushOnStop;
  const std::vector<std::tuple<std::string, LvsFlushOnStop, Strings>> cases = {
      {"", LvsFlushOnStop::kNone, {}},
      {"lvs_flush_on_stop", LvsFlushOnStop::kFull, {}},
      {"lvs_flush_on_stop VS", LvsFlushOnStop::kVs, {}},
      {"lvs_flush_onstop VS extra", LvsFlushOnStop::kVs, {}},
      {"lvs_flush_on_stop no", LvsFlushOnStop::kNone,
       {"2:21: error: Unknown lvs_flush_on_stop type no"}},
  };
  for (const auto& [text, want, diags] : cases) {
    Diagnostics d;
    auto cfg = BuildText("global_defs {\n  " + text + "\n}", d);
    EXPECT_EQ(cfg.global.lvs_flush_on_stop, want) << text;
    EXPECT_EQ(DiagLines(d), diags) << text;
    EXPECT_EQ(d.ExitCode(), diags.empty() ? CheckExit::kOk : CheckExit::kErrors) << text;
  }
}

TEST(BuildGlobalTest, LvsNetlinkReceiveBuffers) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  lvs_netlink_cmd_rcv_bufs 300000
  lvs_netlink_monitor_rcv_bufs 0
  lvs_netlink_monitor_rcv_bufs_force
  lvs_netlink_cmd_rcv_bufs_force off
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  EXPECT_EQ(cfg.global.lvs_netlink_cmd_rcv_bufs, (model::ReceiveBuffer{300000u, false}));
  EXPECT_EQ(cfg.global.lvs_netlink_monitor_rcv_bufs, (model::ReceiveBuffer{std::nullopt, true}));
}

TEST(BuildGlobalTest, RxBufsPolicyAsKeepalivedReadsIt) {
  // keepalived 2.2.7 -t: "Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring
  // ADVERT", "Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy", "Invalid
  // vrrp_rx_bufs_policy 4000" (it reads the size from the first argument), "Invalid
  // vrrp_rx_bufs_multiplier 0": exit 5 for each.
  auto policy = [](const std::string& line, Strings* diags = nullptr) {
    Diagnostics d;
    auto cfg = BuildText("global_defs {\n  " + line + "\n}", d);
    if (diags) *diags = DiagLines(d);
    return std::make_tuple(cfg.global.vrrp_rx_bufs_policy, cfg.global.vrrp_rx_bufs_size,
                           cfg.global.vrrp_rx_bufs_multiplier);
  };
  using P = model::RxBufsPolicy;
  Strings d;
  EXPECT_EQ(policy("vrrp_rx_bufs_policy mtu", &d), std::make_tuple(P::kMtu, 0u, 3u));
  EXPECT_EQ(d, Strings{});
  EXPECT_EQ(policy("vrrp_rx_bufs_policy ADVERT"), std::make_tuple(P::kAdvert, 0u, 3u));
  EXPECT_EQ(policy("vrrp_rx_bufs_policy 4096"), std::make_tuple(P::kSize, 4096u, 3u));
  EXPECT_EQ(policy("vrrp_rx_bufs_policy MTU ADVERT", &d), std::make_tuple(P::kMtu, 0u, 3u));
  EXPECT_EQ(d, (Strings{"2:3: error: vrrp_rx_bufs_policy: MTU and ADVERT cannot both be set; "
                        "ADVERT is ignored"}));
  EXPECT_EQ(policy("vrrp_rx_bufs_policy 4000 MTU", &d), std::make_tuple(P::kSize, 4000u, 3u));
  EXPECT_EQ(d, (Strings{"2:3: error: vrrp_rx_bufs_policy: a size and a policy cannot both be "
                        "set; the policy is ignored"}));
  EXPECT_EQ(policy("vrrp_rx_bufs_policy MTU 4000", &d), std::make_tuple(P::kMtu, 0u, 3u));
  EXPECT_EQ(d, (Strings{"2:27: error: vrrp_rx_bufs_policy: '4000' is neither MTU, ADVERT nor a "
                        "size (0..4294967295 bytes, read from the first argument as keepalived "
                        "does)"}));
  EXPECT_EQ(policy("vrrp_rx_bufs_policy", &d), std::make_tuple(P::kNone, 0u, 3u));
  EXPECT_EQ(d, (Strings{"2:3: error: vrrp_rx_bufs_policy: missing value"}));
  EXPECT_EQ(policy("vrrp_rx_bufs_multiplier 7"), std::make_tuple(P::kNone, 0u, 7u));
  EXPECT_EQ(policy("vrrp_rx_bufs_multiplier 0", &d), std::make_tuple(P::kNone, 0u, 3u));
  EXPECT_EQ(d, (Strings{"2:27: error: vrrp_rx_bufs_multiplier 0 is out of range 1..4294967295"}));
}

TEST(BuildGlobalTest, SecondInstanceIsAnErrorAndTheFirstKept) {
  // keepalived 2.2.7: "(Line 2) Duplicate instance definition B - ignoring", exit 5.
  Diagnostics d;
  auto cfg = BuildText("instance A\ninstance B\n", d);
  EXPECT_EQ(DiagLines(d), (Strings{"2:1: warning: instance is already set ('A'); 'B' is ignored"}));
  EXPECT_EQ(cfg.instance, "A");
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
}

TEST(BuildGlobalTest, BadValuesAreErrors) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  vrrp_version 4
  vrrp_mcast_group4 10.0.0.1
  vrrp_strict maybe
  smtp_connect_timeout x
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"2:16: error: vrrp_version 4 is out of range 2..3",
                     "3:21: error: vrrp_mcast_group4: '10.0.0.1' is not an IPv4 multicast address",
                     "4:15: error: vrrp_strict: 'maybe' is not a valid boolean",
                     "5:24: error: smtp_connect_timeout: 'x' is not a valid integer"}));
  EXPECT_EQ(cfg.global.vrrp_version, 2);
  EXPECT_EQ(cfg.global.vrrp_mcast_group4.ToString(), "224.0.0.18");
}

// keepalived 2.4's dump, script, route-name and priority keywords.
TEST(BuildGlobalTest, NewerKeepalivedKeywords) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  state_dump_file /var/tmp/
  stats_dump_file stats.txt
  json_dump_file /var/tmp/ka.json
  data_use_instance
  json_version 2
  set_supplementary_groups
  iproute_etc_dir /opt/ipr/etc
  iproute_usr_dir /opt/ipr/usr
  max_auto_priority
  min_auto_priority_delay 250000
  disable_local_igmp
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  const model::Global& g = cfg.global;
  EXPECT_EQ(g.state_dump_file, "/var/tmp/");
  EXPECT_EQ(g.stats_dump_file, "stats.txt");
  EXPECT_EQ(g.json_dump_file, "/var/tmp/ka.json");
  EXPECT_TRUE(g.data_use_instance);
  EXPECT_EQ(g.json_version, 2);
  EXPECT_TRUE(g.set_supplementary_groups);
  EXPECT_EQ(g.iproute_etc_dir, "/opt/ipr/etc");
  EXPECT_EQ(g.iproute_usr_dir, "/opt/ipr/usr");
  EXPECT_EQ(g.max_auto_priority, 99);
  EXPECT_EQ(g.min_auto_priority_delay, std::chrono::microseconds(250000));
  EXPECT_TRUE(g.disable_local_igmp);

  Diagnostics bad;
  auto defaults = BuildText(R"(global_defs {
  json_version 3
  json_version 0
  state_dump_file ""
  data_use_instance maybe
  max_auto_priority 100
  max_auto_priority -2
  min_auto_priority_delay 0
  min_auto_priority_delay 10000001
  set_supplementary_groups nope
})", bad);
  EXPECT_EQ(DiagLines(bad),
            (Strings{"2:16: error: json_version 3 is out of range 1..2",
                     "3:16: error: json_version 0 is out of range 1..2",
                     "4:19: error: state_dump_file requires a non-empty path; ignored",
                     "5:21: error: data_use_instance: 'maybe' is not a valid boolean",
                     "6:21: error: max_auto_priority 100 is out of range -1..99",
                     "7:21: error: max_auto_priority -2 is out of range -1..99",
                     "8:27: error: min_auto_priority_delay 0 is out of range 1..10000000",
                     "9:27: error: min_auto_priority_delay 10000001 is out of range 1..10000000",
                     "10:28: error: set_supplementary_groups: 'nope' is not a valid boolean"}));
  EXPECT_EQ(bad.ExitCode(), CheckExit::kErrors);
  EXPECT_EQ(defaults.global.json_version, 1);
  EXPECT_EQ(defaults.global.state_dump_file, std::nullopt);
  EXPECT_EQ(defaults.global.max_auto_priority, 0);
  EXPECT_EQ(defaults.global.min_auto_priority_delay, std::chrono::seconds(1));
}

TEST(BuildGlobalTest, StartupScript) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  startup_script /usr/local/bin/up.sh
  startup_script_timeout 20
})", d);
  ASSERT_TRUE(cfg.global.startup_script);
  EXPECT_EQ(cfg.global.startup_script->command, "/usr/local/bin/up.sh");
  EXPECT_EQ(cfg.global.startup_script_timeout, seconds(20));
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);  // exit 5 is CheckSystem's call: it knows which scripts exist
}

TEST(BuildGlobalTest, ProcessTuning) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  vrrp_priority -5
  vrrp_no_swap
  vrrp_rt_priority 10
  vrrp_cpu_affinity 1 0 1
  vrrp_rlimit_rtime 5000
  checker_priority 19
  checker_rt_priority 99
  checker_no_swap false
})",
                       d);
  EXPECT_EQ(DiagLines(d), Strings{});
  const auto& v = cfg.global.vrrp_tuning;
  EXPECT_EQ(v.priority, -5);
  EXPECT_TRUE(v.no_swap);
  EXPECT_EQ(v.rt_priority, 10);
  EXPECT_EQ(v.cpu_affinity, (std::vector<int>{0, 1}));
  EXPECT_EQ(v.rlimit_rttime, 5000u);
  const auto& c = cfg.global.checker_tuning;
  EXPECT_EQ(c.priority, 19);
  EXPECT_FALSE(c.no_swap);
  EXPECT_EQ(c.rt_priority, 99);
  EXPECT_TRUE(c.cpu_affinity.empty());
  EXPECT_FALSE(c.rlimit_rttime);
  EXPECT_EQ(model::Config{}.global.vrrp_tuning, model::ProcessTuning{});
}

TEST(BuildGlobalTest, ProcessTuningRanges) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  vrrp_priority -21
  vrrp_rt_priority 100
  vrrp_rlimit_rttime 1
  vrrp_cpu_affinity 0 x
  checker_cpu_affinity 1024
  checker_priority
  checker_no_swap maybe
  checker_rt_priority 0
  checker_rlimit_rtime 4294967296
})",
                       d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"2:17: error: vrrp_priority -21 is out of range -20..19",
                     "3:20: error: vrrp_rt_priority 100 is out of range 1..99",
                     "4:22: error: vrrp_rlimit_rttime 1 is out of range 2..4294967295",
                     "5:23: error: vrrp_cpu_affinity cpu: 'x' is not a valid integer",
                     "6:24: error: checker_cpu_affinity cpu 1024 is out of range 0..1023",
                     "7:3: error: checker_priority: missing value",
                     "8:19: error: checker_no_swap: 'maybe' is not a valid boolean",
                     "9:23: error: checker_rt_priority 0 is out of range 1..99",
                     "10:24: error: checker_rlimit_rtime 4294967296 is out of range 2..4294967295"}));
  EXPECT_EQ(cfg.global.vrrp_tuning, model::ProcessTuning{});
  EXPECT_EQ(cfg.global.checker_tuning, model::ProcessTuning{});
}

TEST(BuildGlobalTest, StartDelaysAndOwnerIgnoreAdverts) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  vrrp_startup_delay 2.5
  vrrp_delay_after_boot 120
  vrrp_owner_ignore_adverts
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  EXPECT_EQ(cfg.global.vrrp_startup_delay, milliseconds(2500));
  EXPECT_EQ(cfg.global.vrrp_delay_after_boot, seconds(120));
  EXPECT_TRUE(cfg.global.vrrp_owner_ignore_adverts);
  Diagnostics d2;
  auto off = BuildText("global_defs {\n  vrrp_owner_ignore_adverts false\n}", d2);
  EXPECT_FALSE(off.global.vrrp_owner_ignore_adverts);
  EXPECT_EQ(off.global.vrrp_delay_after_boot, seconds(0));
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

TEST(BuildGlobalTest, VigilConntrackdNamesTheDaemonAndWhatItFollows) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  vigil_conntrackd /etc/conntrackd/lb.conf G timeout 3
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority 100
  virtual_ipaddress {
    192.0.2.1
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 2
  priority 100
  virtual_ipaddress {
    192.0.2.2
  }
}
vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  ASSERT_TRUE(cfg.global.conntrackd);
  EXPECT_EQ(cfg.global.conntrackd->config, "/etc/conntrackd/lb.conf");
  EXPECT_EQ(cfg.global.conntrackd->follow, "G");
  EXPECT_EQ(cfg.global.conntrackd->timeout, seconds(3));

  Diagnostics d2;
  auto plain = BuildText("global_defs {\n  vigil_conntrackd /c.conf VI_1\n}\n"
                         "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n"
                         "  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n",
                         d2);
  EXPECT_EQ(DiagLines(d2), Strings{});
  ASSERT_TRUE(plain.global.conntrackd);
  EXPECT_EQ(plain.global.conntrackd->follow, "VI_1");
  EXPECT_EQ(plain.global.conntrackd->timeout, seconds(10));
}

TEST(BuildGlobalTest, VigilConntrackdErrors) {
  Diagnostics d;
  auto cfg = BuildText("global_defs {\n  vigil_conntrackd /c.conf VI_9\n}\n"
                       "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n"
                         "  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n",
                       d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"2:3: error: vigil_conntrackd: 'VI_9' is neither a vrrp_sync_group nor a "
                     "vrrp_instance; conntrackd is not driven"}));
  EXPECT_FALSE(cfg.global.conntrackd);

  Diagnostics d2;
  auto bad = BuildText(R"(global_defs {
  vigil_conntrackd /c.conf
  vigil_conntrackd /c.conf VI_1 timeout 0
  vigil_conntrackd /c.conf VI_1 wait 3
  vigil_conntrackd /c.conf VI_1 timeout
})", d2);
  EXPECT_EQ(DiagLines(d2),
            (Strings{"2:3: error: vigil_conntrackd: missing value",
                     "3:41: error: vigil_conntrackd timeout 0 is out of range 1..3600",
                     "4:33: error: vigil_conntrackd: unknown option 'wait'",
                     "5:33: error: vigil_conntrackd: 'timeout' needs a value"}));
  EXPECT_FALSE(bad.global.conntrackd);
}

// keepalived's firewall keywords (an nftables build, as Debian's 2.2.7).
TEST(BuildGlobalTest, NftablesKeywords) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  nftables fw_vrrp
  nftables_priority -300
  nftables_ifindex
  nftables_counters
  nftables_ipvs
  nftables_ipvs_priority 5
  nftables_ipvs_start_fwmark 4294967295
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  const auto& g = cfg.global;
  EXPECT_EQ(g.nftables, "fw_vrrp");
  EXPECT_EQ(g.nftables_priority, -300);
  EXPECT_TRUE(g.nftables_ifindex);
  EXPECT_TRUE(g.nftables_counters);
  EXPECT_EQ(g.nftables_ipvs, "");
  EXPECT_EQ(g.nftables_ipvs_priority, 5);
  EXPECT_EQ(g.nftables_ipvs_start_fwmark, 4294967295u);

  Diagnostics d0;
  auto none = BuildText("", d0);
  EXPECT_EQ(none.global.nftables, std::nullopt);
  EXPECT_EQ(none.global.nftables_priority, -1);
  EXPECT_FALSE(none.global.nftables_ifindex);
  EXPECT_FALSE(none.global.nftables_counters);
  EXPECT_EQ(none.global.nftables_ipvs_start_fwmark, 1000u);

  // Without a name: vigil's own table. `nftables` sets the priority back to -1, as
  // keepalived's does (a priority above it is lost: vigil says so).
  Diagnostics d1;
  auto bare = BuildText("global_defs {\n  nftables_priority 7\n  nftables\n}\n", d1);
  EXPECT_EQ(DiagLines(d1),
            Strings{"3:3: warning: nftables sets the chains' priority back to -1 (as keepalived "
                    "does): the nftables_priority 7 above it is lost; put it after nftables"});
  EXPECT_EQ(d1.ExitCode(), CheckExit::kOk);  // keepalived says nothing
  EXPECT_EQ(bare.global.nftables, "");
  EXPECT_EQ(bare.global.nftables_priority, -1);
}

TEST(BuildGlobalTest, NftablesBadValuesAreKeepalivedsErrors) {
  Diagnostics d;
  const std::string long_name(256, 'a');
  auto cfg = BuildText("global_defs {\n  nftables \"\"\n  nftables " + long_name +
                           "\n  nftables_priority x\n  nftables_priority 2147483648\n"
                           "  nftables_ipvs_start_fwmark 0\n  nftables_ipvs_priority -2147483649\n"
                           "  nftables first\n  nftables second\n}\n",
                       d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"2:12: error: nftables: empty table name; ignored",
                     "3:12: error: nftables: a table name of 256 characters is too long (at "
                     "most 255); ignored",
                     "4:21: error: nftables_priority: 'x' is not a valid integer",
                     "5:21: error: nftables_priority 2147483648 is out of range "
                     "-2147483648..2147483647",
                     "6:30: error: nftables_ipvs_start_fwmark 0 is out of range 1..4294967295",
                     "7:26: error: nftables_ipvs_priority -2147483649 is out of range "
                     "-2147483648..2147483647",
                     "9:3: warning: nftables is already given; this one is ignored"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
  EXPECT_EQ(cfg.global.nftables, "first");
  EXPECT_EQ(cfg.global.nftables_priority, -1);

  // A name nft's command language cannot read: vigil runs with its own table.
  Diagnostics d2;
  auto odd = BuildText("global_defs {\n  nftables 1st-table\n}\n", d2);
  EXPECT_EQ(DiagLines(d2),
            Strings{"2:12: warning: nftables: '1st-table' is not a table name nft reads "
                    "(letters, digits, '_', '.', '-', '/', starting with a letter, '_' or "
                    "'.'); vigil's own table is used instead"});
  EXPECT_EQ(d2.ExitCode(), CheckExit::kOk);
  EXPECT_EQ(odd.global.nftables, "");
}

// vigil has no iptables or ipset backend: nftables instead, reported as keepalived built
// without them (Debian's 2.2.7) reports it (exit 5).
TEST(BuildGlobalTest, IptablesAndIpsetsMeanNftables) {
  Diagnostics d;
  auto cfg = BuildText("global_defs {\n  nftables_priority 3\n  vrrp_iptables in_chain out_chain\n"
                       "  vrrp_ipsets keepalived\n}\n", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"3:3: warning: vrrp_iptables: vigil has no iptables backend; the VIPs are "
                     "filtered with nftables instead (as keepalived built without iptables "
                     "does): replace vrrp_iptables and vrrp_ipsets with nftables",
                     "4:3: warning: vrrp_ipsets: vigil has no ipset backend; the VIPs are "
                     "filtered in nftables sets instead; ignored"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
  EXPECT_EQ(cfg.global.vrrp_iptables, "in_chain out_chain");
  EXPECT_EQ(cfg.global.nftables, "");
  EXPECT_EQ(cfg.global.nftables_priority, -1);
}

TEST(BuildGlobalTest, VigilAnnounceTableTakesFrrsImportTableRange) {
  Diagnostics d;
  auto cfg = BuildText("global_defs {\n  vigil_announce_table 100\n}\n", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  EXPECT_EQ(cfg.global.announce_table, 100u);
  EXPECT_FALSE(cfg.global.announce_vty_socket);
  Diagnostics d1;
  auto vty = BuildText("global_defs {\n  vigil_announce_table 9 vty_socket /run/frr\n}\n", d1);
  EXPECT_EQ(DiagLines(d1), Strings{});
  EXPECT_EQ(vty.global.announce_table, 9u);
  EXPECT_EQ(vty.global.announce_vty_socket, "/run/frr");
  Diagnostics d3;
  auto bad_opt = BuildText("global_defs {\n  vigil_announce_table 9 vty /run/frr\n"
                           "  vigil_announce_table 9 vty_socket\n}\n", d3);
  EXPECT_EQ(DiagLines(d3),
            (Strings{"2:26: error: vigil_announce_table: unknown option 'vty'",
                     "3:26: error: vigil_announce_table: 'vty_socket' needs a directory"}));
  EXPECT_FALSE(bad_opt.global.announce_table);

  Diagnostics d2;
  auto bad = BuildText(R"(global_defs {
  vigil_announce_table 0
  vigil_announce_table 253
  vigil_announce_table main
  vigil_announce_table
})", d2);
  EXPECT_EQ(DiagLines(d2),
            (Strings{"2:24: error: vigil_announce_table 0 is out of range 1..252",
                     "3:24: error: vigil_announce_table 253 is out of range 1..252",
                     "4:24: error: vigil_announce_table: 'main' is not a valid integer",
                     "5:3: error: vigil_announce_table: missing value"}));
  EXPECT_FALSE(bad.global.announce_table);
}

TEST(BuildGlobalTest, VigilAnnounceWithNamesAVrrpInstance) {
  const std::string vs = R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  virtual_ipaddress {
    192.0.2.1
  }
}
virtual_server 192.0.2.1 80 {
  vigil_announce_with VI_1
  lvs_method DR
  lb_algo mh
  protocol TCP
  real_server 10.0.0.1 80 {
  }
}
virtual_server 192.0.2.2 80 {
  vigil_announce_with VI_9
  lvs_method DR
  lb_algo mh
  protocol TCP
  real_server 10.0.0.1 80 {
  }
}
)";
  Diagnostics d;
  auto cfg = BuildText("global_defs {\n  vigil_announce_table 7\n}\n" + vs, d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"20:3: error: vigil_announce_with: vrrp_instance 'VI_9' is not defined; ignored"}));
  ASSERT_EQ(cfg.virtual_servers.size(), 2u);
  EXPECT_EQ(cfg.virtual_servers[0].announce_with, "VI_1");
  EXPECT_FALSE(cfg.virtual_servers[1].announce_with);

  Diagnostics d2;
  (void)BuildText(vs.substr(0, vs.find("virtual_server 192.0.2.2")), d2);
  EXPECT_EQ(DiagLines(d2),
            (Strings{"9:3: warning: vigil_announce_with without vigil_announce_table in "
                     "global_defs: nothing is announced"}));
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

// One vrrp_instance VI_1 (VRID 51) after global_defs { LINE }.
std::string WithInstance(std::string_view line, std::string_view in_instance = "") {
  return "global_defs {\n  " + std::string(line) +
         "\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  "
         "priority 100\n  " + std::string(in_instance) +
         "\n  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n";
}

struct Case {
  std::string line;
  Strings diags;
  CheckExit exit;
};

// keepalived 2.2.7's reading of lvs_sync_daemon, -t exit codes measured with it.
TEST(BuildGlobalTest, LvsSyncDaemonForms) {
  {
    Diagnostics d;
    auto cfg = BuildText(WithInstance("lvs_sync_daemon eth0 VI_1"), d);
    EXPECT_EQ(DiagLines(d), Strings{});
    EXPECT_EQ(d.ExitCode(), CheckExit::kOk);
    ASSERT_TRUE(cfg.global.lvs_sync_daemon);
    EXPECT_EQ(cfg.global.lvs_sync_daemon->interface, "eth0");
    EXPECT_EQ(cfg.global.lvs_sync_daemon->vrrp_instance, "VI_1");
    EXPECT_EQ(cfg.global.lvs_sync_daemon->sync_id, std::nullopt);
  }
  {
    Diagnostics d;
    auto cfg = BuildText(
        WithInstance("lvs_sync_daemon eth0 inst VI_1 id 7 maxlen 1400 port 9000 ttl 2 group "
                     "239.1.1.1"),
        d);
    EXPECT_EQ(DiagLines(d), Strings{});
    ASSERT_TRUE(cfg.global.lvs_sync_daemon);
    const auto& l = *cfg.global.lvs_sync_daemon;
    EXPECT_EQ(l.vrrp_instance, "VI_1");
    EXPECT_EQ(l.sync_id, 7u);
    EXPECT_EQ(l.maxlen, 1400u);
    EXPECT_EQ(l.port, 9000);
    EXPECT_EQ(l.ttl, 2);
    ASSERT_TRUE(l.group);
    EXPECT_EQ(l.group->ToString(), "239.1.1.1");
  }
  {
    // Interface only: no instance drives it (the checker engine runs both daemons).
    Diagnostics d;
    auto cfg = BuildText(WithInstance("lvs_sync_daemon eth0 id 3"), d);
    EXPECT_EQ(DiagLines(d), Strings{});
    ASSERT_TRUE(cfg.global.lvs_sync_daemon);
    EXPECT_EQ(cfg.global.lvs_sync_daemon->vrrp_instance, "");
    EXPECT_EQ(cfg.global.lvs_sync_daemon->sync_id, 3u);
  }
  const Case cases[] = {
      {"lvs_sync_daemon", {"2:3: error: lvs_sync_daemon: missing value"}, CheckExit::kErrors},
      {"lvs_sync_daemon abcdefghijklmnop VI_1",
       {"2:19: error: lvs_sync_daemon: interface name 'abcdefghijklmnop' is longer than 15 "
        "characters; ignored"},
       CheckExit::kErrors},
      {"lvs_sync_daemon eth0 VI_1 9",
       {"2:29: error: lvs_sync_daemon: write 'id 9' for the sync id"},
       CheckExit::kErrors},
      {"lvs_sync_daemon eth0 VI_1 9 8",
       {"2:29: error: lvs_sync_daemon: write 'id 9' for the sync id",
        "2:31: error: lvs_sync_daemon: unknown option '8'"},
       CheckExit::kErrors},
      {"lvs_sync_daemon eth0 VI_1 id 300",
       {"2:32: error: lvs_sync_daemon id 300 is out of range 0..255"},
       CheckExit::kErrors},
      {"lvs_sync_daemon eth0 VI_1 id",
       {"2:29: error: lvs_sync_daemon: 'id' needs a value; the sync id is the instance's "
        "virtual_router_id"},
       CheckExit::kErrors},
      {"lvs_sync_daemon eth0 VI_1 maxlen",
       {"2:29: error: lvs_sync_daemon: 'maxlen' needs a value; ignored"},
       CheckExit::kErrors},
      {"lvs_sync_daemon eth0 VI_1 port 0 ttl 256",
       {"2:34: error: lvs_sync_daemon port 0 is out of range 1..65535",
        "2:40: error: lvs_sync_daemon ttl 256 is out of range 1..255"},
       CheckExit::kErrors},
      {"lvs_sync_daemon eth0 VI_1 group 10.0.0.1",
       {"2:35: error: lvs_sync_daemon group 10.0.0.1 is not a multicast address; ignored"},
       CheckExit::kErrors},
      {"lvs_sync_daemon eth0 inst VI_1 inst VI_2",
       {"2:39: error: lvs_sync_daemon: the vrrp_instance is already 'VI_1'; 'VI_2' ignored"},
       CheckExit::kErrors},
      {"lvs_sync_daemon eth0 inst",
       {"2:24: fatal: lvs_sync_daemon: 'inst' needs a vrrp_instance name"},
       CheckExit::kCannotRun},
      {"lvs_sync_daemon eth0 VI_1\n  lvs_sync_daemon eth1 VI_1",
       {"3:3: error: lvs_sync_daemon is already set (eth0 VI_1); ignored"},
       CheckExit::kErrors},
      {"lvs_sync_daemon eth0 VI_9",
       {"2:3: warning: lvs_sync_daemon: vrrp_instance 'VI_9' is not defined; lvs_sync_daemon "
        "ignored"},
       CheckExit::kOk},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    Diagnostics d;
    BuildText(WithInstance(c.line), d);
    EXPECT_EQ(DiagLines(d), c.diags);
    EXPECT_EQ(d.ExitCode(), c.exit);
  }
}

// vrrp_instance lvs_sync_daemon_interface IF: keepalived's old form (sync id 0, reported as
// deprecated: -t exits 5), ignored when lvs_sync_daemon is set.
TEST(BuildGlobalTest, LvsSyncDaemonInterface) {
  Diagnostics d;
  auto cfg = BuildText(WithInstance("router_id a", "lvs_sync_daemon_interface eth1"), d);
  EXPECT_EQ(DiagLines(d), (Strings{"8:3: error: vrrp_instance VI_1: lvs_sync_daemon_interface "
                                   "is deprecated; use global_defs lvs_sync_daemon"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
  ASSERT_TRUE(cfg.global.lvs_sync_daemon);
  EXPECT_EQ(cfg.global.lvs_sync_daemon->interface, "eth1");
  EXPECT_EQ(cfg.global.lvs_sync_daemon->vrrp_instance, "VI_1");
  EXPECT_EQ(cfg.global.lvs_sync_daemon->sync_id, 0u);

  Diagnostics d2;
  auto both = BuildText(WithInstance("lvs_sync_daemon eth0 VI_1 id 4",
                                     "lvs_sync_daemon_interface eth1"),
                        d2);
  EXPECT_EQ(DiagLines(d2), (Strings{"8:3: error: vrrp_instance VI_1: lvs_sync_daemon_interface "
                                    "is deprecated; use global_defs lvs_sync_daemon",
                                    "8:29: error: vrrp_instance VI_1: lvs_sync_daemon is "
                                    "already set (eth0); ignored"}));
  ASSERT_TRUE(both.global.lvs_sync_daemon);
  EXPECT_EQ(both.global.lvs_sync_daemon->interface, "eth0");
  EXPECT_EQ(both.global.lvs_sync_daemon->sync_id, 4u);
}

// `*notify_fifo PATH [USER [GROUP]]`: the owner of the FIFO vigild creates.
TEST(BuildGlobalTest, NotifyFifoOwners) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  notify_fifo /run/a.fifo nobody nogroup
  vrrp_notify_fifo /run/b.fifo daemon
  lvs_notify_fifo /run/c.fifo
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  const auto& g = cfg.global;
  ASSERT_TRUE(g.notify_fifo && g.vrrp_notify_fifo && g.lvs_notify_fifo);
  EXPECT_EQ(std::tie(g.notify_fifo->path, g.notify_fifo->user, g.notify_fifo->group),
            std::make_tuple("/run/a.fifo", std::optional<std::string>("nobody"),
                            std::optional<std::string>("nogroup")));
  EXPECT_EQ(g.vrrp_notify_fifo->user, "daemon");
  EXPECT_EQ(g.vrrp_notify_fifo->group, std::nullopt);
  EXPECT_EQ(g.lvs_notify_fifo->user, std::nullopt);
  EXPECT_EQ(g.lvs_notify_fifo->group, std::nullopt);
}

}  // namespace
}  // namespace vigil::config
