// KernelAddresses: the one owner of what the VRRP engine puts in the kernel — virtual
// addresses (VIPs), virtual routes and rules, and the static ones. It adds, removes and
// reports them through rtnetlink and remembers the routes and rules it installed per owner
// (an instance, or "static"), so that removing takes away exactly what was put there. The
// engine decides when (the state machines' actions); this class knows how and what.
#ifndef VIGIL_VRRP_KERNEL_ADDRESSES_H_
#define VIGIL_VRRP_KERNEL_ADDRESSES_H_

#include <map>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "model/address.h"
#include "net/rtnetlink.h"
#include "vrrp/instance_spec.h"
#include "vrrp/routes.h"

namespace vigil::vrrp {

// The rtnetlink form of `address`.
net::RawAddress ToRaw(const model::IpAddress& address);
// The model form of `r`, an address read from the kernel (unspecified for another family).
model::IpAddress FromRaw(const net::RawAddress& r);
// AF_INET or AF_INET6.
int AfOf(model::Family f);

// The key of VIP `v` among the VIPs held or kept: its prefix and device ("10.0.0.1/32%eth0").
std::string VipKey(const VipSpec& v);

// The request that adds or deletes VIP `v` on `ifindex` (scope names as `ip addr` reads them).
net::AddressSpec AddressFor(const VipSpec& v, int ifindex);

class KernelAddresses {
 public:
  // `rtnl` must outlive this object.
  explicit KernelAddresses(net::Rtnetlink& rtnl) : rtnl_(rtnl) {}

  // Adds VIP `v` on `ifindex`; one already there counts as added. Failures are logged
  // for `who`.
  void AddVip(const std::string& who, const VipSpec& v, int ifindex);
  // Removes VIP `v` from `ifindex`; one already gone is fine. Returns whether it was there
  // and is now removed.
  bool RemoveVip(const std::string& who, const VipSpec& v, int ifindex);
  // Whether `v` is on `ifindex` now (as the kernel lists it).
  bool HasVip(const VipSpec& v, int ifindex);

  // Adds instance `who`'s VIPs `vips`, each on the interface `ifindex` gives its device
  // (one whose interface is missing is logged and skipped).
  void AddVips(const std::string& who, std::span<const VipSpec> vips,
               const IfindexLookup& ifindex);
  // Removes instance `who`'s VIPs `vips` from their interfaces, but those kept through a
  // reload (KeepThroughReload).
  void RemoveVips(const std::string& who, std::span<const VipSpec> vips,
                  const IfindexLookup& ifindex);
  // Removes those of `vips` that are on their interfaces already but that neither another
  // instance holds (`held`, VipKeys) nor a reload keeps: left by an engine that was killed
  // (and respawned), they would make two holders of one address. Each one is logged.
  void RemoveLeftoverVips(const std::string& who, std::span<const VipSpec> vips,
                          const IfindexLookup& ifindex, const std::set<std::string>& held);
  // While a reload replaces instances: RemoveVips leaves the VIPs `keys` (VipKeys), which a
  // master holds after it, in place. Cleared with an empty set.
  void KeepThroughReload(std::set<std::string> keys) { keep_ = std::move(keys); }

  // The names AddRoutes reads tables, protocols and scopes with (RtNames::Defaults() until
  // set).
  void SetNames(RtNames names) { names_ = std::move(names); }
  const RtNames& names() const { return names_; }

  // Parses and adds the routes and rules of `owner` (an instance's name; "" for
  // static_routes / static_rules), `dev` being the interface of a route that names none;
  // remembers each one added.
  void AddRoutes(const std::string& owner, const std::vector<std::vector<std::string>>& routes,
                 const std::vector<std::vector<std::string>>& rules, const std::string& dev,
                 const IfindexLookup& ifindex);
  // Removes what AddRoutes added for `owner` (rules first).
  void RemoveRoutes(const std::string& owner);

  // static_ipaddress: adds each address (remembered) on the interface `ifindex` resolves.
  void AddStaticAddresses(const std::vector<VipSpec>& addresses, const IfindexLookup& ifindex);
  void RemoveStaticAddresses();

 private:
  struct Installed {
    std::vector<net::RouteSpec> routes;
    std::vector<net::RuleSpec> rules;
  };
  RtNames names_ = RtNames::Defaults();
  net::Rtnetlink& rtnl_;
  std::map<std::string, Installed> routes_;  // by owner
  std::vector<std::pair<VipSpec, int>> static_addresses_;
  std::set<std::string> keep_;  // VipKeys RemoveVips leaves during a reload
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_KERNEL_ADDRESSES_H_
