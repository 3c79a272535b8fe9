#include "control/status.h"

#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vigil::control {
namespace {

Status Sample() {
  Status s;
  s.version = "0.1.0";
  s.pid = 42;
  s.uptime_s = 12.5;
  s.reloads = 3;
  s.reload_failures = 1;
  s.last_reload_ok = true;
  InstanceStatus i;
  i.name = "VI_1";
  i.state = "MASTER";
  i.interface = "eth0";
  i.vrid = 51;
  i.base_priority = 100;
  i.effective_priority = 90;
  i.advert_interval_s = 0.1;
  i.transitions = 2;
  i.adverts_sent = 10;
  i.adverts_received = 1;
  i.rejected = {{"bad_ttl", 4}};
  i.vips = {"10.0.0.10/24"};
  s.instances.push_back(i);
  VirtualServerStatus v;
  v.name = "10.0.0.10:80/tcp";
  v.scheduler = "rr";
  v.live_weight = 1;
  v.real_servers.push_back({"10.0.1.1:8080", true, 1, 1, 5, 1, 0.002});
  s.virtual_servers.push_back(v);
  return s;
}

TEST(StatusTest, JsonRoundTrip) {
  Status s = Sample();
  Status back;
  ASSERT_TRUE(FromJson(ToJson(s), back));
  EXPECT_EQ(back, s);
}

// Every field of a Status set (odd characters in the names, doubles large, small and whole),
// in the exact text nlohmann::json's tree gave before ToJson wrote it directly: the
// supervisor and vigilctl read the same bytes.
Status Full() {
  Status s = Sample();
  s.config_file = "/etc/keepalived/a \"b\"\\c.conf";
  s.maintenance = true;
  s.events = UINT64_MAX;
  s.lb_backend = "nftables";
  s.lb_restorations = {{"event", 2}, {"audit", 1}};
  s.conntrackd_commands = {{"commit", {{"success", 1}, {"failure", 0}}}, {"flush", {}}};
  s.uptime_s = 123456789.123;
  s.instances[0].name = "VI_\x01\t\n\r\b\f\x1f\x7f/é\xff\xfe";
  s.instances[0].runtime_priority = -3;
  s.instances[0].hold = "failover";
  s.instances[0].fault_reason = "track_script chk";
  s.instances[0].debug = 4;
  s.instances[0].master_address = "10.0.0.2";
  s.instances[0].family = "inet";
  s.instances[0].advert_interval_s = 1e-7;
  s.virtual_servers[0].real_servers[0].check_running_s = 1e21;
  s.virtual_servers[0].real_servers[0].drain_left_s = 2.5;
  s.virtual_servers[0].real_servers[0].admin = "draining";
  s.virtual_servers[0].real_servers[0].admin_weight = 0;
  s.virtual_servers[0].checkers_suspended = true;
  s.virtual_servers.push_back({"fwmark 1", "wlc", false, true, 0, {}});
  s.bfd_sessions.push_back({"b1", "192.0.2.1", "", true, "Up", "Up", "None", UINT32_MAX, 7, 0.3,
                            0.9000000000000001, 5, 6, 1, 2});
  s.announce.table = 200;
  s.announce.announced = {"10.0.0.10"};
  s.announce.held = {{"10.0.0.11", "maintenance"}};
  s.announce.error = "";
  s.announce.frr = true;
  s.announce.frr_peers.push_back({"192.0.2.9", "Established", 65001, 3, {"10.0.0.10/32"}, "up"});
  s.bfd_dropped = {{"bad_version", 9}};
  s.engines.push_back({"check", true, 1234, 1, 0, "", -1});
  s.engines.push_back({"vrrp", false, 0, 2, 1, "exit 1", 0.5});
  s.listeners.push_back({"control", 1, 2, 3, 4, 5, 6, 64});
  return s;
}

TEST(StatusTest, JsonTextIsNlohmannsDump) {
  EXPECT_EQ(ToJson(Full()),
      "{\"announce\":{\"announced\":[\"10.0.0.10\"],\"error\":\"\",\"frr\":true,"
      "\"frr_peers\":[{\"address\":\"192.0.2.9\",\"advertised\":[\"10.0.0.10/32\"],"
      "\"bfd\":\"up\",\"prefixes_received\":3,\"remote_as\":65001,\"state\":\"Established\"}],"
      "\"held\":{\"10.0.0.11\":\"maintenance\"},\"table\":200},"
      "\"bfd_dropped\":{\"bad_version\":9},"
      "\"bfd_sessions\":[{\"detection_time_s\":0.9000000000000001,\"diag\":\"None\","
      "\"down_transitions\":2,\"local_discriminator\":4294967295,\"multihop\":true,"
      "\"name\":\"b1\",\"neighbor\":\"192.0.2.1\",\"packets_received\":6,\"packets_sent\":5,"
      "\"remote_discriminator\":7,\"remote_state\":\"Up\",\"source\":\"\",\"state\":\"Up\","
      "\"tx_interval_s\":0.3,\"up_transitions\":1}],"
      "\"config_file\":\"/etc/keepalived/a \\\"b\\\"\\\\c.conf\","
      "\"conntrackd_commands\":{\"commit\":{\"failure\":0,\"success\":1},\"flush\":{}},"
      "\"engines\":[{\"last_error\":\"\",\"name\":\"check\",\"pid\":1234,\"retry_in_s\":-1.0,"
      "\"running\":true,\"start_failures\":0,\"starts\":1},{\"last_error\":\"exit 1\","
      "\"name\":\"vrrp\",\"pid\":0,\"retry_in_s\":0.5,\"running\":false,\"start_failures\":1,"
      "\"starts\":2}],\"events\":18446744073709551615,"
      "\"instances\":[{\"advert_interval_s\":1e-07,\"adverts_received\":1,\"adverts_sent\":10,"
      "\"base_priority\":100,\"became_master\":0,\"debug\":4,\"effective_priority\":90,"
      "\"family\":\"inet\",\"fault_reason\":\"track_script chk\",\"hold\":\"failover\","
      "\"interface\":\"eth0\","
      "\"master_address\":\"10.0.0.2\","
      "\"name\":\"VI_\\u0001\\t\\n\\r\\b\\f\\u001f\177/\303\251\357\277\275\357\277\275\","
      "\"priority_zero_received\":0,\"priority_zero_sent\":0,\"rejected\":{\"bad_ttl\":4},"
      "\"runtime_priority\":-3,\"state\":\"MASTER\",\"transitions\":2,\"version\":2,"
      "\"vips\":[\"10.0.0.10/24\"],\"vrid\":51}],\"last_reload_ok\":true,"
      "\"lb_backend\":\"nftables\",\"lb_restorations\":{\"audit\":1,\"event\":2},"
      "\"listeners\":[{\"accept_errors\":2,\"accepted\":1,\"max_connections\":64,"
      "\"name\":\"control\",\"open\":5,\"refused\":3,\"timed_out\":4,\"watching\":6}],"
      "\"maintenance\":true,\"pid\":42,\"reload_failures\":1,\"reloads\":3,"
      "\"uptime_s\":123456789.123,\"version\":\"0.1.0\","
      "\"virtual_servers\":[{\"checkers_suspended\":true,\"live_weight\":1,"
      "\"name\":\"10.0.0.10:80/tcp\","
      "\"quorum_up\":true,\"real_servers\":[{\"address\":\"10.0.1.1:8080\","
      "\"admin\":\"draining\",\"admin_weight\":0,\"check_running_s\":1e+21,\"checks_failed\":1,"
      "\"checks_ok\":5,\"config_weight\":1,\"drain_left_s\":2.5,\"last_check_latency_s\":0.002,"
      "\"up\":true,\"weight\":1}],\"scheduler\":\"rr\",\"sorry_server_active\":false},"
      "{\"checkers_suspended\":false,\"live_weight\":0,\"name\":\"fwmark 1\",\"quorum_up\":false,\"real_servers\":[],"
      "\"scheduler\":\"wlc\",\"sorry_server_active\":true}]}");
  // nlohmann's tree of that text dumps it unchanged: the fields sorted as its std::map
  // sorts them, numbers and strings as it writes them.
  const std::string text = ToJson(Full());
  EXPECT_EQ(nlohmann::json::parse(text).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace),
            text);
}

TEST(StatusTest, InvalidUtf8InANameIsReplacedNotThrown) {
  // keepalived takes any byte in an instance name; JSON must stay valid UTF-8.
  Status s = Sample();
  s.instances[0].name = "VI_\xff";
  std::string text;
  ASSERT_NO_THROW(text = ToJson(s));
  EXPECT_NE(text.find("\"name\":\"VI_\xef\xbf\xbd\""), std::string::npos) << text;
}

// The SIGRTMIN+2 dump: keepalived's layout (vrrp_json.c), json_version 1 and 2.
TEST(StatusTest, KeepalivedJsonLayout) {
  Status s = Sample();
  s.instances[0].became_master = 1;
  s.instances[0].priority_zero_sent = 2;
  s.instances[0].rejected = {{"bad_ttl", 4}, {"too_short", 1}, {"bad_length", 2},
                             {"auth_bad_hmac", 3}, {"bad_checksum", 9}};
  InstanceStatus backup;
  backup.name = "VI_2";
  backup.state = "BACKUP";
  backup.interface = "eth1";
  backup.vrid = 52;
  backup.version = 3;
  backup.base_priority = 50;
  backup.effective_priority = 50;
  s.instances.push_back(backup);
  const std::string first =
      R"({"data":{"iname":"VI_1","ifp_ifname":"eth0","vrid":51,"base_priority":100,)"
      R"("effective_priority":90,"adver_int":0.1,"state":2,"version":2,"vips":["10.0.0.10/24"]},)"
      R"("stats":{"advert_rcvd":1,"advert_sent":10,"become_master":1,"packet_len_err":3,)"
      R"("advert_interval_err":0,"ip_ttl_err":4,"invalid_type_rcvd":0,"invalid_authtype":0,)"
      R"("authtype_mismatch":0,"auth_failure":0,"auth_ext_missing":0,"auth_ext_malformed":0,)"
      R"("auth_ext_unknown_key":0,"auth_ext_invalid_hmac":3,"auth_ext_stale":0,)"
      R"("auth_ext_replay":0,"pri_zero_rcvd":0,"pri_zero_sent":2}})";
  const std::string second =
      R"({"data":{"iname":"VI_2","ifp_ifname":"eth1","vrid":52,"base_priority":50,)"
      R"("effective_priority":50,"adver_int":1.0,"state":1,"version":3,"vips":[]},)"
      R"("stats":{"advert_rcvd":0,"advert_sent":0,"become_master":0,"packet_len_err":0,)"
      R"("advert_interval_err":0,"ip_ttl_err":0,"invalid_type_rcvd":0,"invalid_authtype":0,)"
      R"("authtype_mismatch":0,"auth_failure":0,"auth_ext_missing":0,"auth_ext_malformed":0,)"
      R"("auth_ext_unknown_key":0,"auth_ext_invalid_hmac":0,"auth_ext_stale":0,)"
      R"("auth_ext_replay":0,"pri_zero_rcvd":0,"pri_zero_sent":0}})";
  EXPECT_EQ(ToKeepalivedJson(s, 1), "[" + first + "," + second + "]");
  EXPECT_EQ(ToKeepalivedJson(s, 2), R"({"vrrp":[)" + first + "," + second + "]}");
  EXPECT_EQ(ToKeepalivedJson(Status(), 1), "[]");
  EXPECT_EQ(ToKeepalivedJson(Status(), 2), R"({"vrrp":[]})");
}

TEST(StatusTest, FromJsonRejectsGarbage) {
  Status out;
  EXPECT_FALSE(FromJson("not json", out));
  EXPECT_FALSE(FromJson("[1,2]", out));
  EXPECT_FALSE(FromJson(R"({"pid":"x"})", out));
}

// Integer fields take integers within their type's range, as nlohmann's tree would have
// converted them with undefined behaviour (seen by fuzz_engine_frames under UBSan) or
// silently truncated; floating-point fields any finite number, negative ones too (an
// engine's retry_in_s is -1).
TEST(StatusTest, FromJsonTakesIntegersInRangeForIntegerFields) {
  Status out;
  std::string error;
  EXPECT_FALSE(FromJson(R"({"pid":1e300})", out, &error));
  EXPECT_EQ(error, "expected an integer at byte 8");
  EXPECT_FALSE(FromJson(R"({"pid":7.9})", out));
  EXPECT_FALSE(FromJson(R"({"instances":[{"adverts_sent":-1}]})", out, &error));
  EXPECT_EQ(error, "an integer out of its field's range at byte 32");
  EXPECT_FALSE(FromJson(R"({"instances":[{"rejected":{"bad_ttl":1e20}}]})", out));
  EXPECT_FALSE(FromJson(R"({"instances":[{"vrid":2147483648}]})", out));
  EXPECT_FALSE(FromJson(R"({"events":18446744073709551616})", out));
  EXPECT_FALSE(FromJson(R"({"announce":{"table":4294967296}})", out));
  EXPECT_FALSE(FromJson(R"({"pid":true})", out));
  EXPECT_FALSE(FromJson(R"({"pid":null})", out));
  EXPECT_FALSE(FromJson(R"({"pid":01})", out));
  EXPECT_FALSE(FromJson(R"({"uptime_s":1e999})", out, &error));
  EXPECT_EQ(error, "a number no double holds at byte 17");
  ASSERT_TRUE(FromJson(R"({"events":18446744073709551615,"pid":-9223372036854775808,)"
                       R"("uptime_s":-0.5,"instances":[{"vrid":-2147483648,"debug":-0}],)"
                       R"("announce":{"table":4294967295},"reloads":0})",
                       out, &error))
      << error;
  EXPECT_EQ(out.events, UINT64_MAX);
  EXPECT_EQ(out.pid, INT64_MIN);
  EXPECT_EQ(out.uptime_s, -0.5);
  EXPECT_EQ(out.instances.at(0).vrid, INT32_MIN);
  EXPECT_EQ(out.announce.table, UINT32_MAX);
  ASSERT_TRUE(FromJson(R"({"uptime_s":12,"engines":[{"retry_in_s":-1.0}]})", out));
  EXPECT_EQ(out.uptime_s, 12.0);
  EXPECT_EQ(out.engines.at(0).retry_in_s, -1.0);
}

// A status with every field set reads back equal, and so does each of its fields' JSON
// spellings that ToJson does not write (escapes, space, unknown members, members out of
// order, repeated members: the last one wins, defaults for the rest).
TEST(StatusTest, FromJsonReadsEveryFieldBack) {
  Status full = Full();
  Status back;
  std::string error;
  ASSERT_TRUE(FromJson(ToJson(full), back, &error)) << error;
  // Each byte of the name that is not UTF-8 was written as U+FFFD.
  full.instances[0].name = "VI_\x01\t\n\r\b\f\x1f\x7f/\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd";
  EXPECT_EQ(back, full);
  ASSERT_TRUE(FromJson(ToJson(full, 2), back, &error)) << error;
  EXPECT_EQ(back, full);
  ASSERT_TRUE(FromJson(" \t\r\n{ \"version\" : \"a\\u00e9\\ud83d\\ude00\\/\\\"\" , \"x\":"
                       "[{\"y\":[null,true,false,-1.5e3,\"\\n\"]},{}], \"pid\":1,\"pid\":2,"
                       "\"announce\":{\"table\":3},\"announce\":{\"frr\":true},"
                       "\"instances\":[{\"vrid\":5,\"name\":\"a\",\"vips\":[\"b\"],"
                       "\"vips\":[]}] } \n",
                       back, &error))
      << error;
  Status expected;
  expected.version = "a\xc3\xa9\xf0\x9f\x98\x80/\"";
  expected.pid = 2;
  expected.announce.frr = true;
  expected.instances.emplace_back();
  expected.instances[0].vrid = 5;
  expected.instances[0].name = "a";
  EXPECT_EQ(back, expected);
}

// Truncated, malformed and hostile reports are refused with the reason and where, and
// leave no crash: every prefix of a full report, broken strings and escapes, invalid UTF-8,
// nesting deeper than the reader follows.
TEST(StatusTest, FromJsonRefusesMalformedReports) {
  const std::string text = ToJson(Full());
  Status out;
  for (size_t n = 0; n < text.size(); ++n)
    EXPECT_FALSE(FromJson(std::string_view(text).substr(0, n), out)) << n;
  std::string error;
  const std::pair<std::string, std::string> cases[] = {
      {"", "expected an object at byte 0"},
      {"not json", "expected an object at byte 0"},
      {"[1,2]", "expected an object at byte 0"},
      {R"({"pid":"x"})", "expected a number at byte 7"},
      {R"({"pid":1}x)", "text after the document at byte 9"},
      {R"({"pid":1,})", "expected a member's name at byte 9"},
      {R"({"pid" 1})", "expected ':' at byte 7"},
      {R"({"version":"a)", "an unterminated string at byte 13"},
      {"{\"version\":\"a\nb\"}", "a control character in a string at byte 13"},
      {R"({"version":"\x"})", "an invalid escape at byte 14"},
      {R"({"version":"\u12"})", "a short \\u escape at byte 14"},
      {R"({"version":"\udc00"})", "a lone low surrogate at byte 18"},
      {R"({"version":"\ud800x"})", "a high surrogate without its low one at byte 18"},
      {"{\"version\":\"\xff\"}", "invalid UTF-8 at byte 12"},
      {"{\"version\":\"\xc0\xaf\"}", "invalid UTF-8 at byte 12"},
      {"{\"version\":\"\xed\xa0\x80\"}", "invalid UTF-8 at byte 12"},
      {"{\"version\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8 at byte 12"},
      {"{\"version\":\"\xe2\x82\"}", "invalid UTF-8 at byte 12"},
      {R"({"x":tru})", "expected a value at byte 5"},
      {R"({"x":-})", "expected a number at byte 6"},
      {R"({"x":1.})", "a fraction without digits at byte 7"},
      {R"({"x":1e+})", "an exponent without digits at byte 8"},
      {R"({"x":[3e2500]})", "a number no double holds at byte 12"},
      {R"({"instances":{}})", "expected an array at byte 13"},
      {R"({"instances":[1]})", "expected an object at byte 14"},
      {R"({"instances":[{"vips":[1]}]})", "expected a string at byte 23"},
      {R"({"lb_restorations":{"a":"b"}})", "expected a number at byte 24"},
      {R"({"last_reload_ok":1})", "expected true or false at byte 18"},
      {"{\"x\":" + std::string(100000, '['), "values nested too deep at byte 69"},
  };
  for (const auto& [bad, why] : cases) {
    error.clear();
    EXPECT_FALSE(FromJson(bad, out, &error)) << bad;
    EXPECT_EQ(error, why) << bad;
  }
  EXPECT_TRUE(FromJson("{\"x\":" + std::string(60, '[') + std::string(60, ']') + "}", out));
}

TEST(StatusTest, FromJsonFillsDefaultsForMissingFields) {
  Status out;
  ASSERT_TRUE(FromJson(R"({"pid":7})", out));
  EXPECT_EQ(out.pid, 7);
  EXPECT_TRUE(out.instances.empty());
  EXPECT_TRUE(out.last_reload_ok);
}

TEST(StatusTest, PrometheusExposition) {
  std::string text = RenderPrometheus(Sample());
  EXPECT_NE(text.find("# TYPE vigil_vrrp_instance_state gauge\n"), std::string::npos);
  EXPECT_NE(text.find("vigil_vrrp_instance_state{instance=\"VI_1\",state=\"MASTER\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("vigil_vrrp_instance_state{instance=\"VI_1\",state=\"BACKUP\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("vigil_vrrp_instance_effective_priority{instance=\"VI_1\"} 90\n"),
            std::string::npos);
  EXPECT_NE(text.find(
                "vigil_vrrp_packets_rejected_total{instance=\"VI_1\",reason=\"bad_ttl\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("vigil_reloads_total{result=\"ok\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("vigil_reloads_total{result=\"failed\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("vigil_lb_real_server_up{virtual_server=\"10.0.0.10:80/tcp\","
                      "real_server=\"10.0.1.1:8080\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("vigil_lb_check_latency_seconds{virtual_server=\"10.0.0.10:80/tcp\","
                      "real_server=\"10.0.1.1:8080\"} 0.002\n"),
            std::string::npos);
}

TEST(StatusTest, TheOperatorsRuntimeStateIsExportedAndSurvivesTheJsonRoundTrip) {
  Status s = Sample();
  RealServerStatus& rs = s.virtual_servers[0].real_servers[0];
  rs.admin = "draining";
  rs.admin_weight = 40;
  rs.drain_left_s = 12.5;
  Status back;
  ASSERT_TRUE(FromJson(ToJson(s), back));
  EXPECT_EQ(back, s);
  std::string text = RenderPrometheus(s);
  const std::string labels = "virtual_server=\"10.0.0.10:80/tcp\",real_server=\"10.0.1.1:8080\"";
  EXPECT_NE(text.find("vigil_lb_real_server_admin{" + labels + ",state=\"enabled\"} 0\n"
                      "vigil_lb_real_server_admin{" + labels + ",state=\"disabled\"} 0\n"
                      "vigil_lb_real_server_admin{" + labels + ",state=\"draining\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("vigil_lb_real_server_admin_weight{" + labels + "} 40\n"),
            std::string::npos);
  // Without an operator's weight, no sample.
  EXPECT_EQ(RenderPrometheus(Sample()).find("vigil_lb_real_server_admin_weight{"),
            std::string::npos);
}

TEST(StatusTest, MaintenanceAndVrrpRuntimeStateAreExportedAndSurviveTheJsonRoundTrip) {
  EXPECT_NE(RenderPrometheus(Sample()).find("\nvigil_maintenance 0\n"), std::string::npos);
  EXPECT_EQ(RenderPrometheus(Sample()).find("vigil_vrrp_instance_runtime_priority{"),
            std::string::npos);
  Status s = Sample();
  s.maintenance = true;
  s.instances[0].runtime_priority = 150;
  s.instances[0].hold = "maintenance";
  Status back;
  ASSERT_TRUE(FromJson(ToJson(s), back));
  EXPECT_EQ(back, s);
  std::string text = RenderPrometheus(s);
  EXPECT_NE(text.find("\nvigil_maintenance 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vigil_vrrp_instance_runtime_priority{instance=\"VI_1\"} 150\n"),
            std::string::npos);
  EXPECT_NE(text.find("vigil_vrrp_instance_held{instance=\"VI_1\",reason=\"maintenance\"} 1\n"
                      "vigil_vrrp_instance_held{instance=\"VI_1\",reason=\"failover\"} 0\n"
                      "vigil_vrrp_instance_held{instance=\"VI_1\",reason=\"lb_not_ready\"} 0\n"),
            std::string::npos);
}

TEST(StatusTest, EventsAndWatchersAreExportedAndSurviveTheJsonRoundTrip) {
  Status s = Sample();
  s.events = 17;
  s.listeners.push_back(ListenerStatus{.name = "control", .accepted = 5, .open = 3,
                                       .watching = 2, .max_connections = 32});
  Status back;
  ASSERT_TRUE(FromJson(ToJson(s), back));
  EXPECT_EQ(back, s);
  std::string text = RenderPrometheus(s);
  EXPECT_NE(text.find("# TYPE vigil_events_total counter\nvigil_events_total 17\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE vigil_listener_watchers gauge\n"
                      "vigil_listener_watchers{listener=\"control\"} 2\n"),
            std::string::npos)
      << text;
}

TEST(StatusTest, RestorationsAreCountedByReasonAndSurviveTheJsonRoundTrip) {
  Status s = Sample();
  s.lb_restorations = {{"event", 3}, {"damaged", 1}};
  Status back;
  ASSERT_TRUE(FromJson(ToJson(s), back));
  EXPECT_EQ(back.lb_restorations, s.lb_restorations);
  std::string text = RenderPrometheus(s);
  EXPECT_NE(text.find("# TYPE vigil_lb_restorations_total counter\n"
                      "vigil_lb_restorations_total{reason=\"event\"} 3\n"
                      "vigil_lb_restorations_total{reason=\"audit\"} 0\n"
                      "vigil_lb_restorations_total{reason=\"damaged\"} 1\n"
                      "vigil_lb_restorations_total{reason=\"rejected\"} 0\n"),
            std::string::npos)
      << text;
}

TEST(StatusTest, ConntrackdCommandsAreCountedByCommandAndResult) {
  Status s = Sample();
  EXPECT_EQ(RenderPrometheus(s).find("vigil_conntrackd"), std::string::npos);
  s.conntrackd_commands = {{"commit", {{"success", 2}, {"failure", 0}, {"timeout", 1}}},
                           {"flush", {{"success", 3}, {"failure", 0}, {"timeout", 0}}}};
  Status back;
  ASSERT_TRUE(FromJson(ToJson(s), back));
  EXPECT_EQ(back.conntrackd_commands, s.conntrackd_commands);
  std::string text = RenderPrometheus(s);
  EXPECT_NE(text.find("# TYPE vigil_conntrackd_commands_total counter\n"
                      "vigil_conntrackd_commands_total{command=\"commit\",result=\"failure\"} 0\n"
                      "vigil_conntrackd_commands_total{command=\"commit\",result=\"success\"} 2\n"
                      "vigil_conntrackd_commands_total{command=\"commit\",result=\"timeout\"} 1\n"
                      "vigil_conntrackd_commands_total{command=\"flush\",result=\"failure\"} 0\n"
                      "vigil_conntrackd_commands_total{command=\"flush\",result=\"success\"} 3\n"),
            std::string::npos)
      << text;
}

TEST(StatusTest, AnnouncementsAreExportedAndSurviveTheJsonRoundTrip) {
  Status s = Sample();
  EXPECT_EQ(RenderPrometheus(s).find("vigil_announce"), std::string::npos);
  s.announce.table = 100;
  s.announce.announced = {"10.0.0.1", "fd00::1"};
  s.announce.held = {{"10.0.0.2", "VI_1 not MASTER"}};
  Status back;
  ASSERT_TRUE(FromJson(ToJson(s), back));
  EXPECT_EQ(back.announce, s.announce);
  std::string text = RenderPrometheus(s);
  EXPECT_NE(text.find("# TYPE vigil_announce_table gauge\nvigil_announce_table 100\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE vigil_announce_route gauge\n"
                      "vigil_announce_route{address=\"10.0.0.1\"} 1\n"
                      "vigil_announce_route{address=\"fd00::1\"} 1\n"
                      "vigil_announce_route{address=\"10.0.0.2\"} 0\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("\nvigil_announce_error 0\n"), std::string::npos) << text;
}

TEST(StatusTest, BfdSessionsAreExportedAndSurviveTheJsonRoundTrip) {
  Status s = Sample();
  BfdSessionStatus b;
  b.name = "to_router";
  b.neighbor = "10.0.0.1";
  b.source = "10.0.0.2";
  b.state = "Up";
  b.remote_state = "Up";
  b.diag = "No Diagnostic";
  b.local_discriminator = 7;
  b.remote_discriminator = 9;
  b.tx_interval_s = 0.1;
  b.detection_time_s = 0.3;
  b.packets_sent = 40;
  b.packets_received = 38;
  b.up_transitions = 2;
  b.down_transitions = 1;
  s.bfd_sessions.push_back(b);
  s.bfd_dropped = {{"bad_ttl", 5}};
  Status back;
  ASSERT_TRUE(FromJson(ToJson(s), back));
  EXPECT_EQ(back, s);
  std::string text = RenderPrometheus(s);
  EXPECT_NE(text.find("# TYPE vigil_bfd_session_state gauge\n"
                      "vigil_bfd_session_state{session=\"to_router\",state=\"AdminDown\"} 0\n"
                      "vigil_bfd_session_state{session=\"to_router\",state=\"Down\"} 0\n"
                      "vigil_bfd_session_state{session=\"to_router\",state=\"Init\"} 0\n"
                      "vigil_bfd_session_state{session=\"to_router\",state=\"Up\"} 1\n"),
            std::string::npos)
      << text;
  for (const char* line : {"vigil_bfd_session_detection_time_seconds{session=\"to_router\"} 0.3\n",
                           "vigil_bfd_packets_sent_total{session=\"to_router\"} 40\n",
                           "vigil_bfd_packets_received_total{session=\"to_router\"} 38\n",
                           "vigil_bfd_session_transitions_total{session=\"to_router\",to=\"Up\"} 2\n",
                           "vigil_bfd_session_transitions_total{session=\"to_router\",to=\"Down\"} 1\n",
                           "vigil_bfd_packets_dropped_total{reason=\"bad_ttl\"} 5\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  EXPECT_EQ(RenderPrometheus(Sample()).find("vigil_bfd_"), std::string::npos);
}

TEST(StatusTest, PrometheusEscapesLabelValues) {
  Status s;
  InstanceStatus i;
  i.name = "a\"b\\c\nd";
  i.state = "BACKUP";
  s.instances.push_back(i);
  std::string text = RenderPrometheus(s);
  EXPECT_NE(text.find("instance=\"a\\\"b\\\\c\\nd\""), std::string::npos);
}

}  // namespace
}  // namespace vigil::control
