#include "vrrp/rt_names.h"

#include <linux/rtnetlink.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

#include "vrrp/routes.h"

namespace vigil::vrrp {
namespace {

using Kind = RtNames::Kind;

TEST(RtNamesTest, DefaultsAreIproute2sBuiltInNames) {
  const RtNames& n = RtNames::Defaults();
  EXPECT_EQ(n.Find(Kind::kTable, "main"), RT_TABLE_MAIN);
  EXPECT_EQ(n.Find(Kind::kTable, "local"), RT_TABLE_LOCAL);
  EXPECT_EQ(n.Find(Kind::kTable, "default"), RT_TABLE_DEFAULT);
  EXPECT_EQ(n.Find(Kind::kTable, "4000000000"), 4000000000u);
  EXPECT_EQ(n.Find(Kind::kTable, "0x10"), 16u);
  EXPECT_EQ(n.Find(Kind::kTable, "web"), std::nullopt);
  EXPECT_EQ(n.Find(Kind::kTable, "-1"), std::nullopt);
  EXPECT_EQ(n.Find(Kind::kProtocol, "zebra"), RTPROT_ZEBRA);
  EXPECT_EQ(n.Find(Kind::kProtocol, "dhcp"), RTPROT_DHCP);
  EXPECT_EQ(n.Find(Kind::kProtocol, "255"), 255u);
  EXPECT_EQ(n.Find(Kind::kProtocol, "256"), std::nullopt);
  EXPECT_EQ(n.Find(Kind::kScope, "site"), RT_SCOPE_SITE);
  EXPECT_EQ(n.Find(Kind::kScope, "nowhere"), RT_SCOPE_NOWHERE);
}

TEST(RtNamesTest, FileLinesAsKeepalivedReadsThem) {
  RtNames n;
  n.AddText(Kind::kTable,
            "# comment\n100 web # trailing comment\n\n 200\tdb\n300 two words\nx bad\n"
            "-5 neg\n0x2a hex\n4294967296 big\n201 db\n");
  n.AddText(Kind::kProtocol, "77 vigil\n300 toobig\n");
  n.AddDefaults();
  EXPECT_EQ(n.Find(Kind::kTable, "web"), 100u);
  EXPECT_EQ(n.Find(Kind::kTable, "db"), 200u);  // the first entry so named
  EXPECT_EQ(n.Find(Kind::kTable, "two"), std::nullopt);
  EXPECT_EQ(n.Find(Kind::kTable, "bad"), std::nullopt);
  EXPECT_EQ(n.Find(Kind::kTable, "neg"), std::nullopt);
  EXPECT_EQ(n.Find(Kind::kTable, "hex"), 42u);
  EXPECT_EQ(n.Find(Kind::kTable, "big"), std::nullopt);
  EXPECT_EQ(n.Find(Kind::kTable, "main"), RT_TABLE_MAIN);
  EXPECT_EQ(n.Find(Kind::kProtocol, "vigil"), 77u);
  EXPECT_EQ(n.Find(Kind::kProtocol, "toobig"), std::nullopt);
  // A file's name for a built-in number replaces the built-in name.
  RtNames renamed;
  renamed.AddText(Kind::kTable, "254 primary\n");
  renamed.AddDefaults();
  EXPECT_EQ(renamed.Find(Kind::kTable, "primary"), RT_TABLE_MAIN);
  EXPECT_EQ(renamed.Find(Kind::kTable, "main"), std::nullopt);
  EXPECT_EQ(renamed.Find(Kind::kTable, "local"), RT_TABLE_LOCAL);
}

class RtNamesFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-rtnames-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    etc_ = dir_ + "/etc";
    usr_ = dir_ + "/usr";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
  }
  std::string dir_, etc_, usr_;
};

TEST_F(RtNamesFilesTest, EtcFileOverridesUsrFileAndBothDirectoriesAddConfFiles) {
  Write(usr_ + "/rt_tables", "10 usr_only\n");
  Write(etc_ + "/rt_tables", "20 etc_file\n");
  Write(usr_ + "/rt_tables.d/a.conf", "30 usr_a\n");
  Write(usr_ + "/rt_tables.d/b.conf", "40 usr_b\n");          // shadowed by etc's b.conf
  Write(usr_ + "/rt_tables.d/c.txt", "50 not_conf\n");
  Write(usr_ + "/rt_tables.d/.hidden.conf", "60 hidden\n");
  Write(etc_ + "/rt_tables.d/b.conf", "70 etc_b\n");
  Write(etc_ + "/rt_protos", "77 vigil\n");
  Write(usr_ + "/rt_scopes", "100 far\n");
  Write(etc_ + "/group", "0 default\n7 web\n2147483648 too_big\n");
  RtNames n = RtNames::Load(etc_, usr_);
  // Interface groups (use_vmac / use_ipvlan group): numbers up to INT32_MAX, no built-ins.
  EXPECT_EQ(n.Find(Kind::kGroup, "web"), 7u);
  EXPECT_EQ(n.Find(Kind::kGroup, "default"), 0u);
  EXPECT_EQ(n.Find(Kind::kGroup, "too_big"), std::nullopt);
  EXPECT_EQ(n.Find(Kind::kGroup, "2147483647"), 2147483647u);
  EXPECT_EQ(RtNames::Defaults().Find(Kind::kGroup, "default"), std::nullopt);
  EXPECT_EQ(n.Find(Kind::kTable, "usr_only"), std::nullopt);
  EXPECT_EQ(n.Find(Kind::kTable, "etc_file"), 20u);
  EXPECT_EQ(n.Find(Kind::kTable, "usr_a"), 30u);
  EXPECT_EQ(n.Find(Kind::kTable, "usr_b"), std::nullopt);
  EXPECT_EQ(n.Find(Kind::kTable, "not_conf"), std::nullopt);
  EXPECT_EQ(n.Find(Kind::kTable, "hidden"), std::nullopt);
  EXPECT_EQ(n.Find(Kind::kTable, "etc_b"), 70u);
  EXPECT_EQ(n.Find(Kind::kTable, "main"), RT_TABLE_MAIN);
  EXPECT_EQ(n.Find(Kind::kProtocol, "vigil"), 77u);
  EXPECT_EQ(n.Find(Kind::kScope, "far"), 100u);  // no etc file: usr's
  // Missing directories: the built-in names only.
  RtNames none = RtNames::Load(dir_ + "/nothing", "");
  EXPECT_EQ(none.Find(Kind::kTable, "etc_file"), std::nullopt);
  EXPECT_EQ(none.Find(Kind::kProtocol, "static"), RTPROT_STATIC);
}

TEST(RtNamesTest, RoutesAndRulesReadNames) {
  RtNames n;
  n.AddText(Kind::kTable, "100 web\n");
  n.AddText(Kind::kProtocol, "77 vigil\n");
  n.AddText(Kind::kScope, "200 far\n");
  n.AddDefaults();
  auto lookup = [](const std::string& name) { return name == "eth0" ? 2 : 0; };
  auto r = ParseRoute({"10.1.0.0/16", "dev", "eth0", "table", "web", "protocol", "vigil", "scope",
                       "far", "no_track"},
                      "eth0", lookup, n);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->table, 100u);
  EXPECT_EQ(r->protocol, 77);
  EXPECT_EQ(r->scope, 200);
  auto unknown = ParseRoute({"10.1.0.0/16", "table", "web"}, "eth0", lookup);  // defaults only
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().context(), "not a table: 'web'");
  auto rule = ParseRule({"from", "10.1.0.0/16", "lookup", "web"}, n);
  ASSERT_TRUE(rule.has_value());
  EXPECT_EQ(rule->table, 100u);
  auto proto = ParseRoute({"10.1.0.0/16", "protocol", "zebra", "no_track"}, "eth0", lookup);
  ASSERT_TRUE(proto.has_value());
  EXPECT_EQ(proto->protocol, RTPROT_ZEBRA);
  // keepalived 2.2.7 knows `protocol` only on a route, and preference / priority / order on
  // a rule: ip(8)'s short forms are unknown options there (-t exits 5).
  auto short_proto = ParseRoute({"10.1.0.0/16", "proto", "zebra"}, "eth0", lookup);
  ASSERT_FALSE(short_proto.has_value());
  EXPECT_EQ(short_proto.error().context(), "unsupported route option 'proto'");
  for (const char* word : {"pref", "prio"}) {
    auto short_pref = ParseRule({"from", "10.1.0.0/16", "table", "100", word, "10"});
    ASSERT_FALSE(short_pref.has_value()) << word;
    EXPECT_EQ(short_pref.error().context(), std::string("unsupported rule option '") + word + "'");
  }
}

}  // namespace
}  // namespace vigil::vrrp
