// VRRP advertisements on the wire: a pure codec for VRRPv2 (RFC 3768) and VRRPv3
// (RFC 5798) over IPv4 and IPv6, and the receive-side validation keepalived performs
// (vrrp_check_packet), in keepalived's order. No sockets, no clock.
//
// VRRP message layout (both versions share the first 8 bytes):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version| Type  | Virtual Rtr ID|   Priority    | Count IPvX Addr|
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   v2: | Auth Type | Adver Int (s) |          Checksum               |
//   v3: |(rsvd)| Max Adver Int (cs)   |          Checksum               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                 IPvX Address(es) (4 or 16 bytes each)          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   v2 over IPv4 only: 8 bytes of authentication data (the password for
//   auth type 1, zero padded).
#ifndef VIGIL_VRRP_PACKET_H_
#define VIGIL_VRRP_PACKET_H_

#include <array>
#include <chrono>
#include <cstdint>
#include "base/expected.h"
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "model/address.h"
#include "net/ipv4_header.h"
#include "vrrp/auth_hmac.h"

namespace vigil::vrrp {

inline constexpr uint8_t kVrrpProtocol = 112;       // IANA protocol number
inline constexpr uint8_t kAhProtocol = 51;          // IPsec AH (VRRPv2 auth type 2)
inline constexpr uint8_t kVrrpTtl = 255;            // TTL / hop limit of multicast adverts
inline constexpr uint8_t kIpv4Tos = 0xc0;           // internetwork control, as keepalived sends
inline constexpr uint8_t kAdvertType = 1;           // the only VRRP packet type
inline constexpr size_t kHeaderSize = 8;            // fixed part of a VRRP message
inline constexpr size_t kAuthDataSize = 8;          // v2 over IPv4 trailer
inline constexpr size_t kIpv4HeaderSize = net::kIpv4HeaderLength;  // EncodeIpv4Packet's
inline constexpr uint16_t kMaxV3Interval = 0x0fff;  // 12-bit centiseconds (40.95 s)

// Returns 224.0.0.18, the IPv4 VRRP multicast group.
model::IpAddress Ipv4MulticastGroup();
// Returns ff02::12, the IPv6 VRRP multicast group.
model::IpAddress Ipv6MulticastGroup();

enum class Version : uint8_t {
  kV2 = 2,
  kV3 = 3,
};

// VRRPv2 authentication types (RFC 2338). Only kNone and kPass are implemented; an
// IPsec-AH packet is reported as RejectReason::kAhUnsupported.
enum class AuthType : uint8_t {
  kNone = 0,
  kPass = 1,
  kAh = 2,
};

// The 8 bytes of VRRPv2 simple-password data: the password, zero padded.
using AuthData = std::array<uint8_t, kAuthDataSize>;

// Returns `password` truncated to 8 bytes and zero padded, as keepalived stores it.
AuthData MakeAuthData(std::string_view password);

// The fields of one advertisement.
struct Advert {
  Version version = Version::kV3;
  uint8_t type = kAdvertType;
  uint8_t vrid = 0;
  uint8_t priority = 0;
  // The advert interval field as on the wire: whole seconds (8 bits) in v2,
  // centiseconds (12 bits) in v3.
  uint16_t interval = 0;
  AuthType auth_type = AuthType::kNone;     // v2 only; zero in v3
  AuthData auth_data{};                     // v2 over IPv4 only
  uint16_t checksum = 0;                    // as decoded; ignored when encoding
  std::vector<model::IpAddress> addresses;  // all of the message's family

  friend bool operator==(const Advert&, const Advert&) = default;
};

// Returns the advert interval `interval` (wire units of `version`) as a duration.
std::chrono::microseconds IntervalDuration(Version version, uint16_t interval);
// Returns the wire value for the interval `d` in `version` units, truncated as keepalived
// does (v2: whole seconds; v3: centiseconds, 12 bits). Values out of range are clamped.
uint16_t IntervalField(Version version, std::chrono::microseconds d);

// Returns the size of a VRRP message of `version` over `family` with `count` addresses.
size_t MessageSize(Version version, model::Family family, size_t count);

// How the checksum of a VRRPv3-over-IPv4 message is computed. Other combinations have
// only one rule: v2 sums the message alone; IPv6 adds the IPv6 pseudo-header.
struct ChecksumOptions {
  // Leaves the IPv4 pseudo-header out (keepalived's `v3_checksum_as_v2`, the Cisco
  // reading of RFC 5798). keepalived's default includes it.
  bool v3_checksum_as_v2 = false;
  // Uses this address as the pseudo-header's destination instead of the packet's own
  // (keepalived before 1.3.6 summed unicast adverts with the multicast group).
  std::optional<model::IpAddress> pseudo_header_destination;
};

// Returns the checksum (host order) that the VRRP message `message` should carry when
// sent from `src` to `dst`. The checksum bytes of `message` are ignored.
uint16_t ComputeChecksum(std::span<const uint8_t> message, Version version,
                         const model::IpAddress& src, const model::IpAddress& dst,
                         const ChecksumOptions& options = {});

// Returns the VRRP message for `advert` over `family` with a zero checksum field. This
// is what an IPv6 raw socket with IPV6_CHECKSUM sends: the kernel fills the checksum.
// Fails (kInvalidArgument) when an address is not of `family`, there are more than 255
// addresses, or a v3 interval exceeds 12 bits.
Result<std::vector<uint8_t>> EncodeVrrp(const Advert& advert, model::Family family);

// Returns the VRRP message for `advert` sent from `src` to `dst`, checksum included.
Result<std::vector<uint8_t>> EncodeVrrp(const Advert& advert, const model::IpAddress& src,
                                        const model::IpAddress& dst,
                                        const ChecksumOptions& options = {});

// The IPv4 header fields a sender chooses (keepalived builds the header itself and sends
// with IP_HDRINCL). The header is 20 bytes: version 4, IHL 5, TOS 0xc0, no DF, protocol
// 112, and a header checksum (the kernel would fill the same value in).
struct Ipv4Fields {
  model::IpAddress src;
  model::IpAddress dst;
  uint8_t ttl = kVrrpTtl;
  // The identification field. keepalived counts it up per advert and skips 0, because
  // the kernel replaces a zero id with its own.
  uint16_t id = 0;
};

// Returns the identification to use after `previous`: one more, skipping 0.
uint16_t NextIpv4Id(uint16_t previous);

// Returns the IPv4 header followed by the VRRP message for `advert` and `trailer` (the
// auth_hmac trailer: counted in the total length, outside the VRRP checksum).
Result<std::vector<uint8_t>> EncodeIpv4Packet(const Advert& advert, const Ipv4Fields& ip,
                                              const ChecksumOptions& options = {},
                                              std::span<const uint8_t> trailer = {});

// Why a received packet was refused. Each value has a stable metric name.
enum class RejectReason : uint8_t {
  kTooShort,           // shorter than the IP and VRRP fixed headers
  kNotVrrp,            // IPv4 header is not version 4 / protocol 112
  kAhUnsupported,      // IPsec AH (auth type 2) is not implemented
  kWrongVrid,          // the packet is for another virtual router
  kBadLength,          // length disagrees with the address count (padding allowed)
  kBadTtl,             // multicast advert with TTL / hop limit other than 255
  kBadVersion,         // VRRP version differs from the instance's
  kInvalidAuthType,    // v2 auth type is not 0, 1 or 2
  kAuthTypeMismatch,   // v2 auth type differs from the instance's
  kAuthFailure,        // v2 password differs
  kIntervalMismatch,   // v2 advert interval differs (dropped, not counted as error)
  kBadType,            // type is not 1 (advertisement)
  kBadIpLength,        // IPv4 total length disagrees with the received length
  kBadChecksum,        // checksum does not verify
  kCastMismatch,       // multicast packet for a unicast instance, or the reverse
  kUnknownPeer,        // unicast source is not a configured peer (check_unicast_src)
  kPeerTtlOutOfRange,  // unicast TTL outside the peer's min_ttl..max_ttl
  kZeroInterval,       // v3 Max Adver Int 0 (below the 1 cs unit): a master that is never
                       // heard from again at once; taking it would flap on every advert
  // auth_hmac (HmacVerdict):
  kAuthMissing,        // no trailer, mode enforce
  kAuthMalformed,      // unknown trailer scheme or reserved bits set
  kAuthUnknownKey,     // the trailer's key id is not configured
  kAuthBadHmac,        // the HMAC does not verify
  kAuthStale,          // the trailer's time is outside time_window of our clock
  kAuthReplay,         // the sender's sequence did not grow
};

inline constexpr size_t kRejectReasonCount = 24;

// Returns the stable lower-case metric name of `reason` ("bad_ttl", "bad_checksum", ...).
std::string_view RejectReasonName(RejectReason reason);

// Parses the VRRP message `message` (no IP header) of `family`. Checks only what is
// needed to read it: the fixed header and that `message` holds every address (and the
// v2 IPv4 auth data); trailing bytes are ignored. Does not verify the checksum.
std::expected<Advert, RejectReason> DecodeVrrp(std::span<const uint8_t> message,
                                               model::Family family);

// A packet as read from a raw socket.
struct ReceivedPacket {
  // IPv4: the datagram from its IP header on (as a raw IPv4 socket returns it).
  // IPv6: the VRRP message alone.
  std::span<const uint8_t> bytes;
  model::Family family = model::Family::kIpv4;
  // IPv6 only: the sender (recvmsg), the destination (IPV6_PKTINFO) and the hop limit
  // (IPV6_HOPLIMIT; -1 if the kernel did not report it, which skips the check). For
  // IPv4 these are read from the IP header.
  model::IpAddress source;
  model::IpAddress destination;
  int hop_limit = -1;
};

// A configured unicast peer, for check_unicast_src.
struct UnicastPeer {
  model::IpAddress address;
  uint8_t min_ttl = 0;
  uint8_t max_ttl = 255;

  friend bool operator==(const UnicastPeer&, const UnicastPeer&) = default;
};

// Which pseudo-header destination a VRRPv3-over-IPv4 unicast advert is summed with
// (keepalived's `old_unicast_checksum`). keepalived 1.3.6 and older used the multicast
// group instead of the packet's destination.
enum class UnicastChecksum : uint8_t {
  // The packet's destination; an advert summed over the multicast group is accepted as
  // well and flagged (ValidAdvert::legacy_unicast_checksum): the instance then switches
  // to kLegacy for good. keepalived's default.
  kDetect,
  // The packet's destination only (`old_unicast_checksum never`).
  kStandard,
  // The multicast group only (`old_unicast_checksum`, or kDetect after the switch).
  kLegacy,
};

// What one VRRP instance expects of the adverts it accepts. The spans are borrowed for
// the duration of the ValidateAdvert call.
struct Expectation {
  model::Family family = model::Family::kIpv4;
  Version version = Version::kV2;
  uint8_t vrid = 0;
  AuthType auth_type = AuthType::kNone;  // v2: kNone or kPass
  AuthData auth_data{};                  // v2 kPass: the password
  uint16_t interval = 1;                 // configured interval in wire units of `version`
  bool unicast = false;                  // the instance has unicast peers
  std::span<const model::IpAddress> virtual_addresses;  // the VIPs it advertises
  // Compare the advert's addresses with `virtual_addresses`. keepalived skips this for
  // the current master when skip_check_adv_addr is set.
  bool check_addresses = true;
  // VRRPv3 over IPv4: the instance sums its own adverts without the pseudo-header, and
  // (as keepalived 2.4) does not verify the checksum of those it receives.
  bool v3_checksum_as_v2 = false;
  // VRRPv3 over IPv4, unicast: the pseudo-header destination the instance expects.
  UnicastChecksum unicast_checksum = UnicastChecksum::kDetect;
  // The group whose address keepalived's pre-1.3.6 unicast checksum used.
  model::IpAddress ipv4_multicast_group = Ipv4MulticastGroup();
  // Verify IPv6 checksums too (the kernel already does with IPV6_CHECKSUM).
  bool verify_ipv6_checksum = false;
  // Only accept unicast adverts from `peers`, within each peer's TTL range.
  bool check_unicast_source = false;
  std::span<const UnicastPeer> peers;
  // auth_hmac: verify trailers with `hmac`, keeping each sender's sequence in
  // `hmac_state`, against wall-clock time `wall_clock`. Both null: no auth_hmac.
  const model::AuthHmac* hmac = nullptr;
  HmacVerifier* hmac_state = nullptr;
  std::chrono::system_clock::time_point wall_clock{};
};

// An advert that passed validation, with what was noticed on the way.
struct ValidAdvert {
  Advert advert;
  model::IpAddress source;
  model::IpAddress destination;
  // The address count differs from the instance's VIP count (logged, not refused).
  bool address_count_mismatch = false;
  // A VIP of the instance is missing from the advert (logged, not refused).
  bool address_mismatch = false;
  // v3: the advertised interval differs from ours (RFC 5798 says log it).
  bool interval_mismatch = false;
  // kDetect: the v3 IPv4 checksum verified only with the multicast group as pseudo-header
  // destination: the sender uses keepalived's old unicast checksum; reply in kind.
  bool legacy_unicast_checksum = false;
  // auth_hmac with anti_replay time: our clock minus the sender's, in seconds.
  std::optional<int32_t> hmac_skew;
};

// Validates `packet` for the instance described by `expect`, in keepalived's order:
// header present, protocol (AH refused), VRID (keepalived dispatches on it first),
// length (tolerating Ethernet padding; with auth_hmac a packet exactly one trailer
// longer carries one), TTL/hop limit 255 unless unicast, version, auth_hmac (a unicast
// sender must be a peer; see HmacVerifier::Check), v2 auth type and password (constant-time), v2 interval, type, IPv4 total length,
// checksum (IPv4; IPv6 on request), unicast/multicast consistency, address list (only
// flagged), unicast source and TTL range.
std::expected<ValidAdvert, RejectReason> ValidateAdvert(const ReceivedPacket& packet,
                                                        const Expectation& expect);

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_PACKET_H_
