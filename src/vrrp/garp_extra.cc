#include "vrrp/garp_extra.h"

#include <algorithm>
#include <set>
#include <string>

namespace vigil::vrrp {
namespace {

// The last line of `settings` named `name` or `alias` that keepalived accepts.
std::optional<GarpExtra> LastValid(const std::vector<model::RawSetting>& settings,
                                   std::string_view name, std::string_view alias, unsigned min) {
  std::optional<GarpExtra> out;
  for (const model::RawSetting& r : settings)
    if (r.keyword == name || r.keyword == alias)
      if (auto g = model::ParseGarpExtra(r.args, min)) out = *g;
  return out;
}

}  // namespace

GarpExtra GarpExtraOf(const model::VrrpInstance& instance, const model::Global& global) {
  if (auto own = LastValid(instance.other, "garp_extra_if", "vmac_garp_intvl", 0)) return *own;
  return LastValid(global.other, "vrrp_garp_extra_if", "vrrp_vmac_garp_intvl", 1)
      .value_or(GarpExtra{});
}

std::vector<VipSpec> GarpExtraVips(const InstanceSpec& spec, bool all) {
  const std::string own = spec.vmac.value_or(spec.interface);
  auto ours = [&](const std::string& dev) {
    if (spec.vmac && !spec.ipvlan && dev == *spec.vmac) return true;
    return std::ranges::any_of(spec.address_vmacs,
                               [&](const InstanceSpec::AddressVmac& a) { return a.name == dev; });
  };
  std::vector<VipSpec> out;
  std::set<std::string> done;
  bool other = false;
  for (const VipSpec& v : spec.vips) {
    if (!ours(v.dev) && !all) continue;
    if (v.dev == own && !spec.vmac_xmit_base) continue;
    if (!done.insert(v.dev).second) continue;
    other = other || v.dev != own;
    out.push_back(v);
  }
  if (!other) out.clear();
  return out;
}

}  // namespace vigil::vrrp
