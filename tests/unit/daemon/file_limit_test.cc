#include "daemon/file_limit.h"

#include <gtest/gtest.h>

namespace vigil::daemon {
namespace {

model::Config WithChecks(size_t virtual_servers, size_t real_servers, size_t checks) {
  model::Config c;
  for (size_t v = 0; v < virtual_servers; ++v) {
    model::VirtualServer vs;
    for (size_t r = 0; r < real_servers; ++r) {
      model::RealServer rs;
      rs.checks.resize(checks);
      vs.real_servers.push_back(rs);
    }
    c.virtual_servers.push_back(vs);
  }
  return c;
}

TEST(FileLimitTest, CheckerNeedsGrowWithItsChecks) {
  EXPECT_EQ(FileLimitNeeded(model::Config{}, "check"), kFileLimitBase);
  // 10 virtual servers x 1,000 real servers x 1 check: 2 per check, 2 per virtual server.
  EXPECT_EQ(FileLimitNeeded(WithChecks(10, 1000, 1), "check"), kFileLimitBase + 20000 + 20);
  // A real server without a checker still counts one.
  EXPECT_EQ(FileLimitNeeded(WithChecks(1, 3, 0), "check"), kFileLimitBase + 6 + 2);
  EXPECT_EQ(FileLimitNeeded(WithChecks(1, 2, 3), "check"), kFileLimitBase + 12 + 2);
}

TEST(FileLimitTest, VrrpAndSupervisorNeeds) {
  model::Config c;
  c.vrrp_instances.resize(100);
  c.vrrp_scripts.resize(5);
  c.track_files.resize(2);
  EXPECT_EQ(FileLimitNeeded(c, "vrrp"), kFileLimitBase + 400 + 14);
  EXPECT_EQ(FileLimitNeeded(c, ""), kFileLimitBase + 64) << "the listeners at their caps";
}

TEST(FileLimitTest, RaisesOnlyWhatIsShort) {
  rlimit enough{4096, 524288};
  rlimit r = RaisedFileLimit(enough, 2000);
  EXPECT_EQ(r.rlim_cur, 4096u);
  EXPECT_EQ(r.rlim_max, 524288u);
  r = RaisedFileLimit(rlimit{1024, 524288}, 20084);
  EXPECT_EQ(r.rlim_cur, 20084u);
  EXPECT_EQ(r.rlim_max, 524288u);
  r = RaisedFileLimit(rlimit{1024, 4096}, 20084);
  EXPECT_EQ(r.rlim_cur, 20084u);
  EXPECT_EQ(r.rlim_max, 20084u) << "the hard limit too (root may)";
  r = RaisedFileLimit(rlimit{RLIM_INFINITY, RLIM_INFINITY}, 20084);
  EXPECT_EQ(r.rlim_cur, RLIM_INFINITY);
}

TEST(FileLimitTest, RaiseFileLimitSetsTheProcessLimit) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low{256, saved.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  auto r = RaiseFileLimit(300);
  rlimit now{};
  getrlimit(RLIMIT_NOFILE, &now);
  setrlimit(RLIMIT_NOFILE, &saved);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(now.rlim_cur, 300u);
  EXPECT_EQ(r->rlim_cur, 300u);
}

}  // namespace
}  // namespace vigil::daemon
