#include <gtest/gtest.h>

#include "config/build.h"
#include "tree_text.h"

namespace vigil::config {
namespace {

using testing::DiagLines;
using testing::TreeFromText;
using Strings = std::vector<std::string>;

model::Global BuildGlobal(std::string_view body, Diagnostics& d) {
  Diagnostics parse;
  return Build(TreeFromText("global_defs {\n" + std::string(body) + "}\n", parse), d).global;
}

std::optional<uint32_t> Umask(std::string_view line, Strings* diags = nullptr) {
  Diagnostics d;
  auto g = BuildGlobal(std::string(line) + "\n", d);
  if (diags) *diags = DiagLines(d);
  else EXPECT_EQ(DiagLines(d), Strings{}) << line;
  return g.umask;
}

TEST(BuildProcessTest, UmaskNumbersInKeepalivedsBases) {
  Diagnostics d;
  EXPECT_FALSE(BuildGlobal("", d).umask);
  EXPECT_EQ(Umask("umask 0177"), 0177u);
  EXPECT_EQ(Umask("umask 18"), 022u);
  EXPECT_EQ(Umask("umask 0x12"), 022u);
  EXPECT_EQ(Umask("umask 0"), 0u);
}

TEST(BuildProcessTest, UmaskBits) {
  EXPECT_EQ(Umask("umask IWGRP|IWOTH"), 022u);
  EXPECT_EQ(Umask("umask IXUSR | IRWXG |IRWXO"), 0177u);
  EXPECT_EQ(Umask("umask IRWXO"), 07u);
}

TEST(BuildProcessTest, UmaskErrors) {
  Strings d;
  EXPECT_FALSE(Umask("umask 0800", &d));
  EXPECT_EQ(d, Strings{"2:7: error: invalid umask value '0800' (0 to 0777: octal with a "
                       "leading 0, hex with 0x, else decimal)"});
  EXPECT_FALSE(Umask("umask 01000", &d));
  EXPECT_EQ(d.size(), 1u);
  EXPECT_FALSE(Umask("umask 022 IRGRP", &d));
  EXPECT_EQ(d, Strings{"2:11: error: umask: a number takes no further parameters"});
  EXPECT_FALSE(Umask("umask IRGRP IWGRP", &d));
  EXPECT_EQ(d, Strings{"2:13: error: invalid umask syntax 'IWGRP': bits are joined with '|'"});
  EXPECT_FALSE(Umask("umask IRGRP|IFOO", &d));
  EXPECT_EQ(d, Strings{"2:7: error: unknown umask bit 'IFOO' (I{R,W,X}{USR,GRP,OTH} or "
                       "IRWX{U,G,O})"});
  EXPECT_FALSE(Umask("umask IRGRP |", &d));
  EXPECT_EQ(d, Strings{"2:13: error: umask: a bit is missing after the last '|'"});
}

TEST(BuildProcessTest, ProcessNames) {
  Diagnostics d;
  auto g = BuildGlobal("process_name ha\nvrrp_process_name ha_vrrp\n"
                       "checker_process_name ha_check\n", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  EXPECT_EQ(g.process_name, "ha");
  EXPECT_EQ(g.vrrp_process_name, "ha_vrrp");
  EXPECT_EQ(g.checker_process_name, "ha_check");
  // process_names gives the children keepalived's names; later lines win, as there.
  g = BuildGlobal("vrrp_process_name mine\nprocess_names\nlvs_process_name lvs\n", d);
  EXPECT_FALSE(g.process_name);
  EXPECT_EQ(g.vrrp_process_name, "keepalived_vrrp");
  EXPECT_EQ(g.checker_process_name, "lvs");
  EXPECT_EQ(g.bfd_process_name, "keepalived_bfd");
}

TEST(BuildProcessTest, ALongProcessNameIsTruncatedWithAnError) {
  Diagnostics d;
  auto g = BuildGlobal("vrrp_process_name a_very_long_process_name\n", d);
  EXPECT_EQ(g.vrrp_process_name, "a_very_long_pro");
  EXPECT_EQ(DiagLines(d), Strings{"2:19: error: vrrp_process_name: 'a_very_long_process_name' "
                                  "is longer than 15 characters; truncated to "
                                  "'a_very_long_pro'"});
}

TEST(BuildProcessTest, RandomSeed) {
  Diagnostics d;
  EXPECT_EQ(BuildGlobal("random_seed 4294967295\n", d).random_seed, 4294967295u);
  EXPECT_EQ(DiagLines(d), Strings{});
  EXPECT_FALSE(BuildGlobal("random_seed -1\n", d).random_seed);
  EXPECT_EQ(DiagLines(d).size(), 1u);
}

TEST(BuildProcessTest, IncludeCheckWordsAreCheckedAsKeepalivedChecksThem) {
  Diagnostics d;
  BuildGlobal("include_check\ninclude_check match +read -wildcard_match brace_match\n"
              "include_check +bogus\n", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"3:43: error: include_check: 'brace_match' without + or - may only "
                     "come first; ignored",
                     "4:15: error: include_check: unknown check 'bogus' (read, match, "
                     "wildcard_match, brace_match); ignored"}));
}

}  // namespace
}  // namespace vigil::config
