#include "vrrp/advert_source.h"

#include <algorithm>
#include <string>

namespace vigil::vrrp {

Result<model::IpAddress> ChooseAdvertSource(const InstanceSpec& spec,
                                            std::span<const model::IpAddress> on_interface,
                                            const std::set<model::IpAddress>& vips) {
  if (spec.source) {
    if (!spec.track_source ||
        std::find(on_interface.begin(), on_interface.end(), *spec.source) != on_interface.end())
      return *spec.source;
    return Fail(ErrorCode::kNotFound, "source address " + spec.source->ToString() +
                                          " (track_src_ip) is not on interface " +
                                          spec.interface);
  }
  const bool v6 = spec.family == model::Family::kIpv6;
  for (const auto& ip : on_interface) {
    if (vips.count(ip)) continue;
    if (!v6 || ip.IsLinkLocal()) return ip;
  }
  return Fail(ErrorCode::kNotFound, "interface " + spec.interface + " has no " +
                                        std::string(model::FamilyName(spec.family)) +
                                        " address to send adverts from");
}

}  // namespace vigil::vrrp
