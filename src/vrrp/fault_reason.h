// Why a VRRP instance is in FAULT, in words for `vigilctl status` (InstanceStatus's
// fault_reason): the causes the engine weighs, each named. Pure.
#ifndef VIGIL_VRRP_FAULT_REASON_H_
#define VIGIL_VRRP_FAULT_REASON_H_

#include <string>
#include <vector>

namespace vigil::vrrp {

// What an instance's own FAULT depends on (not its sync group's).
struct FaultCauses {
  std::string interface = {};   // its interface ("": none, it is bound otherwise)
  bool no_peer = false;         // unicast_fault_no_peer without any unicast_peer
  bool bound = true;            // it has its interface and an address to send from
  bool lacks_address = false;   // not bound: the interface has no address
  bool vmac_failed = false;     // not bound: its VMAC cannot be made
  bool address_lost = false;    // the address adverts came from was removed
  bool link_up = true;          // its interface is up
  bool dont_track_primary = false;
  std::vector<std::string> trackers = {};  // the trackers that force FAULT ("track_script chk")
};

// Returns the instance's own reasons to be in FAULT, in the order above; empty: it has
// none.
std::vector<std::string> OwnFaultReasons(const FaultCauses& c);

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_FAULT_REASON_H_
