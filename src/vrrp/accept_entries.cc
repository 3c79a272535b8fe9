#include "vrrp/accept_entries.h"

namespace vigil::vrrp {

FilterContents AcceptFilterContents(std::span<const FilterInstance> instances,
                                    bool disable_local_igmp) {
  FilterContents out;
  for (const auto& in : instances) {
    const InstanceSpec& spec = *in.spec;
    const bool v6 = spec.family == model::Family::kIpv6;
    if (in.vmac_ifindex && in.vmac_is_macvlan && in.ifindex && (v6 || !disable_local_igmp)) {
      bool other = false;
      for (const auto& v : spec.vips) other |= v.prefix.address.is_v6() != v6;
      for (bool fam : {v6, !v6})
        if (fam == v6 || other)
          out.vmacs.insert(
              {fam, static_cast<uint32_t>(in.vmac_ifindex), static_cast<uint32_t>(in.ifindex)});
    }
    const Params& p = spec.params;
    if (!in.vips_installed || p.accept || p.priority == kOwnerPriority) continue;
    for (const auto& v : spec.vips)
      out.entries.insert(FilterEntry::For(v.prefix.address, v.dev,
                                          static_cast<uint32_t>(in.vip_ifindex(v.dev)),
                                          v.filter_by_name));
  }
  return out;
}

}  // namespace vigil::vrrp
