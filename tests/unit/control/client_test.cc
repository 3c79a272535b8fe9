#include "control/client.h"

#include <gtest/gtest.h>

namespace vigil::control {
namespace {

TEST(ClientTest, RendersInstancesAsTable) {
  auto r = RenderResponse(
      "instances",
      R"({"ok":true,"instances":[{"name":"VI_1","state":"MASTER","interface":"eth0","vrid":51,)"
      R"("effective_priority":100,"base_priority":100,"master_address":"10.0.0.1",)"
      R"("vips":["10.0.0.10/24","10.0.0.11/24"]}]})");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text,
            "INSTANCE  STATE   INTERFACE  VRID  PRIO     MASTER    VIPS\n"
            "VI_1      MASTER  eth0       51    100/100  10.0.0.1  10.0.0.10/24,10.0.0.11/24\n");
}

TEST(ClientTest, RendersEventLinesInTheirOwnOrder) {
  EXPECT_EQ(RenderEvent(R"({"seq":12,"time":"2026-12-05T12:00:00.250Z","type":"vrrp_transition",)"
                        R"("instance":"VI_1","from":"BACKUP","to":"MASTER","reason":"master_down",)"
                        R"("priority":150})"),
            "12 2026-12-05T12:00:00.250Z vrrp_transition instance=VI_1 from=BACKUP to=MASTER "
            "reason=master_down priority=150");
  EXPECT_EQ(RenderEvent(R"({"seq":4,"run":"00000000000000ab","time":"T","type":"e","k":1})"),
            "4 T e k=1")
      << "the run is for --json readers";
  EXPECT_EQ(RenderEvent(R"({"seq":3,"time":"T","type":"operation_result","ok":false,"message":"no"})"),
            "3 T operation_result ok=false message=no");
  EXPECT_EQ(RenderEvent(R"({"type":"lost","from":1,"lost":2,"message":"2 event(s) from 1 fell out"})"),
            "-- 2 event(s) from 1 fell out");
  EXPECT_EQ(RenderEvent("not json"), "not json");
}

TEST(ClientTest, RendersServersWithQuorum) {
  auto r = RenderResponse(
      "servers",
      R"({"ok":true,"virtual_servers":[{"name":"10.0.0.10:80/tcp","quorum_up":false,)"
      R"("sorry_server_active":true,"real_servers":[{"address":"10.0.1.1:80","up":false,)"
      R"("weight":0,"checks_ok":1,"checks_failed":4},{"address":"10.0.1.2:80","up":true,)"
      R"("weight":1,"checks_ok":7,"checks_failed":0,"check_running_s":2.5}]}]})");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text,
            "VIRTUAL SERVER    REAL SERVER  HEALTH  WEIGHT  OK/FAILED  RUNNING  POOL\n"
            "10.0.0.10:80/tcp  10.0.1.1:80  DOWN    0       1/4        -        NO QUORUM (sorry server)\n"
            "10.0.0.10:80/tcp  10.0.1.2:80  UP      1       7/0        2.5s     NO QUORUM (sorry server)\n");
}

TEST(ClientTest, ServersShowSuspendedChecks) {
  auto r = RenderResponse(
      "servers",
      R"({"ok":true,"virtual_servers":[{"name":"10.0.0.10:80/tcp","quorum_up":true,)"
      R"("checkers_suspended":true,"real_servers":[{"address":"10.0.1.1:80","up":true,)"
      R"("weight":1,"checks_ok":0,"checks_failed":0}]}]})");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text,
            "VIRTUAL SERVER    REAL SERVER  HEALTH  WEIGHT  OK/FAILED  RUNNING  POOL\n"
            "10.0.0.10:80/tcp  10.0.1.1:80  UP      1       0/0        -        quorum (checks suspended)\n");
}

TEST(ClientTest, ServersShowTheOperatorsRuntimeState) {
  auto r = RenderResponse(
      "servers",
      R"({"ok":true,"virtual_servers":[{"name":"10.0.0.10:80/tcp","quorum_up":true,)"
      R"("real_servers":[{"address":"10.0.1.1:80","up":true,"weight":0,"admin":"draining",)"
      R"("checks_ok":1,"checks_failed":0},{"address":"10.0.1.2:80","up":true,"weight":40,)"
      R"("admin_weight":40,"checks_ok":2,"checks_failed":0},{"address":"10.0.1.3:80",)"
      R"("up":false,"weight":0,"admin":"disabled","checks_ok":0,"checks_failed":3}]}]})");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text,
            "VIRTUAL SERVER    REAL SERVER  HEALTH         WEIGHT   OK/FAILED  RUNNING  POOL\n"
            "10.0.0.10:80/tcp  10.0.1.1:80  UP/draining    0        1/0        -        quorum\n"
            "10.0.0.10:80/tcp  10.0.1.2:80  UP             40(set)  2/0        -        quorum\n"
            "10.0.0.10:80/tcp  10.0.1.3:80  DOWN/disabled  0        0/3        -        quorum\n");
  EXPECT_EQ(RenderResponse("drain", R"({"ok":true,"message":"10.0.1.1:80 of v draining"})").text,
            "10.0.1.1:80 of v draining\n");
  EXPECT_EQ(RenderResponse("weight", R"({"ok":false,"error":"no virtual server v"})").text,
            "error: no virtual server v\n");
}

TEST(ClientTest, InstancesShowTheOperatorsRuntimeState) {
  auto r = RenderResponse(
      "instances",
      R"({"ok":true,"instances":[{"name":"VI_1","state":"BACKUP","interface":"eth0","vrid":51,)"
      R"("effective_priority":150,"base_priority":100,"runtime_priority":150,"hold":"failover",)"
      R"("master_address":"10.0.0.2","vips":["10.0.0.10/32"]},{"name":"VI_2","state":"BACKUP",)"
      R"("interface":"eth0","vrid":52,"effective_priority":100,"base_priority":100,)"
      R"("hold":"maintenance","vips":[]}]})");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text,
            "INSTANCE  STATE               INTERFACE  VRID  PRIO              MASTER    VIPS\n"
            "VI_1      BACKUP/failover     eth0       51    150/100(set 150)  10.0.0.2  10.0.0.10/32\n"
            "VI_2      BACKUP/maintenance  eth0       52    100/100\n");
  EXPECT_EQ(RenderResponse("failover", R"({"ok":false,"error":"VI_1 is BACKUP, not MASTER"})").text,
            "error: VI_1 is BACKUP, not MASTER\n");
  EXPECT_EQ(RenderResponse("maintenance", R"({"ok":true,"message":"maintenance on"})").text,
            "maintenance on\n");
}

TEST(ClientTest, InstancesInFaultSayWhyUnderTheTable) {
  auto r = RenderResponse(
      "instances",
      R"({"ok":true,"instances":[{"name":"VI_1","state":"FAULT","interface":"eth0","vrid":51,)"
      R"("effective_priority":100,"base_priority":100,)"
      R"("fault_reason":"unicast_fault_no_peer and no unicast_peer","vips":[]},)"
      R"({"name":"VI_2","state":"BACKUP","interface":"eth0","vrid":52,"effective_priority":100,)"
      R"("base_priority":100,"fault_reason":"","vips":[]}]})");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text,
            "INSTANCE  STATE   INTERFACE  VRID  PRIO     MASTER  VIPS\n"
            "VI_1      FAULT   eth0       51    100/100\n"
            "VI_2      BACKUP  eth0       52    100/100\n"
            "VI_1 in FAULT: unicast_fault_no_peer and no unicast_peer\n");
}

TEST(ClientTest, StatusNamesAnEngineThatIsNotRunning) {
  auto r = RenderResponse(
      "status",
      R"({"ok":true,"status":{"version":"0.1.0","pid":7,"uptime_s":3.5,"config_file":"k.conf",)"
      R"("reloads":1,"reload_failures":0,"engines":[)"
      R"({"name":"check","running":true,"pid":9,"starts":1},)"
      R"({"name":"vrrp","running":false,"pid":0,"starts":1,"start_failures":2,)"
      R"("last_error":"socketpair: Too many open files","retry_in_s":1.94}]}})");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text,
            "vigild 0.1.0, pid 7, up 3 s, config k.conf\n"
            "reloads: 1 (failed 0)\n"
            "engines: check pid 9, vrrp NOT RUNNING (socketpair: Too many open files; "
            "retry in 1.9 s)\n"
            "\n"
            "INSTANCE  STATE  INTERFACE  VRID  PRIO  MASTER  VIPS\n");
}

TEST(ClientTest, StatusListsTheBfdSessions) {
  auto r = RenderResponse(
      "status",
      R"({"ok":true,"status":{"version":"0.1.0","pid":7,"uptime_s":3.5,"config_file":"k.conf",)"
      R"("reloads":0,"reload_failures":0,"bfd_sessions":[)"
      R"({"name":"to_router","neighbor":"10.0.0.1","source":"10.0.0.2","state":"Up",)"
      R"("remote_state":"Up","diag":"No Diagnostic","tx_interval_s":0.1,)"
      R"("detection_time_s":0.3,"packets_sent":40,"packets_received":38},)"
      R"({"name":"far","neighbor":"fd00::9","multihop":true,"state":"Down",)"
      R"("remote_state":"Down","diag":"Control Detection Time Expired",)"
      R"("tx_interval_s":1.0,"detection_time_s":0,"packets_sent":3,"packets_received":0}]}})");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text,
            "vigild 0.1.0, pid 7, up 3 s, config k.conf\n"
            "reloads: 0 (failed 0)\n"
            "\n"
            "INSTANCE  STATE  INTERFACE  VRID  PRIO  MASTER  VIPS\n"
            "\n"
            "BFD        NEIGHBOR                STATE  REMOTE  DIAG                            "
            "TX MS  DETECT MS  SENT/RECEIVED\n"
            "to_router  10.0.0.1 from 10.0.0.2  Up     Up      No Diagnostic                   "
            "100    300        40/38\n"
            "far        fd00::9 (multihop)      Down   Down    Control Detection Time Expired  "
            "1000   -          3/0\n");
}

TEST(ClientTest, StatusListsTheAnnouncedAddresses) {
  auto r = RenderResponse(
      "status",
      R"({"ok":true,"status":{"version":"0.1.0","pid":7,"uptime_s":3.5,"config_file":"k.conf",)"
      R"("reloads":0,"reload_failures":0,"announce":{"table":100,)"
      R"("announced":["10.0.0.1"],"held":{"10.0.0.2":"VI_1 not MASTER"},"error":""}}})");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text,
            "vigild 0.1.0, pid 7, up 3 s, config k.conf\n"
            "reloads: 0 (failed 0)\n"
            "\n"
            "INSTANCE  STATE  INTERFACE  VRID  PRIO  MASTER  VIPS\n"
            "\n"
            "ANNOUNCE  TABLE  ANNOUNCED\n"
            "10.0.0.1  100    yes\n"
            "10.0.0.2  100    no (VI_1 not MASTER)\n");
}

TEST(ClientTest, StatusShowsToWhomFrrAdvertisesEachAddress) {
  auto r = RenderResponse(
      "status",
      R"({"ok":true,"status":{"version":"0.1.0","pid":7,"uptime_s":3.5,"config_file":"k.conf",)"
      R"("reloads":0,"reload_failures":0,"announce":{"table":100,"announced":["10.0.0.1"],)"
      R"("held":{},"error":"","frr":true,"frr_peers":[)"
      R"({"address":"10.9.0.1","state":"Established","remote_as":65000,)"
      R"("advertised":["10.0.0.1/32"],"bfd":"up"},)"
      R"({"address":"10.9.0.2","state":"Active","remote_as":65001,"advertised":[],"bfd":""}]}}})");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text,
            "vigild 0.1.0, pid 7, up 3 s, config k.conf\n"
            "reloads: 0 (failed 0)\n"
            "\n"
            "INSTANCE  STATE  INTERFACE  VRID  PRIO  MASTER  VIPS\n"
            "\n"
            "ANNOUNCE  TABLE  ANNOUNCED  ADVERTISED TO\n"
            "10.0.0.1  100    yes        10.9.0.1\n"
            "\n"
            "BGP PEER  AS     STATE        BFD  ADVERTISED\n"
            "10.9.0.1  65000  Established  up   1\n"
            "10.9.0.2  65001  Active       -    0\n");
}

TEST(ClientTest, RendersErrors) {
  auto r = RenderResponse("reload", R"({"ok":false,"error":"keepalived.conf:1:1: error: x"})");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.text, "error: keepalived.conf:1:1: error: x\n");
  EXPECT_FALSE(RenderResponse("status", "###").ok);
}

TEST(ClientTest, RequestFailsClearlyWithoutDaemon) {
  auto r = Request("/nonexistent/vigil.ctl", "{}", 100);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().ToString(),
            "cannot connect to control socket '/nonexistent/vigil.ctl' (is vigild running?): "
            "No such file or directory");
}

}  // namespace
}  // namespace vigil::control
