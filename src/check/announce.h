// Route health injection: which virtual server addresses the node announces, as host
// routes in the kernel routing table named by global_defs `vigil_announce_table`, for a
// routing daemon (FRR: zebra's `ip import-table`, bgpd's `redistribute table`) to
// announce to its peers.
//
// The decision is pure (DesiredAnnouncements: services × VRRP instance states ×
// maintenance -> addresses); RouteAnnouncer is the thin owner of the kernel's table.
#ifndef VIGIL_CHECK_ANNOUNCE_H_
#define VIGIL_CHECK_ANNOUNCE_H_

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "model/address.h"
#include "model/config.h"

namespace vigil::net {
class Rtnetlink;
}

namespace vigil::check {

// The routing protocol number (rtm_protocol) of vigil's announced routes: one no routing
// daemon uses (zebra skips its own numbers, 11 and 186 and up, when it reads the kernel),
// so that a start can tell what a crashed run left in the table.
inline constexpr std::uint8_t kAnnounceProtocol = 86;

// One virtual server as the announcement sees it.
struct AnnounceSource {
  std::vector<model::IpAddress> addresses;  // its address, or its group's addresses
  std::optional<std::string> with;          // vigil_announce_with: announced while MASTER
  bool up = false;                          // its quorum is reached
};

// Returns the addresses of `vs`: its own address, or every address of its
// virtual_server_group's address entries (ranges expanded, at most `max_range` addresses
// each); none for a fwmark service. Sorted, without duplicates.
std::vector<model::IpAddress> AnnounceAddresses(
    const model::VirtualServer& vs, const std::vector<model::VirtualServerGroup>& groups,
    std::size_t max_range = 256);

// Returns the addresses to announce: an address is announced while at least one of the
// virtual servers that have it is up and, if it names a vrrp_instance, that instance is
// in `masters`; nothing while the node is in maintenance.
std::set<model::IpAddress> DesiredAnnouncements(std::span<const AnnounceSource> sources,
                                                const std::set<std::string>& masters,
                                                bool maintenance);

// The changes that take the table from `installed` to `desired`: withdrawals first (a
// router hears of a lost service before of a new one), each in address order.
struct AnnounceDelta {
  std::vector<model::IpAddress> withdraw;
  std::vector<model::IpAddress> announce;
  bool empty() const { return withdraw.empty() && announce.empty(); }
};
AnnounceDelta DiffAnnouncements(const std::set<model::IpAddress>& installed,
                                const std::set<model::IpAddress>& desired);

// Keeps vigil's host routes in one kernel routing table: a blackhole route (/32 or /128,
// protocol kAnnounceProtocol) per announced address. A blackhole needs no interface, and
// in the main table (where FRR's import copies it) it never takes traffic from the local
// address or the load balancer's own rules, which the kernel consults first. Holds a
// reference to `rt`, which must outlive it. Not thread-safe.
class RouteAnnouncer {
 public:
  RouteAnnouncer(net::Rtnetlink& rt, std::uint32_t table) : rt_(rt), table_(table) {}

  // Deletes every route of kAnnounceProtocol in the table (what a run that died left) and
  // forgets what this one installed. Returns how many it deleted.
  Result<int> Flush();
  // Makes the table hold exactly `desired` (of what this owner manages). An address whose
  // change failed stays as the kernel has it and is tried again by the next Apply. Returns
  // the first error, after trying every change.
  Result<void> Apply(const std::set<model::IpAddress>& desired);

  // Returns the addresses announced now.
  const std::set<model::IpAddress>& installed() const { return installed_; }
  std::uint32_t table() const { return table_; }

 private:
  net::Rtnetlink& rt_;
  std::uint32_t table_;
  std::set<model::IpAddress> installed_;
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_ANNOUNCE_H_
