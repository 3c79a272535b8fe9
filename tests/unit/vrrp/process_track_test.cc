#include "vrrp/process_track.h"

#include <unistd.h>

#include <gtest/gtest.h>

namespace vigil::vrrp {
namespace {

ProcInfo P(std::string comm, std::vector<std::string> argv) { return {std::move(comm), std::move(argv)}; }

TEST(ProcessTrackTest, NameAloneMatchesCommTruncatedTo15) {
  ProcessSpec s;
  s.process = "haproxy";
  EXPECT_TRUE(Matches(P("haproxy", {"/usr/sbin/haproxy", "-f", "/etc/h.cfg"}), s));
  EXPECT_FALSE(Matches(P("nginx", {"nginx"}), s));
  s.process = "a-very-long-process-name";
  EXPECT_TRUE(Matches(P("a-very-long-pro", {"x"}), s));
}

TEST(ProcessTrackTest, FullCommandMatchesArgvZero) {
  ProcessSpec s;
  s.process = "/usr/sbin/haproxy";
  s.full_command = true;
  EXPECT_TRUE(Matches(P("haproxy", {"/usr/sbin/haproxy"}), s));
  EXPECT_FALSE(Matches(P("haproxy", {"haproxy"}), s));
}

TEST(ProcessTrackTest, ParameterMatchModes) {
  ProcInfo p = P("app", {"app", "-c", "x.conf", "--fg"});
  ProcessSpec s;
  s.process = "app";
  s.params = {"-c", "x.conf", "--fg"};
  EXPECT_TRUE(Matches(p, s));
  s.params = {"-c", "x.conf"};
  EXPECT_FALSE(Matches(p, s));  // exact
  s.param_match = ParamMatch::kInitial;
  EXPECT_TRUE(Matches(p, s));
  s.params = {"x.conf", "--fg"};
  EXPECT_FALSE(Matches(p, s));
  s.param_match = ParamMatch::kPartial;
  EXPECT_TRUE(Matches(p, s));
  s.params = {"--fg", "x.conf"};
  EXPECT_FALSE(Matches(p, s));
}

TEST(ProcessTrackTest, QuorumAndQuorumMax) {
  ProcessSpec s;
  s.process = "w";
  s.quorum = 2;
  s.quorum_max = 3;
  std::vector<ProcInfo> procs = {P("w", {"w"}), P("w", {"w"}), P("x", {"x"})};
  EXPECT_EQ(CountMatching(procs, s), 2u);
  EXPECT_FALSE(QuorumMet(s, 1));
  EXPECT_TRUE(QuorumMet(s, 2));
  EXPECT_TRUE(QuorumMet(s, 3));
  EXPECT_FALSE(QuorumMet(s, 4));
}

TEST(ProcessTrackTest, ReadsThisProcessFromProc) {
  auto procs = ReadProcesses();
  std::string self_cmd;
  char buf[64];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  ASSERT_GT(n, 0);
  ProcessSpec s;
  s.process = "unit_vrrp";
  EXPECT_GE(CountMatching(procs, s), 1u);
}

}  // namespace
}  // namespace vigil::vrrp
