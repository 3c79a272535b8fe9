#include <gtest/gtest.h>

#include "config/build.h"
#include "tree_text.h"

namespace vigil::config {
namespace {

using testing::DiagLines;
using testing::TreeFromText;
using Strings = std::vector<std::string>;

// keepalived 2.2.7 -t on these lines (checked live): each is a configuration error (exit
// 5) — the lines it ignores, and the old names, which it still takes.
TEST(BuildGarpExtraTest, IgnoredLinesAndOldNamesAreErrorsAsInKeepalived) {
  Diagnostics parse, d;
  auto cfg = Build(TreeFromText(R"(global_defs {
  vrrp_garp_extra_if 0
  vrrp_vmac_garp_intvl all 30
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 61
  garp_extra_if all
  garp_extra_if 10s all
  vmac_garp_intvl 5
  garp_extra_if 0
  virtual_ipaddress {
    10.0.0.1/24
  }
})", parse), d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"2:22: error: vrrp_garp_extra_if: '0' is neither `all` nor a number of "
                     "seconds (1..86400); ignored",
                     "3:3: warning: vrrp_vmac_garp_intvl is deprecated; use vrrp_garp_extra_if",
                     "8:3: error: vrrp_instance VI_1: garp_extra_if has no time; ignored",
                     "9:17: error: vrrp_instance VI_1: garp_extra_if: '10s' is neither `all` "
                     "nor a number of seconds (0..86400); ignored",
                     "10:3: warning: vrrp_instance VI_1: vmac_garp_intvl is deprecated; use "
                     "garp_extra_if"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
  // The lines stay as read: the VRRP engine takes the valid ones.
  EXPECT_EQ(cfg.vrrp_instances.at(0).other.size(), 4u);
}

}  // namespace
}  // namespace vigil::config
