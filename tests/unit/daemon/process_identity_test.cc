#include "daemon/process_identity.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace vigil::daemon {
namespace {

TEST(ProcessIdentityTest, UmaskIsTheOptionElseTheConfigurationElseKeepalivedsDefault) {
  Options o;
  model::Config c;
  EXPECT_EQ(EffectiveUmask(o, c), 0177u);
  c.global.umask = 022;
  EXPECT_EQ(EffectiveUmask(o, c), 022u);
  o.umask = 077;
  EXPECT_EQ(EffectiveUmask(o, c), 077u);
  o.umask = 0;
  EXPECT_EQ(EffectiveUmask(o, c), 0u);
}

TEST(ProcessIdentityTest, CreatedFilesAreReadWriteLessTheMask) {
  EXPECT_EQ(CreatedFileMode(0177), 0600u);
  EXPECT_EQ(CreatedFileMode(022), 0644u);
  EXPECT_EQ(CreatedFileMode(0), 0666u);
}

TEST(ProcessIdentityTest, NamesAreConfiguredElseVigils) {
  model::Config c;
  EXPECT_EQ(ProcessName(c, ""), "vigild");
  EXPECT_EQ(ProcessName(c, "vrrp"), "vigild-vrrp");
  EXPECT_EQ(ProcessName(c, "check"), "vigild-check");
  c.global.process_name = "ha";
  c.global.vrrp_process_name = "keepalived_vrrp";
  c.global.checker_process_name = "keepalived_lvs";
  EXPECT_EQ(ProcessName(c, ""), "ha");
  EXPECT_EQ(ProcessName(c, "vrrp"), "keepalived_vrrp");
  EXPECT_EQ(ProcessName(c, "check"), "keepalived_lvs");
}

TEST(ProcessIdentityTest, ApplySetsTheUmaskAndTheName) {
  // In a child, so that this test process keeps its own.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Options o;
    model::Config c;
    c.global.umask = 027;
    c.global.vrrp_process_name = "ha_vrrp";
    ApplyProcessIdentity(o, c, "vrrp");
    char name[16] = {};
    prctl(PR_GET_NAME, name);
    const mode_t mask = umask(0);
    _exit(std::string(name) == "ha_vrrp" && mask == 027 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace vigil::daemon
