#include "check/ha_suspend.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstdint>

namespace vigil::check {
namespace {

int AfOf(const model::IpAddress& a) { return a.is_v4() ? AF_INET : AF_INET6; }

bool Same(const model::IpAddress& a, const net::RawAddress& b) {
  return !a.is_unspec() && AfOf(a) == b.family &&
         std::equal(b.bytes.begin(), b.bytes.begin() + b.size(), a.bytes().begin());
}

// Whether group entry `e` covers `address`.
bool EntryServes(const model::VsgEntry& e, const net::RawAddress& address) {
  if (e.fwmark || e.address.is_unspec()) return false;
  if (!e.range_end || *e.range_end == e.address) return Same(e.address, address);
  if (AfOf(e.address) != address.family || e.range_end->family() != e.address.family())
    return false;
  const auto& lo = e.address.bytes();
  const auto& hi = e.range_end->bytes();
  const bool v4 = e.address.is_v4();
  const std::size_t fixed = v4 ? 3 : 14;
  if (!std::equal(lo.begin(), lo.begin() + fixed, address.bytes.begin())) return false;
  auto tail = [&](const auto& b) -> uint32_t {
    return v4 ? b[3] : (uint32_t{b[14]} << 8 | b[15]);
  };
  const uint32_t v = tail(address.bytes);
  return tail(lo) <= v && v <= tail(hi);
}

}  // namespace

bool ServesAddress(const model::VirtualServer& vs, const model::VirtualServerGroup* group,
                   const net::RawAddress& address) {
  if (vs.address) return Same(*vs.address, address);
  if (!group) return false;
  return std::any_of(group->entries.begin(), group->entries.end(),
                     [&](const model::VsgEntry& e) { return EntryServes(e, address); });
}

std::size_t LocalAddressCount(const model::VirtualServer& vs,
                              const model::VirtualServerGroup* group,
                              const net::LocalAddresses& local) {
  return static_cast<std::size_t>(
      std::count_if(local.begin(), local.end(), [&](const net::LocalAddress& a) {
        return ServesAddress(vs, group, a.address);
      }));
}

bool HaSuspended(const model::VirtualServer& vs,
                 const std::vector<model::VirtualServerGroup>& groups,
                 const net::LocalAddresses& local) {
  if (!vs.ha_suspend || vs.fwmark) return false;
  const model::VirtualServerGroup* group = nullptr;
  if (vs.group)
    for (const auto& g : groups)
      if (g.name == *vs.group) group = &g;
  return LocalAddressCount(vs, group, local) == 0;
}

}  // namespace vigil::check
