#include "vrrp/fault_reason.h"

#include <gtest/gtest.h>

namespace vigil::vrrp {
namespace {

using Strings = std::vector<std::string>;

TEST(FaultReasonTest, EachOwnCauseIsNamed) {
  EXPECT_EQ(OwnFaultReasons({.interface = "eth0"}), Strings{});
  EXPECT_EQ(OwnFaultReasons({.interface = "eth0", .no_peer = true}),
            Strings{"unicast_fault_no_peer and no unicast_peer"});
  EXPECT_EQ(OwnFaultReasons({.interface = "eth0", .bound = false, .link_up = false}),
            Strings{"interface eth0 missing"});
  EXPECT_EQ(OwnFaultReasons({.interface = "eth0", .bound = false, .lacks_address = true}),
            Strings{"no address on interface eth0"});
  EXPECT_EQ(OwnFaultReasons({.interface = "eth0", .bound = false, .vmac_failed = true}),
            Strings{"its VMAC cannot be made"});
  EXPECT_EQ(OwnFaultReasons({.interface = "eth0", .address_lost = true}),
            Strings{"its address on interface eth0 was removed"});
  EXPECT_EQ(OwnFaultReasons({.interface = "eth0", .link_up = false}),
            Strings{"interface eth0 down"});
  // dont_track_primary: a link down is no fault (a missing interface still is).
  EXPECT_EQ(OwnFaultReasons({.interface = "eth0", .link_up = false, .dont_track_primary = true}),
            Strings{});
  EXPECT_EQ(OwnFaultReasons({.interface = "",
                             .no_peer = true,
                             .bound = false,
                             .dont_track_primary = true,
                             .trackers = {"track_script chk", "track_file f"}}),
            (Strings{"unicast_fault_no_peer and no unicast_peer", "its interface missing",
                     "track_script chk", "track_file f"}));
}

}  // namespace
}  // namespace vigil::vrrp
