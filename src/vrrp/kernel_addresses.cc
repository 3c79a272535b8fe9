#include "vrrp/kernel_addresses.h"

#include <cerrno>
#include <string>

#include "base/log.h"

namespace vigil::vrrp {
namespace {

uint8_t ScopeValue(const std::optional<std::string>& scope) {
  if (!scope) return RT_SCOPE_UNIVERSE;
  if (*scope == "host") return RT_SCOPE_HOST;
  if (*scope == "link") return RT_SCOPE_LINK;
  if (*scope == "site") return RT_SCOPE_SITE;
  if (*scope == "nowhere") return RT_SCOPE_NOWHERE;
  if (*scope == "global" || *scope == "universe") return RT_SCOPE_UNIVERSE;
  try {
    return static_cast<uint8_t>(std::stoi(*scope));
  } catch (const std::exception&) {
    return RT_SCOPE_UNIVERSE;
  }
}

}  // namespace

net::RawAddress ToRaw(const model::IpAddress& a) {
  return net::RawAddress::FromBytes(a.bytes().data(), a.is_v4() ? 4 : 16);
}

model::IpAddress FromRaw(const net::RawAddress& r) {
  if (r.family == AF_INET) {
    return model::IpAddress::V4((uint32_t(r.bytes[0]) << 24) | (uint32_t(r.bytes[1]) << 16) |
                                (uint32_t(r.bytes[2]) << 8) | r.bytes[3]);
  }
  if (r.family == AF_INET6) {
    std::array<uint8_t, 16> b{};
    std::copy(r.bytes.begin(), r.bytes.begin() + 16, b.begin());
    return model::IpAddress::V6(b);
  }
  return {};
}

int AfOf(model::Family f) { return f == model::Family::kIpv6 ? AF_INET6 : AF_INET; }

std::string VipKey(const VipSpec& v) { return v.prefix.ToString() + "%" + v.dev; }

net::AddressSpec AddressFor(const VipSpec& v, int ifindex) {
  net::AddressSpec a;
  a.ifindex = ifindex;
  a.address = ToRaw(v.prefix.address);
  a.prefix_len = v.prefix.length;
  if (v.broadcast) a.broadcast = ToRaw(*v.broadcast);
  a.scope = ScopeValue(v.scope);
  if (v.label) a.label = *v.label;
  a.flags = v.flags;
  a.ipv6_nodad = !v.keep_dad;
  if (v.peer) a.peer = ToRaw(*v.peer);
  a.ipv6_preferred_lifetime = v.preferred_lft;
  return a;
}

void KernelAddresses::AddVip(const std::string& who, const VipSpec& v, int ifindex) {
  auto r = rtnl_.AddAddress(AddressFor(v, ifindex));
  if (!r && r.error().code() != ErrorCode::kExists)
    log::Error(who + ": cannot add VIP " + v.prefix.ToString() + ": " + r.error().ToString());
}

bool KernelAddresses::RemoveVip(const std::string& who, const VipSpec& v, int ifindex) {
  auto r = rtnl_.DeleteAddress(AddressFor(v, ifindex));
  if (r) return true;
  if (r.error().code() != ErrorCode::kNotFound && r.error().sys_errno() != EADDRNOTAVAIL)
    log::Warning(who + ": cannot remove VIP " + v.prefix.ToString() + ": " + r.error().ToString());
  return false;
}

bool KernelAddresses::HasVip(const VipSpec& v, int ifindex) {
  auto present = rtnl_.ListAddresses(ifindex, v.prefix.address.is_v4() ? AF_INET : AF_INET6);
  if (!present) return false;
  const net::RawAddress raw = ToRaw(v.prefix.address);
  for (const auto& a : *present)
    if (a.address == raw) return true;
  return false;
}

void KernelAddresses::AddVips(const std::string& who, std::span<const VipSpec> vips,
                              const IfindexLookup& ifindex) {
  for (const auto& v : vips) {
    int idx = ifindex(v.dev);
    if (!idx) {
      log::Error(who + ": VIP " + v.prefix.ToString() + ": no interface " + v.dev);
      continue;
    }
    AddVip(who, v, idx);
  }
  log::Info(who + ": VIPs installed");
}

void KernelAddresses::RemoveVips(const std::string& who, std::span<const VipSpec> vips,
                                 const IfindexLookup& ifindex) {
  for (const auto& v : vips) {
    if (keep_.count(VipKey(v))) continue;  // a master holds it after the reload
    int idx = ifindex(v.dev);
    if (idx) RemoveVip(who, v, idx);
  }
  log::Info(who + ": VIPs removed");
}

void KernelAddresses::RemoveLeftoverVips(const std::string& who, std::span<const VipSpec> vips,
                                         const IfindexLookup& ifindex,
                                         const std::set<std::string>& held) {
  for (const auto& v : vips) {
    int idx = ifindex(v.dev);
    if (!idx || held.count(VipKey(v)) || keep_.count(VipKey(v)) || !HasVip(v, idx)) continue;
    if (RemoveVip(who, v, idx))
      log::Warning(who + ": removed VIP " + v.prefix.ToString() + " left on " + v.dev +
                   " by an earlier run");
  }
}

void KernelAddresses::AddRoutes(const std::string& owner,
                                const std::vector<std::vector<std::string>>& routes,
                                const std::vector<std::vector<std::string>>& rules,
                                const std::string& dev, const IfindexLookup& ifindex) {
  Installed& done = routes_[owner];
  const std::string who = owner.empty() ? "static" : owner;
  for (const auto& words : routes) {
    auto spec = ParseRoute(words, dev, ifindex, names_);
    if (!spec) {
      log::Error(who + ": route '" + LineText(words) + "': " + spec.error().ToString());
      continue;
    }
    auto r = rtnl_.AddRoute(*spec);
    if (!r && r.error().code() != ErrorCode::kExists) {
      log::Error(who + ": cannot add route '" + LineText(words) + "': " + r.error().ToString());
      continue;
    }
    done.routes.push_back(*spec);
  }
  for (const auto& words : rules) {
    auto spec = ParseRule(words, names_);
    if (!spec) {
      log::Error(who + ": rule '" + LineText(words) + "': " + spec.error().ToString());
      continue;
    }
    auto r = rtnl_.AddRule(*spec);
    if (!r && r.error().code() != ErrorCode::kExists) {
      log::Error(who + ": cannot add rule '" + LineText(words) + "': " + r.error().ToString());
      continue;
    }
    done.rules.push_back(*spec);
  }
}

void KernelAddresses::RemoveRoutes(const std::string& owner) {
  auto it = routes_.find(owner);
  if (it == routes_.end()) return;
  const std::string who = owner.empty() ? "static" : owner;
  for (const auto& spec : it->second.rules)
    if (auto r = rtnl_.DeleteRule(spec); !r && r.error().code() != ErrorCode::kNotFound)
      log::Warning(who + ": cannot remove a rule: " + r.error().ToString());
  for (const auto& spec : it->second.routes)
    if (auto r = rtnl_.DeleteRoute(spec); !r && r.error().code() != ErrorCode::kNotFound)
      log::Warning(who + ": cannot remove a route: " + r.error().ToString());
  routes_.erase(it);
}

void KernelAddresses::AddStaticAddresses(const std::vector<VipSpec>& addresses,
                                         const IfindexLookup& ifindex) {
  for (const auto& v : addresses) {
    int idx = ifindex(v.dev);
    if (!idx) {
      log::Error("static_ipaddress " + v.prefix.ToString() + ": no interface " + v.dev);
      continue;
    }
    auto r = rtnl_.AddAddress(AddressFor(v, idx));
    if (!r && r.error().code() != ErrorCode::kExists) {
      log::Error("cannot add static address " + v.prefix.ToString() + ": " + r.error().ToString());
      continue;
    }
    static_addresses_.push_back({v, idx});
  }
}

void KernelAddresses::RemoveStaticAddresses() {
  for (const auto& [v, ifindex] : static_addresses_) (void)rtnl_.DeleteAddress(AddressFor(v, ifindex));
  static_addresses_.clear();
}

}  // namespace vigil::vrrp
