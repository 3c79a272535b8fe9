#include "vrrp/instance_spec.h"

#include <gtest/gtest.h>

#include "model/config.h"

namespace vigil::vrrp {
namespace {

model::Config TwoTrackedScripts(std::optional<std::string> found_program) {
  model::Config c;
  model::VrrpScript found;
  found.name = "chk_haproxy";
  found.command = "killall -0 haproxy";
  found.program = std::move(found_program);  // set by config::ResolveCommands when found
  found.weight = 2;
  model::VrrpScript absolute;
  absolute.name = "chk_file";
  absolute.command = "/usr/bin/test -e /run/flag";
  absolute.weight = 3;
  c.vrrp_scripts = {found, absolute};
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.interface = "eth0";
  vi.virtual_router_id = 51;
  vi.track_script = {{"chk_haproxy", std::nullopt, false, {}}, {"chk_file", std::nullopt, false, {}}};
  c.vrrp_instances = {vi};
  return c;
}

TEST(SpecFromModelTest, TrackScriptFoundAlongPathRunsTheProgramFound) {
  VrrpSpec spec = SpecFromModel(TwoTrackedScripts("/usr/bin/killall"));
  ASSERT_EQ(spec.scripts.size(), 2u);
  EXPECT_EQ(spec.scripts[0].command.argv,
            (std::vector<std::string>{"/usr/bin/killall", "-0", "haproxy"}));
  ASSERT_EQ(spec.instances.size(), 1u);
  ASSERT_EQ(spec.instances[0].track_scripts.size(), 2u);
  EXPECT_EQ(spec.instances[0].track_scripts[0].name, "chk_haproxy");
  EXPECT_EQ(spec.instances[0].track_scripts[0].weight, 2);
}

TEST(SpecFromModelTest, TrackScriptNotFoundAlongPathIsDroppedAsKeepalivedDoes) {
  // keepalived: "track script chk_haproxy not found, ignoring": the instance neither runs it
  // nor loses priority for it; the other tracked script stays.
  VrrpSpec spec = SpecFromModel(TwoTrackedScripts(std::nullopt));
  ASSERT_EQ(spec.scripts.size(), 1u);
  EXPECT_EQ(spec.scripts[0].name, "chk_file");
  ASSERT_EQ(spec.instances.size(), 1u);
  ASSERT_EQ(spec.instances[0].track_scripts.size(), 1u);
  EXPECT_EQ(spec.instances[0].track_scripts[0].name, "chk_file");
  EXPECT_EQ(spec.instances[0].track_scripts[0].weight, 3);
}

}  // namespace
}  // namespace vigil::vrrp
