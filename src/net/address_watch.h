// AddressWatch: the host's local addresses (every interface's), followed. It subscribes to
// rtnetlink's address notifications (LinkWatch), then reads every address once (a dump),
// then keeps the set from the notifications; after notifications were lost it reads them
// all again. ApplyAddressEvent is the pure part that keeps the set.
#ifndef VIGIL_NET_ADDRESS_WATCH_H_
#define VIGIL_NET_ADDRESS_WATCH_H_

#include <compare>
#include <functional>
#include <memory>
#include <optional>
#include <set>

#include "base/error.h"
#include "net/link_monitor.h"
#include "net/netlink.h"

namespace asio {
class io_context;
}

namespace vigil::net {

class LinkWatch;

// An address on interface `ifindex` (ip addr's "inet"/"inet6" line).
struct LocalAddress {
  int ifindex = 0;
  RawAddress address;
  friend auto operator<=>(const LocalAddress&, const LocalAddress&) = default;
  friend bool operator==(const LocalAddress&, const LocalAddress&) = default;
};

// The same address on two interfaces is two entries.
using LocalAddresses = std::set<LocalAddress>;

// Applies one notification to `addresses`: an address added or removed, an interface removed
// with the addresses it still had. Returns whether the set changed (an address the kernel
// announces again, e.g. when IPv6 duplicate address detection ends, changes nothing).
bool ApplyAddressEvent(const LinkEvent& event, LocalAddresses& addresses);

// Where an engine learns the local addresses: AddressWatch, or a fake in tests.
class AddressSource {
 public:
  using OnChange = std::function<void(const LocalAddresses&)>;
  virtual ~AddressSource() = default;
  // Starts following and returns the addresses there are now; `on_change` is called later,
  // from the event loop, with the whole set after each change. Called once.
  virtual Result<LocalAddresses> Follow(OnChange on_change) = 0;
  // Stops: `on_change` is not called any more.
  virtual void Close() = 0;
};

// AddressSource over the kernel: a subscriber socket on `io` and a NETLINK_ROUTE socket
// of its own for the dumps. Not thread-safe.
class AddressWatch final : public AddressSource {
 public:
  AddressWatch(asio::io_context& io, ReceiveBuffer receive_buffer);
  ~AddressWatch() override;
  AddressWatch(const AddressWatch&) = delete;
  AddressWatch& operator=(const AddressWatch&) = delete;

  Result<LocalAddresses> Follow(OnChange on_change) override;
  void Close() override;

 private:
  // Reads every address (a dump) into addresses_.
  Result<void> Dump();
  void OnEvent(const LinkEvent& event);
  void OnOverrun();

  asio::io_context& io_;
  ReceiveBuffer receive_buffer_;
  OnChange on_change_;
  std::unique_ptr<LinkWatch> watch_;
  std::optional<NetlinkSocket> dump_socket_;
  LocalAddresses addresses_;
};

}  // namespace vigil::net

#endif  // VIGIL_NET_ADDRESS_WATCH_H_
