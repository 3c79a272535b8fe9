#include "net/address_watch.h"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <type_traits>
#include <variant>

#include "base/log.h"
#include "net/link_watch.h"
#include "net/rtnetlink.h"

namespace vigil::net {

bool ApplyAddressEvent(const LinkEvent& event, LocalAddresses& addresses) {
  return std::visit(
      [&addresses](const auto& e) -> bool {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, AddressAdded>) {
          return addresses.insert(LocalAddress{e.ifindex, e.address}).second;
        } else if constexpr (std::is_same_v<T, AddressRemoved>) {
          return addresses.erase(LocalAddress{e.ifindex, e.address}) > 0;
        } else {
          if (!e.removed) return false;
          return std::erase_if(addresses, [&e](const LocalAddress& a) {
                   return a.ifindex == e.ifindex;
                 }) > 0;
        }
      },
      event);
}

AddressWatch::AddressWatch(asio::io_context& io, ReceiveBuffer receive_buffer)
    : io_(io), receive_buffer_(receive_buffer) {}

AddressWatch::~AddressWatch() { Close(); }

Result<LocalAddresses> AddressWatch::Follow(OnChange on_change) {
  on_change_ = std::move(on_change);
  // Subscribed before the dump: what changes meanwhile is queued, and applying it to the
  // dump's result again changes nothing.
  watch_ = std::make_unique<LinkWatch>(
      io_, [this](const LinkEvent& ev) { OnEvent(ev); }, [this] { OnOverrun(); });
  if (auto r = watch_->Open(receive_buffer_); !r) {
    watch_.reset();
    return std::unexpected(r.error());
  }
  auto socket = NetlinkSocket::Open(NETLINK_ROUTE);
  if (!socket) {
    Close();
    return std::unexpected(socket.error());
  }
  dump_socket_.emplace(std::move(*socket));
  if (auto r = Dump(); !r) {
    Close();
    return std::unexpected(r.error());
  }
  return addresses_;
}

void AddressWatch::Close() {
  if (watch_) watch_->Close();
  on_change_ = nullptr;
}

Result<void> AddressWatch::Dump() {
  Rtnetlink rt(*dump_socket_);
  auto list = rt.ListAddresses(0, AF_UNSPEC);
  if (!list) return std::unexpected(list.error());
  addresses_.clear();
  for (const AddressInfo& a : *list) addresses_.insert(LocalAddress{a.ifindex, a.address});
  return {};
}

void AddressWatch::OnEvent(const LinkEvent& event) {
  if (ApplyAddressEvent(event, addresses_) && on_change_) on_change_(addresses_);
}

void AddressWatch::OnOverrun() {
  const LocalAddresses before = addresses_;
  if (auto r = Dump(); !r) {
    log::Warning("local addresses: cannot read them again after lost notifications: " +
                 r.error().ToString());
    return;
  }
  if (addresses_ != before && on_change_) on_change_(addresses_);
}

}  // namespace vigil::net
