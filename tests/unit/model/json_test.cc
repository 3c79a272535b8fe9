#include "model/json.h"

#include <gtest/gtest.h>

namespace vigil::model {
namespace {

TEST(JsonTest, EmptyConfigTopLevelKeysInOrder) {
  Config c;
  std::string text = ToJsonText(c, -1);
  EXPECT_EQ(text.rfind("{\"global_defs\":{\"router_id\":null,\"notification_email\":[],", 0), 0u) << text;
  size_t pos = 0;
  for (const char* key :
       {"\"net_namespace\":null", "\"child_wait_time\":5.0", "\"vrrp_scripts\":[]",
        "\"vrrp_instances\":[]", "\"vrrp_sync_groups\":[]", "\"virtual_servers\":[]",
        "\"ssl\":null}"}) {
    size_t at = text.find(key, pos);
    ASSERT_NE(at, std::string::npos) << key;
    pos = at;
  }
}

TEST(JsonTest, InstanceFieldsAreTextAndSeconds) {
  Config c;
  VrrpInstance v;
  v.name = "VI_1";
  v.interface = "eth0";
  v.virtual_router_id = 51;
  v.advert_int = std::chrono::milliseconds(1500);
  VirtualAddress a;
  a.prefix = *IpPrefix::Parse("10.0.0.1/24");
  v.virtual_ipaddress.push_back(a);
  c.vrrp_instances.push_back(v);
  std::string text = ToJsonText(c, -1);
  EXPECT_NE(text.find("{\"name\":\"VI_1\",\"state\":\"BACKUP\",\"interface\":\"eth0\","
                      "\"virtual_router_id\":51,\"priority\":100,\"advert_int\":1.5,"
                      "\"version\":2,\"family\":\"inet\",\"virtual_ipaddress\":[{\"address\":"
                      "\"10.0.0.1/24\",\"broadcast\":null,\"dev\":null,\"scope\":null,"
                      "\"label\":null,\"no_track\":false,\"track_group\":null,\"other\":[]}]"),
            std::string::npos)
      << text;
}

TEST(JsonTest, CheckerDetailAndForwarding) {
  Config c;
  VirtualServer vs;
  vs.address = *IpAddress::Parse("10.0.0.1");
  vs.port = 80;
  vs.protocol = Protocol::kTcp;
  vs.scheduler = Scheduler::kRr;
  RealServer rs;
  rs.address = *IpAddress::Parse("10.0.0.2");
  rs.port = 80;
  rs.forwarding.method = LbKind::kTun;
  CheckSpec chk;
  HttpCheck h;
  Url u;
  u.path = "/";
  u.status_codes = {{200, 299}, {301, 301}};
  h.urls.push_back(u);
  chk.detail = h;
  rs.checks.push_back(chk);
  vs.real_servers.push_back(rs);
  c.virtual_servers.push_back(vs);
  std::string text = ToJsonText(c, -1);
  EXPECT_NE(text.find("\"protocol\":\"TCP\",\"lb_algo\":\"rr\",\"lvs_method\":{\"method\":\"NAT\"}"),
            std::string::npos) << text;
  EXPECT_NE(text.find("\"lvs_method\":{\"method\":\"TUN\",\"tunnel_type\":\"ipip\",\"tunnel_port\":0,"
                      "\"tunnel_checksum\":\"nocsum\"}"),
            std::string::npos) << text;
  EXPECT_NE(text.find("\"type\":\"HTTP_GET\""), std::string::npos);
  EXPECT_NE(text.find("\"status_code\":[\"200-299\",\"301\"]"), std::string::npos) << text;
}

TEST(JsonTest, InvalidUtf8InANameIsReplacedNotThrown) {
  Config c;
  VrrpInstance v;
  v.name = "VI_\xff";
  c.vrrp_instances.push_back(v);
  std::string text;
  ASSERT_NO_THROW(text = ToJsonText(c, -1));
  EXPECT_NE(text.find("\"name\":\"VI_\xef\xbf\xbd\""), std::string::npos) << text;
}

TEST(JsonTest, SameModelSameText) {
  Config c;
  c.instance = "x";
  EXPECT_EQ(ToJsonText(c, 2), ToJsonText(c, 2));
  EXPECT_NE(ToJsonText(c, 2).find("\n  \"instance\": \"x\",\n"), std::string::npos);
}

}  // namespace
}  // namespace vigil::model
