#include "lb/select.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

namespace vigil::lb {
namespace {

// The test's own source file stands in for an existing /proc/net/ip_vs.
const std::string kPresent = std::string(VIGIL_SOURCE_DIR) + "/tests/unit/lb/select_test.cc";
const std::string kAbsent = std::string(VIGIL_SOURCE_DIR) + "/no/such/ip_vs";

TEST(SelectBackendTest, AutoFollowsTheIpvsProcFile) {
  EXPECT_EQ(SelectBackend("auto", kPresent),
            (BackendSelection{BackendKind::kIpvs, "auto: the kernel has IPVS (" + kPresent + ")"}));
  EXPECT_EQ(SelectBackend("auto", kAbsent),
            (BackendSelection{BackendKind::kNftables,
                              "auto: no IPVS in this kernel (" + kAbsent + " is missing)"}));
  EXPECT_EQ(SelectBackend("", kAbsent)->kind, BackendKind::kNftables);
}

TEST(SelectBackendTest, AutoLoadsTheIpvsModuleBeforeDecidingThereIsNone) {
  std::vector<std::string> loaded;
  // modprobe succeeds, yet the kernel still has no IPVS.
  auto loads = [&](std::string_view name) {
    loaded.emplace_back(name);
    return true;
  };
  EXPECT_EQ(SelectBackend("auto", kAbsent, loads),
            (BackendSelection{BackendKind::kNftables,
                              "auto: no IPVS in this kernel (" + kAbsent +
                                  " is missing after modprobe ip_vs)"}));
  auto fails = [&](std::string_view name) {
    loaded.emplace_back(name);
    return false;
  };
  EXPECT_EQ(SelectBackend("auto", kAbsent, fails),
            (BackendSelection{BackendKind::kNftables,
                              "auto: no IPVS in this kernel (" + kAbsent +
                                  " is missing and modprobe ip_vs failed)"}));
  EXPECT_EQ(loaded, (std::vector<std::string>{"ip_vs", "ip_vs"}));
}

TEST(SelectBackendTest, AutoPicksIpvsOnceTheModuleIsLoaded) {
  const std::string dir = testing::TempDir() + "/vigil-select-test";
  const std::string proc = dir + "/ip_vs";
  ::mkdir(dir.c_str(), 0700);
  ::unlink(proc.c_str());
  auto load = [&](std::string_view name) {
    EXPECT_EQ(name, "ip_vs");
    FILE* f = std::fopen(proc.c_str(), "w");  // the module creates /proc/net/ip_vs
    if (f) std::fclose(f);
    return f != nullptr;
  };
  EXPECT_EQ(SelectBackend("auto", proc, load),
            (BackendSelection{BackendKind::kIpvs, "auto: loaded the ip_vs module"}));
  // Present now: no second load.
  EXPECT_EQ(SelectBackend("auto", proc, [](std::string_view) {
              ADD_FAILURE() << "loaded twice";
              return false;
            })->kind,
            BackendKind::kIpvs);
  ::unlink(proc.c_str());
  ::rmdir(dir.c_str());
}

TEST(SelectBackendTest, ExplicitChoiceWins) {
  auto never = [](std::string_view) {
    ADD_FAILURE() << "nftables needs no module";
    return false;
  };
  EXPECT_EQ(SelectBackend("nftables", kPresent, never),
            (BackendSelection{BackendKind::kNftables, "configured (vigil_lb_backend nftables)"}));
  EXPECT_EQ(SelectBackend("ipvs", kAbsent, [](std::string_view) { return false; }),
            (BackendSelection{BackendKind::kIpvs,
                              "configured (vigil_lb_backend ipvs); no IPVS in this kernel (" +
                                  kAbsent + " is missing and modprobe ip_vs failed)"}));
}

TEST(SelectBackendTest, RejectsOtherWords) {
  auto r = SelectBackend("iptables", "/nonexistent");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().ToString(),
            "load balancer backend 'iptables' is not one of ipvs, nftables or auto");
  EXPECT_EQ(BackendKindName(BackendKind::kNftables), "nftables");
}

}  // namespace
}  // namespace vigil::lb
