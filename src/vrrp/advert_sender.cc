#include "vrrp/advert_sender.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "vrrp/kernel_addresses.h"
#include "vrrp/packet.h"

namespace vigil::vrrp {
namespace {

// Pins the source of IPv6 adverts to `source` when it is global (unicast_src_ip,
// mcast_src_ip): left to itself the kernel may pick any global address of the interface,
// a VIP included, and peers would then see the VIP as the master's address. (IPv4 adverts
// carry their own header; link-local sources are what the kernel picks anyway.)
Result<void> BindIpv6Source(const net::VrrpSocket& sock, const model::IpAddress& source) {
  if (source.is_v4() || source.IsLinkLocal()) return {};
  int one = 1;
  if (setsockopt(sock.fd(), IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) != 0)
    return std::unexpected(Error::FromErrno(errno, "IPV6_FREEBIND"));
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  std::memcpy(&sa.sin6_addr, source.bytes().data(), 16);
  if (bind(sock.fd(), reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0)
    return std::unexpected(Error::FromErrno(errno, "bind advert source " + source.ToString()));
  return {};
}

}  // namespace

Result<std::vector<uint8_t>> EncodeAdvert(const InstanceSpec& s, const Advert& advert,
                                          const model::IpAddress& src,
                                          const model::IpAddress& dst, uint16_t ip_id,
                                          UnicastChecksum unicast_checksum,
                                          std::span<const uint8_t> trailer) {
  if (s.family != model::Family::kIpv4) {
    auto message = EncodeVrrp(advert, model::Family::kIpv6);
    if (message) message->insert(message->end(), trailer.begin(), trailer.end());
    return message;
  }
  ChecksumOptions opts;
  opts.v3_checksum_as_v2 = s.v3_checksum_as_v2;
  if (!s.unicast_peers.empty() && unicast_checksum == UnicastChecksum::kLegacy)
    opts.pseudo_header_destination = s.multicast_group;
  Ipv4Fields ip;
  ip.src = src;
  ip.dst = dst;
  ip.ttl = s.unicast_peers.empty() ? kVrrpTtl : s.unicast_ttl;
  ip.id = ip_id;
  return EncodeIpv4Packet(advert, ip, opts, trailer);
}

Result<void> AdvertSender::Open(const InstanceSpec& spec, int ifindex,
                                const model::IpAddress& primary) {
  sock_.reset();
  net::VrrpSendOptions so;
  so.family = spec.family == model::Family::kIpv6 ? AF_INET6 : AF_INET;
  so.ifindex = ifindex;
  so.multicast = spec.unicast_peers.empty();
  auto sock = net::VrrpSocket::OpenSender(so);
  if (!sock) return std::unexpected(sock.error());
  if (auto r = BindIpv6Source(*sock, primary); !r) return r;
  sock_.emplace(std::move(*sock));
  primary_ = primary;
  return {};
}

bool AdvertSender::UseLegacyChecksum() {
  if (legacy_checksum_) return false;
  legacy_checksum_ = true;
  return true;
}

AdvertSender::Report AdvertSender::Send(const InstanceSpec& s,
                                        std::span<const model::IpAddress> addresses,
                                        uint8_t priority,
                                        std::chrono::system_clock::time_point now) {
  Report report;
  if (!sock_) return report;  // no interface (it went away): nowhere to send
  Advert a;
  a.version = s.params.version;
  a.vrid = s.params.vrid;
  a.priority = priority;
  a.interval = IntervalField(s.params.version, s.params.advert_interval);
  a.auth_type = s.params.version == Version::kV2 ? s.auth_type : AuthType::kNone;
  if (a.auth_type == AuthType::kPass) a.auth_data = MakeAuthData(s.auth_pass);
  a.addresses.assign(addresses.begin(), addresses.end());
  std::optional<HmacTrailer> trailer;
  if (s.auth_hmac && s.auth_hmac->mode != model::HmacMode::kReceiveOnly) {
    // The HMAC leaves out the checksum and the destination: one signature for every copy.
    auto message = EncodeVrrp(a, s.family);
    if (!message) {
      report.encode_error = message.error();
      return report;
    }
    trailer = signer_.Sign(*s.auth_hmac, *message,
                           {.family = s.family, .version = static_cast<uint8_t>(a.version),
                            .vrid = a.vrid, .source = primary_},
                           now);
  }
  const std::span<const uint8_t> trailer_bytes =
      trailer ? std::span<const uint8_t>(*trailer) : std::span<const uint8_t>();
  std::vector<model::IpAddress> destinations;
  if (s.unicast_peers.empty()) destinations.push_back(s.multicast_group);
  for (const auto& p : s.unicast_peers) destinations.push_back(p.address);
  for (const auto& dst : destinations) {
    if (s.family == model::Family::kIpv4) ip_id_ = NextIpv4Id(ip_id_);
    auto bytes = EncodeAdvert(s, a, primary_, dst, ip_id_, unicast_checksum(s), trailer_bytes);
    if (!bytes) {
      report.encode_error = bytes.error();
      return report;
    }
    if (auto r = sock_->SendTo(ToRaw(dst), *bytes); !r) {
      report.failed.emplace_back(dst, r.error());
      continue;
    }
    ++report.sent;
  }
  return report;
}

}  // namespace vigil::vrrp
