#include "vrrp/trackers.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <asio.hpp>

namespace vigil::vrrp {
namespace {

// A scratch directory removed at the end of the test.
class TrackersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-trackers-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    trackers_.Stop();
    std::filesystem::remove_all(dir_);
  }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }

  // Runs the loop until a tracker tells of a change (bounded); returns whether one did.
  bool RunUntilChanged() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (changes_ == 0 && std::chrono::steady_clock::now() < deadline)
      io_.run_for(std::chrono::milliseconds(10));
    return changes_ > 0;
  }

  static InstanceSpec Instance() {
    InstanceSpec s;
    s.name = "VI_1";
    s.interface = "eth0";
    s.params.priority = 100;
    return s;
  }

  std::string dir_;
  asio::io_context io_;
  int changes_ = 0;
  Trackers trackers_{io_, [this] { ++changes_; }};
};

bool AllUp(const std::string&) { return true; }

VrrpSpec Tracking(const InstanceSpec& in, std::vector<ScriptSpec> scripts = {}) {
  VrrpSpec spec;
  spec.instances = {in};
  spec.scripts = std::move(scripts);
  return spec;
}

TEST_F(TrackersTest, InterfacesWeighAsTheCallerReportsThem) {
  InstanceSpec in = Instance();
  in.track_interfaces = {{"eth1", -10, false}, {"eth2", 5, false}, {"eth3", 0, false}};
  trackers_.Configure(Tracking(in));
  auto down = [](const std::string& name) { return name != "eth1"; };
  TrackingResult r = trackers_.Evaluate(in, 100, down);
  EXPECT_FALSE(r.fault);
  EXPECT_EQ(r.effective, 95);  // 100 - 10 (eth1 down) + 5 (eth2 up)
  EXPECT_EQ(r.faults, std::vector<std::string>{});
  r = trackers_.Evaluate(in, 120, [](const std::string& name) { return name != "eth3"; });
  EXPECT_TRUE(r.fault);  // weight 0 and down
  EXPECT_EQ(r.faults, std::vector<std::string>{"track_interface eth3"});
  EXPECT_EQ(trackers_.Evaluate(in, 120, AllUp).effective, 125);  // the base given is used
}

TEST_F(TrackersTest, AFileIsReadAtConfigureAndFollowedWhenRewritten) {
  Write("weight", "3\n");
  InstanceSpec in = Instance();
  in.track_files = {{"f", dir_ + "/weight", 2, false}};
  trackers_.Configure(Tracking(in));
  EXPECT_EQ(trackers_.FileValue(dir_ + "/weight"), 3);
  EXPECT_EQ(trackers_.Evaluate(in, 100, AllUp).effective, 106);

  Write("weight", "-4\n");
  ASSERT_TRUE(RunUntilChanged());
  EXPECT_EQ(trackers_.FileValue(dir_ + "/weight"), -4);
  EXPECT_EQ(trackers_.Evaluate(in, 100, AllUp).effective, 92);
}

TEST_F(TrackersTest, AFileWhoseDirectoryDoesNotExistIsNotTracked) {
  InstanceSpec in = Instance();
  in.track_files = {{"f", dir_ + "/missing/weight", 0, false}};
  trackers_.Configure(Tracking(in));
  EXPECT_EQ(trackers_.FileValue(dir_ + "/missing/weight"), std::nullopt);
  // Weight 0 would fault on a non-zero value; untracked, it has no say at all.
  TrackingResult r = trackers_.Evaluate(in, 100, AllUp);
  EXPECT_FALSE(r.fault);
  EXPECT_EQ(r.effective, 100);
}

TEST_F(TrackersTest, AnInitFailScriptFailsUntilItsFirstSuccess) {
  ScriptSpec script;
  script.name = "chk";
  script.command.argv = {"/bin/true"};
  script.init_fail = true;
  InstanceSpec in = Instance();
  in.track_scripts = {{"chk", 0, false}};
  trackers_.Configure(Tracking(in, {script}));
  EXPECT_FALSE(trackers_.ScriptOk("chk"));
  EXPECT_EQ(trackers_.Evaluate(in, 100, AllUp).faults, std::vector<std::string>{"track_script chk"});
  ASSERT_TRUE(RunUntilChanged());
  EXPECT_TRUE(trackers_.ScriptOk("chk"));
  EXPECT_FALSE(trackers_.Evaluate(in, 100, AllUp).fault);
}

TEST_F(TrackersTest, NamesNotTrackedAreOk) {
  EXPECT_TRUE(trackers_.ScriptOk("nobody"));
  EXPECT_TRUE(trackers_.ProcessOk("nobody"));
  EXPECT_EQ(trackers_.FileValue("/nowhere"), std::nullopt);
}

}  // namespace
}  // namespace vigil::vrrp
