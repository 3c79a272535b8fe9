#include "vrrp/fault_reason.h"

namespace vigil::vrrp {

std::vector<std::string> OwnFaultReasons(const FaultCauses& c) {
  std::vector<std::string> out;
  const std::string where = c.interface.empty() ? "its interface" : "interface " + c.interface;
  if (c.no_peer) out.push_back("unicast_fault_no_peer and no unicast_peer");
  if (!c.bound) {
    out.push_back(c.lacks_address ? "no address on " + where
                  : c.vmac_failed ? "its VMAC cannot be made"
                                  : where + " missing");
  } else if (c.address_lost) {
    out.push_back("its address on " + where + " was removed");
  } else if (!c.link_up && !c.dont_track_primary) {
    out.push_back(where + " down");
  }
  out.insert(out.end(), c.trackers.begin(), c.trackers.end());
  return out;
}

}  // namespace vigil::vrrp
