// AcceptFilter: VRRP accept mode, as keepalived does it with nftables. A master that is not
// the address owner and runs without accept mode (`no_accept`, or `strict_mode` without
// `accept`) must not accept packets for the VIPs it holds (RFC 5798 6.4.3): while it holds
// them, packets to them are dropped on input and packets from them on output. vigil keeps
// these VIPs in the sets of its own table, `table inet vigil_vrrp` (vigil_vrrp_ID for the
// daemon started with -i ID, as the load balancer's table), which it creates the first time a VIP needs filtering and deletes at stop; it never touches nftables when no
// instance needs the filter.
//
// keepalived 2.2.7 does the same in `table ip keepalived` / `table ip6 keepalived`
// (set vips, chains in and out at priority filter - 1).
#ifndef VIGIL_VRRP_ACCEPT_FILTER_H_
#define VIGIL_VRRP_ACCEPT_FILTER_H_

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/error.h"
#include "model/address.h"
#include "net/nft_runner.h"

namespace vigil::vrrp {

inline constexpr std::string_view kAcceptFilterTable = "vigil_vrrp";

// Returns the filter table's name for the daemon with config id `config_id` (-i).
std::string AcceptFilterTable(const std::optional<std::string>& config_id);

// Returns the nft commands that (re)create the filter table `table` empty: any earlier
// table of that name (left by a killed run) is deleted in the same transaction.
std::string RenderAcceptTable(std::string_view table);

// Returns the nft commands that add `add` to and remove `remove` from the filter sets of
// `table` (IPv4 addresses to vips4, IPv6 to vips6); empty when both are empty.
std::string RenderAcceptChange(std::string_view table, const std::set<model::IpAddress>& add,
                               const std::set<model::IpAddress>& remove);

// Owns the filter table. Not thread-safe.
class AcceptFilter {
 public:
  using RunnerFactory = std::function<std::unique_ptr<net::NftRunner>()>;
  // `make_runner` is called once, when the table (named `table`) is first needed.
  AcceptFilter(std::string table, RunnerFactory make_runner)
      : table_(std::move(table)), make_runner_(std::move(make_runner)) {}

  // Makes the filter hold exactly `vips` (creating the table when the first arrives).
  Result<void> Sync(const std::set<model::IpAddress>& vips);
  // Deletes the table if this process created it.
  Result<void> Teardown();
  // The VIPs filtered now.
  const std::set<model::IpAddress>& filtered() const { return filtered_; }

 private:
  std::string table_;
  RunnerFactory make_runner_;
  std::unique_ptr<net::NftRunner> runner_;
  bool created_ = false;
  std::set<model::IpAddress> filtered_;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_ACCEPT_FILTER_H_
