#include "vrrp/advert_receivers.h"

#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include <asio.hpp>

#include "base/fd.h"
#include "base/log.h"

namespace vigil::vrrp {

struct AdvertReceivers::Receiver {
  Receiver(asio::io_context& io, net::VrrpSocket s)
      : sock(std::move(s)), desc(io, fd::Dup(sock.fd()).Release()) {}
  net::VrrpSocket sock;
  asio::posix::stream_descriptor desc;
  std::map<uint8_t, std::string> by_vrid;  // VRID -> instance name
  std::map<uint8_t, uint64_t> shares;      // VRID -> its share of the receive buffer
  uint64_t asked = 0;                      // the receive buffer last asked (0: none)
};

AdvertReceivers::AdvertReceivers(asio::io_context& io, Handler on_advert)
    : io_(io), on_advert_(std::move(on_advert)) {}

AdvertReceivers::~AdvertReceivers() = default;

Result<std::string> AdvertReceivers::Join(const net::VrrpReceiveOptions& options, uint8_t vrid,
                                          const std::string& instance, uint64_t rx_buf_share) {
  std::string key = std::to_string(options.family) + "/" + std::to_string(options.ifindex) + "/" +
                    (options.unicast_src ? options.unicast_src->ToString()
                                         : "mc:" + (options.group ? options.group->ToString() : ""));
  auto it = receivers_.find(key);
  if (it == receivers_.end()) {
    auto sock = net::VrrpSocket::OpenReceiver(options);
    if (!sock) return std::unexpected(sock.error());
    it = receivers_.emplace(key, std::make_unique<Receiver>(io_, std::move(*sock))).first;
    Watch(key);
  }
  auto [v, fresh] = it->second->by_vrid.emplace(vrid, instance);
  if (!fresh && v->second != instance)
    return Fail(ErrorCode::kExists, "VRID " + std::to_string(vrid) + " is already used by " +
                                        v->second + " on the same socket");
  it->second->shares[vrid] = rx_buf_share;
  SizeBuffer(*it->second);
  return key;
}

void AdvertReceivers::SetShare(const std::string& key, uint8_t vrid, uint64_t rx_buf_share) {
  auto it = receivers_.find(key);
  if (it == receivers_.end() || !it->second->by_vrid.contains(vrid)) return;
  it->second->shares[vrid] = rx_buf_share;
  SizeBuffer(*it->second);
}

void AdvertReceivers::SizeBuffer(Receiver& r) {
  uint64_t total = 0;
  for (const auto& [vrid, share] : r.shares) total += share;
  if (total == 0 || total == r.asked) return;
  const int bytes = static_cast<int>(std::min<uint64_t>(total, std::numeric_limits<int>::max()));
  if (::setsockopt(r.sock.fd(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) != 0) {
    log::Warning("VRRP receive socket: SO_RCVBUF " + std::to_string(bytes) + ": " +
                 std::strerror(errno));
    return;
  }
  r.asked = total;
}

void AdvertReceivers::Leave(const std::string& key, uint8_t vrid, const std::string& instance,
                            bool close_unused) {
  auto it = receivers_.find(key);
  if (it == receivers_.end()) return;
  auto v = it->second->by_vrid.find(vrid);
  if (v != it->second->by_vrid.end() && v->second == instance) {
    it->second->by_vrid.erase(v);
    it->second->shares.erase(vrid);
    SizeBuffer(*it->second);
  }
  if (close_unused && it->second->by_vrid.empty()) receivers_.erase(it);
}

void AdvertReceivers::CloseAll() {
  closed_ = true;
  for (auto& [key, r] : receivers_) {
    std::error_code ec;
    r->desc.close(ec);
  }
}

void AdvertReceivers::Watch(const std::string& key) {
  auto it = receivers_.find(key);
  if (it == receivers_.end()) return;
  it->second->desc.async_wait(asio::posix::descriptor_base::wait_read,
                              [this, key](std::error_code ec) {
                                if (ec || closed_) return;
                                Drain(key);
                                Watch(key);
                              });
}

void AdvertReceivers::Drain(const std::string& key) {
  for (int i = 0; i < 256; ++i) {
    auto it = receivers_.find(key);
    if (it == receivers_.end()) return;
    Receiver& r = *it->second;
    auto got = r.sock.Receive();
    if (!got) {
      log::Warning("VRRP receive: " + got.error().ToString());
      return;
    }
    if (!got->has_value()) return;
    const net::ReceivedPacket& p = **got;
    size_t offset = 0;
    if (r.sock.family() == AF_INET) {
      if (p.data.empty()) continue;
      offset = (p.data[0] & 0x0f) * 4u;
    }
    if (p.data.size() < offset + 2) continue;
    auto name = r.by_vrid.find(p.data[offset + 1]);
    if (name == r.by_vrid.end()) {  // another virtual router on this segment
      if (log_unknown_vrids_) LogUnknownVrid(p.data[offset + 1], p);
      continue;
    }
    on_advert_(name->second, p);
  }
}

void AdvertReceivers::LogUnknownVrid(uint8_t vrid, const net::ReceivedPacket& p) {
  char name[IF_NAMESIZE] = {};
  const std::string dev = ::if_indextoname(static_cast<unsigned>(p.ifindex), name)
                              ? std::string(name)
                              : "interface " + std::to_string(p.ifindex);
  log::Info("unknown VRID " + std::to_string(vrid) + " received on " + dev + " from " +
            p.source.ToString() + "; ignored");
}

}  // namespace vigil::vrrp
