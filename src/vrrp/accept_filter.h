// AcceptFilter: VRRP accept mode, as keepalived does it with nftables. A master that is not
// the address owner and runs without accept mode (`no_accept`, or `strict_mode` without
// `accept`) must not accept packets for the VIPs it holds (RFC 5798 6.4.3): while it holds
// them, packets to them are dropped on input and packets from them on output.
//
// The rules are keepalived's (2.2.7 and current), object for object, so that `nft list
// ruleset` reads the same under either daemon: `table ip T` for IPv4 VIPs (set vips, base
// chains out and in), `table ip6 T` for IPv6 ones (set vips; neighbour solicitations and
// advertisements always pass, so that the VIP still resolves while it is a gateway; a
// link-local VIP is dropped only on its own interface, through the chains in_link_local /
// out_link_local and the set vips_link_local keyed by interface index, or
// vips_link_local_name keyed by name for an instance with dont_track_primary unless
// nftables_ifindex is set).
//
// With use_vmac, keepalived also keeps a VMAC's own multicast reports off the wire (they
// would carry the virtual MAC from every backup, and switches would send the VIP's traffic
// there): IGMP (ip) and MLDv2 (ip6) reports leaving a macvlan are copied to its parent
// interface and dropped (map vmac_map, VMAC index : parent index), and IPv6 router
// solicitations from a VMAC dropped (set vmac_set). vigil installs the same, in the same
// tables, for every macvlan VMAC instance (whether or not it filters VIPs; an IPv4 one
// only without disable_local_igmp, as keepalived).
//
// global_defs sets T (`nftables NAME`; vigil's own name without one, see
// AcceptFilterTable), the base chains' priority (`nftables_priority`, default -1: before
// the filter hook's tables) and counters on every rule (`nftables_counters`). A table is
// created the first time a VIP of its family needs filtering (deleting any table of that
// name left by a killed run) and deleted at stop; nftables is never touched when no
// instance needs the filter.
#ifndef VIGIL_VRRP_ACCEPT_FILTER_H_
#define VIGIL_VRRP_ACCEPT_FILTER_H_

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <cstdint>

#include "base/error.h"
#include "model/address.h"
#include "net/nft_runner.h"

namespace vigil::vrrp {

inline constexpr std::string_view kAcceptFilterTable = "vigil_vrrp";

// Returns vigil's default filter table name for the daemon with config id `config_id`
// (-i): vigil_vrrp, or vigil_vrrp_ID.
std::string AcceptFilterTable(const std::optional<std::string>& config_id);

// How the filter's tables are made (global_defs nftables, nftables_priority,
// nftables_counters).
struct AcceptFilterOptions {
  std::string table{kAcceptFilterTable};
  int priority = -1;
  bool counters = false;
  friend bool operator==(const AcceptFilterOptions&, const AcceptFilterOptions&) = default;
};

// One address to filter. A link-local IPv6 address is filtered on its interface only:
// by name (`dev`) when `by_name`, else by index (`ifindex`); for the others both are empty.
struct FilterEntry {
  model::IpAddress address;
  std::string dev;
  uint32_t ifindex = 0;
  bool by_name = false;

  // Returns the entry for `address` on the interface `dev` (index `ifindex`): the
  // interface is kept for a link-local IPv6 address only.
  static FilterEntry For(const model::IpAddress& address, std::string dev, uint32_t ifindex,
                         bool by_name);
  bool link_local() const { return !dev.empty(); }
  friend auto operator<=>(const FilterEntry& a, const FilterEntry& b) {
    return std::tie(a.address, a.dev, a.ifindex, a.by_name) <=>
           std::tie(b.address, b.dev, b.ifindex, b.by_name);
  }
  friend bool operator==(const FilterEntry&, const FilterEntry&) = default;
};

// A VMAC (macvlan) whose multicast reports go out by its parent instead; `v6`: in the
// ip6 table (MLD, router solicitations), else the ip table (IGMP).
struct VmacEntry {
  bool v6 = false;
  uint32_t ifindex = 0;
  uint32_t parent_ifindex = 0;
  friend auto operator<=>(const VmacEntry&, const VmacEntry&) = default;
};

// Returns the nft commands that (re)create `table ip T` / `table ip6 T` (`v6`) with its
// base chain out, empty (keepalived's first step for either purpose).
std::string RenderTable(const AcceptFilterOptions& o, bool v6);
// Returns the nft commands that add the VIP filter (chain in, sets, rules) to the table.
std::string RenderIpv4Vips(const AcceptFilterOptions& o);
std::string RenderIpv6Vips(const AcceptFilterOptions& o);
// Returns the nft commands that add the VMAC rules (map vmac_map, for ip6 also set
// vmac_set, and their rules in chain out) to the table.
std::string RenderVmacRules(const AcceptFilterOptions& o, bool v6);
// The table with the VIP filter alone: RenderTable + RenderIpv4Vips / RenderIpv6Vips.
std::string RenderIpv4Table(const AcceptFilterOptions& o);
std::string RenderIpv6Table(const AcceptFilterOptions& o);
// Returns the nft commands that add the link-local set (by interface index, or by name)
// and its rules to `table ip6 T`.
std::string RenderLinkLocal(const AcceptFilterOptions& o, bool by_name);
// Returns the nft commands that add (`verb` "add") or remove ("delete") `entries` to/from
// their sets, one command per set, IPv4 first; empty when `entries` is.
std::string RenderElements(const AcceptFilterOptions& o, std::string_view verb,
                           const std::set<FilterEntry>& entries);
// Likewise for VMACs (vmac_map, and vmac_set for ip6).
std::string RenderVmacElements(const AcceptFilterOptions& o, std::string_view verb,
                               const std::set<VmacEntry>& vmacs);

// Owns the filter's tables. Not thread-safe.
class AcceptFilter {
 public:
  using RunnerFactory = std::function<std::unique_ptr<net::NftRunner>()>;
  // `make_runner` is called once, when a table is first needed.
  AcceptFilter(AcceptFilterOptions options, RunnerFactory make_runner)
      : options_(std::move(options)), make_runner_(std::move(make_runner)) {}

  // The options the tables are made with; changing them deletes the tables made so far
  // (they are made again with the new options at the next Sync).
  Result<void> Configure(AcceptFilterOptions options);
  const AcceptFilterOptions& options() const { return options_; }

  // Makes the filter hold exactly `entries` and `vmacs` (creating what they need first,
  // the VMACs' before the VIPs', as keepalived sets a VMAC up before its instance can
  // filter).
  Result<void> Sync(const std::set<FilterEntry>& entries, const std::set<VmacEntry>& vmacs = {});
  // Deletes the tables this process created.
  Result<void> Teardown();
  // The entries filtered now.
  const std::set<FilterEntry>& filtered() const { return filtered_; }
  const std::set<VmacEntry>& vmacs() const { return vmacs_; }

 private:
  AcceptFilterOptions options_;
  RunnerFactory make_runner_;
  std::unique_ptr<net::NftRunner> runner_;
  // What has been created in each table ([0] ip, [1] ip6).
  struct Made {
    bool table = false, vips = false, vmac = false;
  };
  Made made_[2];
  bool by_index_ = false, by_name_ = false;   // link-local sets created
  std::set<FilterEntry> filtered_;
  std::set<VmacEntry> vmacs_;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_ACCEPT_FILTER_H_
