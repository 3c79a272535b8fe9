#include "vrrp/packet.h"

#include <algorithm>
#include <string>

#include "net/checksum.h"
#include "net/ipv4_header.h"

namespace vigil::vrrp {
namespace {

using model::Family;
using model::IpAddress;

// Ethernet pads frames to 60 bytes (ETH_ZLEN) of which 14 are the header (ETH_HLEN),
// so a short IP packet may arrive with trailing bytes; each stripped VLAN tag (4 bytes)
// shortens that padding. keepalived accepts a surplus that fits this pattern.
constexpr size_t kEthernetMinPayload = 60 - 14;
constexpr size_t kVlanTagSize = 4;

bool IsEthernetPadding(size_t expected, size_t received) {
  return expected < kEthernetMinPayload && expected < received && received <= kEthernetMinPayload &&
         (received - expected) % kVlanTagSize ==
             (kVlanTagSize - kEthernetMinPayload % kVlanTagSize) % kVlanTagSize;
}

size_t AddressSize(Family family) { return family == Family::kIpv6 ? 16 : 4; }

uint16_t ReadBe16(std::span<const uint8_t> b, size_t at) { return net::LoadBe16(&b[at]); }

void WriteBe16(std::vector<uint8_t>& b, size_t at, uint16_t v) { net::StoreBe16(&b[at], v); }

std::array<uint8_t, 4> V4Bytes(const IpAddress& a) {
  return {a.bytes()[0], a.bytes()[1], a.bytes()[2], a.bytes()[3]};
}

IpAddress AddressAt(std::span<const uint8_t> b, size_t at, Family family) {
  if (family == Family::kIpv4) {
    return IpAddress::V4((uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) |
                         (uint32_t{b[at + 2]} << 8) | uint32_t{b[at + 3]});
  }
  std::array<uint8_t, 16> bytes{};
  std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(at), 16, bytes.begin());
  return IpAddress::V6(bytes);
}

bool HasAuthData(uint8_t version, Family family) { return version == 2 && family == Family::kIpv4; }

size_t WireMessageSize(uint8_t version, Family family, size_t count) {
  return kHeaderSize + count * AddressSize(family) +
         (HasAuthData(version, family) ? kAuthDataSize : 0);
}

// Reads the message fields; `message` must hold WireMessageSize() bytes.
Advert ParseFields(std::span<const uint8_t> message, Family family) {
  Advert a;
  const uint8_t version = message[0] >> 4;
  a.version = static_cast<Version>(version);
  a.type = message[0] & 0x0f;
  a.vrid = message[1];
  a.priority = message[2];
  const uint8_t count = message[3];
  if (version == 2) {
    a.auth_type = static_cast<AuthType>(message[4]);
    a.interval = message[5];
  } else {
    a.interval = ReadBe16(message, 4) & kMaxV3Interval;
  }
  a.checksum = ReadBe16(message, 6);
  a.addresses.reserve(count);
  const size_t size = AddressSize(family);
  for (size_t i = 0; i < count; ++i) {
    a.addresses.push_back(AddressAt(message, kHeaderSize + i * size, family));
  }
  if (HasAuthData(version, family)) {
    const size_t at = kHeaderSize + count * size;
    std::copy_n(message.begin() + static_cast<std::ptrdiff_t>(at), kAuthDataSize,
                a.auth_data.begin());
  }
  return a;
}

// Compares in time independent of where the first difference is.
bool EqualConstantTime(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<uint8_t>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

IpAddress Ipv4MulticastGroup() { return IpAddress::V4(0xe0000012); }

IpAddress Ipv6MulticastGroup() {
  std::array<uint8_t, 16> b{};
  b[0] = 0xff;
  b[1] = 0x02;
  b[15] = 0x12;
  return IpAddress::V6(b);
}

AuthData MakeAuthData(std::string_view password) {
  AuthData d{};
  std::copy_n(password.begin(), std::min(password.size(), d.size()), d.begin());
  return d;
}

std::chrono::microseconds IntervalDuration(Version version, uint16_t interval) {
  if (version == Version::kV2) return std::chrono::seconds(interval);
  return std::chrono::milliseconds(10) * interval;
}

uint16_t IntervalField(Version version, std::chrono::microseconds d) {
  if (d.count() < 0) return 0;
  if (version == Version::kV2) {
    return static_cast<uint16_t>(
        std::min<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(d).count(), 255));
  }
  return static_cast<uint16_t>(std::min<int64_t>(d.count() / 10000, kMaxV3Interval));
}

size_t MessageSize(Version version, Family family, size_t count) {
  return WireMessageSize(static_cast<uint8_t>(version), family, count);
}

uint16_t ComputeChecksum(std::span<const uint8_t> message, Version version, const IpAddress& src,
                         const IpAddress& dst, const ChecksumOptions& options) {
  std::vector<uint8_t> copy(message.begin(), message.end());
  if (copy.size() >= kHeaderSize) {
    copy[6] = 0;
    copy[7] = 0;
  }
  if (src.is_v6()) {
    return net::Ipv6PseudoHeaderChecksum(src.bytes(), dst.bytes(), kVrrpProtocol, copy);
  }
  if (version == Version::kV2 || options.v3_checksum_as_v2) return net::InternetChecksum(copy);
  const IpAddress& pseudo_dst = options.pseudo_header_destination.value_or(dst);
  return net::Ipv4PseudoHeaderChecksum(V4Bytes(src), V4Bytes(pseudo_dst), kVrrpProtocol, copy);
}

Result<std::vector<uint8_t>> EncodeVrrp(const Advert& advert, Family family) {
  if (family != Family::kIpv4 && family != Family::kIpv6) {
    return Fail(ErrorCode::kInvalidArgument, "VRRP advert needs an IPv4 or IPv6 family");
  }
  if (advert.version != Version::kV2 && advert.version != Version::kV3) {
    return Fail(ErrorCode::kInvalidArgument, "VRRP version must be 2 or 3");
  }
  if (advert.addresses.size() > 255) {
    return Fail(ErrorCode::kInvalidArgument, "VRRP advert holds at most 255 addresses");
  }
  if (advert.version == Version::kV2 ? advert.interval > 255 : advert.interval > kMaxV3Interval) {
    return Fail(ErrorCode::kInvalidArgument,
                "VRRP advert interval " + std::to_string(advert.interval) + " out of range");
  }
  for (const IpAddress& a : advert.addresses) {
    if (a.family() != family) {
      return Fail(ErrorCode::kInvalidArgument,
                  "VRRP advert address " + a.ToString() + " is not of the packet's family");
    }
  }
  const uint8_t version = static_cast<uint8_t>(advert.version);
  std::vector<uint8_t> b(WireMessageSize(version, family, advert.addresses.size()), 0);
  b[0] = static_cast<uint8_t>((version << 4) | (advert.type & 0x0f));
  b[1] = advert.vrid;
  b[2] = advert.priority;
  b[3] = static_cast<uint8_t>(advert.addresses.size());
  if (advert.version == Version::kV2) {
    b[4] = static_cast<uint8_t>(advert.auth_type);
    b[5] = static_cast<uint8_t>(advert.interval);
  } else {
    WriteBe16(b, 4, advert.interval & kMaxV3Interval);
  }
  size_t at = kHeaderSize;
  const size_t size = AddressSize(family);
  for (const IpAddress& a : advert.addresses) {
    std::copy_n(a.bytes().begin(), size, b.begin() + static_cast<std::ptrdiff_t>(at));
    at += size;
  }
  if (HasAuthData(version, family) && advert.auth_type == AuthType::kPass) {
    std::copy(advert.auth_data.begin(), advert.auth_data.end(),
              b.begin() + static_cast<std::ptrdiff_t>(at));
  }
  return b;
}

Result<std::vector<uint8_t>> EncodeVrrp(const Advert& advert, const IpAddress& src,
                                        const IpAddress& dst, const ChecksumOptions& options) {
  if (src.family() != dst.family()) {
    return Fail(ErrorCode::kInvalidArgument, "VRRP source and destination families differ");
  }
  auto message = EncodeVrrp(advert, src.family());
  if (!message) return message;
  WriteBe16(*message, 6, ComputeChecksum(*message, advert.version, src, dst, options));
  return message;
}

uint16_t NextIpv4Id(uint16_t previous) {
  const uint16_t next = static_cast<uint16_t>(previous + 1);
  return next == 0 ? 1 : next;
}

Result<std::vector<uint8_t>> EncodeIpv4Packet(const Advert& advert, const Ipv4Fields& ip,
                                              const ChecksumOptions& options,
                                              std::span<const uint8_t> trailer) {
  if (!ip.src.is_v4() || !ip.dst.is_v4()) {
    return Fail(ErrorCode::kInvalidArgument, "IPv4 VRRP packet needs IPv4 addresses");
  }
  auto message = EncodeVrrp(advert, ip.src, ip.dst, options);
  if (!message) return message;
  // keepalived does not set DF.
  const auto header = net::BuildIpv4Header(
      {.tos = kIpv4Tos, .id = ip.id, .ttl = ip.ttl, .protocol = kVrrpProtocol,
       .src = V4Bytes(ip.src), .dst = V4Bytes(ip.dst)},
      static_cast<uint16_t>(message->size() + trailer.size()));
  std::vector<uint8_t> packet(header.begin(), header.end());
  packet.insert(packet.end(), message->begin(), message->end());
  packet.insert(packet.end(), trailer.begin(), trailer.end());
  return packet;
}

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kTooShort:
      return "too_short";
    case RejectReason::kNotVrrp:
      return "not_vrrp";
    case RejectReason::kAhUnsupported:
      return "ah_unsupported";
    case RejectReason::kWrongVrid:
      return "wrong_vrid";
    case RejectReason::kBadLength:
      return "bad_length";
    case RejectReason::kBadTtl:
      return "bad_ttl";
    case RejectReason::kBadVersion:
      return "bad_version";
    case RejectReason::kInvalidAuthType:
      return "invalid_auth_type";
    case RejectReason::kAuthTypeMismatch:
      return "auth_type_mismatch";
    case RejectReason::kAuthFailure:
      return "auth_failure";
    case RejectReason::kIntervalMismatch:
      return "interval_mismatch";
    case RejectReason::kBadType:
      return "bad_type";
    case RejectReason::kBadIpLength:
      return "bad_ip_length";
    case RejectReason::kBadChecksum:
      return "bad_checksum";
    case RejectReason::kCastMismatch:
      return "cast_mismatch";
    case RejectReason::kUnknownPeer:
      return "unknown_peer";
    case RejectReason::kPeerTtlOutOfRange:
      return "peer_ttl_out_of_range";
    case RejectReason::kZeroInterval:
      return "zero_interval";
    case RejectReason::kAuthMissing:
      return "auth_missing";
    case RejectReason::kAuthMalformed:
      return "auth_malformed";
    case RejectReason::kAuthUnknownKey:
      return "auth_unknown_key";
    case RejectReason::kAuthBadHmac:
      return "auth_bad_hmac";
    case RejectReason::kAuthStale:
      return "auth_stale";
    case RejectReason::kAuthReplay:
      return "auth_replay";
  }
  return "unknown";
}

std::expected<Advert, RejectReason> DecodeVrrp(std::span<const uint8_t> message, Family family) {
  if (message.size() < kHeaderSize) return std::unexpected(RejectReason::kTooShort);
  const uint8_t version = message[0] >> 4;
  if (version != 2 && version != 3) return std::unexpected(RejectReason::kBadVersion);
  if (message.size() < WireMessageSize(version, family, message[3])) {
    return std::unexpected(RejectReason::kBadLength);
  }
  return ParseFields(message, family);
}

std::expected<ValidAdvert, RejectReason> ValidateAdvert(const ReceivedPacket& packet,
                                                        const Expectation& expect) {
  using Reject = std::unexpected<RejectReason>;
  const std::span<const uint8_t> bytes = packet.bytes;
  const Family family = packet.family;
  const bool ipv4 = family == Family::kIpv4;

  // The fixed headers.
  size_t ihl = 0;
  IpAddress src = packet.source;
  IpAddress dst = packet.destination;
  int ttl = packet.hop_limit;
  if (ipv4) {
    if (bytes.size() < kIpv4HeaderSize) return Reject(RejectReason::kTooShort);
    if ((bytes[0] >> 4) != 4) return Reject(RejectReason::kNotVrrp);
    ihl = size_t{bytes[0] & 0x0fu} * 4;
    if (ihl < kIpv4HeaderSize || bytes.size() < ihl + kHeaderSize) {
      return Reject(RejectReason::kTooShort);
    }
    if (bytes[9] == kAhProtocol) return Reject(RejectReason::kAhUnsupported);
    if (bytes[9] != kVrrpProtocol) return Reject(RejectReason::kNotVrrp);
    src = AddressAt(bytes, 12, Family::kIpv4);
    dst = AddressAt(bytes, 16, Family::kIpv4);
    ttl = bytes[8];
  } else if (bytes.size() < kHeaderSize) {
    return Reject(RejectReason::kTooShort);
  }
  const std::span<const uint8_t> message = bytes.subspan(ihl);

  // keepalived looks the instance up by VRID before any other check.
  if (message[1] != expect.vrid) return Reject(RejectReason::kWrongVrid);

  // MUST: the packet holds the whole message, addresses included.
  const uint8_t version = message[0] >> 4;
  const size_t message_size = WireMessageSize(version, family, message[3]);
  size_t expected_size = ihl + message_size;
  // A trailer lengthens the packet by more than Ethernet padding ever does.
  std::span<const uint8_t> trailer;
  if (expect.hmac != nullptr && bytes.size() == expected_size + kHmacTrailerSize) {
    trailer = message.subspan(message_size, kHmacTrailerSize);
    expected_size += kHmacTrailerSize;
  }
  if (bytes.size() != expected_size && !IsEthernetPadding(expected_size, bytes.size())) {
    return Reject(RejectReason::kBadLength);
  }

  // MUST: TTL / hop limit 255, except for unicast.
  if (!expect.unicast && ttl != -1 && ttl != kVrrpTtl) return Reject(RejectReason::kBadTtl);

  if (version != static_cast<uint8_t>(expect.version)) return Reject(RejectReason::kBadVersion);

  // auth_hmac: authenticate before any field is believed.
  std::optional<int32_t> hmac_skew;
  if (expect.hmac != nullptr && expect.hmac_state != nullptr) {
    if (expect.unicast && !trailer.empty() &&
        std::none_of(expect.peers.begin(), expect.peers.end(),
                     [&](const UnicastPeer& p) { return p.address == src; })) {
      return Reject(RejectReason::kUnknownPeer);  // no peer to keep its sequence for
    }
    const HmacVerifier::Outcome auth = expect.hmac_state->Check(
        *expect.hmac, message.first(message_size), trailer,
        {.family = family, .version = version, .vrid = message[1], .source = src},
        expect.unicast, expect.wall_clock);
    switch (auth.verdict) {
      case HmacVerdict::kOk:
        break;
      case HmacVerdict::kMissing:
        return Reject(RejectReason::kAuthMissing);
      case HmacVerdict::kMalformed:
        return Reject(RejectReason::kAuthMalformed);
      case HmacVerdict::kUnknownKey:
        return Reject(RejectReason::kAuthUnknownKey);
      case HmacVerdict::kBadHmac:
        return Reject(RejectReason::kAuthBadHmac);
      case HmacVerdict::kStale:
        return Reject(RejectReason::kAuthStale);
      case HmacVerdict::kReplay:
        return Reject(RejectReason::kAuthReplay);
    }
    hmac_skew = auth.skew;
  }

  if (version == 2) {
    const uint8_t auth_type = message[4];
    if (auth_type > static_cast<uint8_t>(AuthType::kAh)) {
      return Reject(RejectReason::kInvalidAuthType);
    }
    if (expect.auth_type == AuthType::kAh) return Reject(RejectReason::kAhUnsupported);
    if (auth_type != static_cast<uint8_t>(expect.auth_type)) {
      return Reject(RejectReason::kAuthTypeMismatch);
    }
    if (expect.auth_type == AuthType::kPass) {
      if (!HasAuthData(version, family)) return Reject(RejectReason::kAuthFailure);
      const auto password = message.subspan(message_size - kAuthDataSize, kAuthDataSize);
      if (!EqualConstantTime(password, expect.auth_data)) {
        return Reject(RejectReason::kAuthFailure);
      }
    }
    // Two routers with different intervals would both become master; drop.
    if (message[5] != expect.interval) return Reject(RejectReason::kIntervalMismatch);
  }

  if ((message[0] & 0x0f) != kAdvertType) return Reject(RejectReason::kBadType);

  if (ipv4) {
    const size_t total_length = ReadBe16(bytes, 2);
    if (total_length != bytes.size() && !IsEthernetPadding(total_length, bytes.size())) {
      return Reject(RejectReason::kBadIpLength);
    }
  }

  ValidAdvert out;
  const std::span<const uint8_t> exact = message.first(message_size);
  out.advert = ParseFields(exact, family);
  out.source = src;
  out.destination = dst;
  out.hmac_skew = hmac_skew;
  if (version == 3 && out.advert.interval != expect.interval) out.interval_mismatch = true;

  // MUST: verify the checksum. keepalived does not, for a v3_checksum_as_v2 instance.
  if (ipv4) {
    if (version == 2) {
      if (net::InternetChecksum(exact) != 0) return Reject(RejectReason::kBadChecksum);
    } else if (!expect.v3_checksum_as_v2) {
      const IpAddress& group = expect.ipv4_multicast_group;
      // keepalived sums a multicast advert, and a legacy unicast one, over the group.
      const bool legacy = expect.unicast && expect.unicast_checksum == UnicastChecksum::kLegacy;
      const IpAddress& pseudo_dst = legacy && group.is_v4() ? group : dst;
      if (net::Ipv4PseudoHeaderChecksum(V4Bytes(src), V4Bytes(pseudo_dst), kVrrpProtocol,
                                        exact) != 0) {
        if (expect.unicast && expect.unicast_checksum == UnicastChecksum::kDetect &&
            dst != group && group.is_v4() &&
            net::Ipv4PseudoHeaderChecksum(V4Bytes(src), V4Bytes(group), kVrrpProtocol, exact) ==
                0) {
          out.legacy_unicast_checksum = true;
        } else {
          return Reject(RejectReason::kBadChecksum);
        }
      }
    }
  } else if (expect.verify_ipv6_checksum) {
    // The IPv6 checksum covers the whole payload, a trailer included.
    const auto payload = message.first(message_size + trailer.size());
    if (net::Ipv6PseudoHeaderChecksum(src.bytes(), dst.bytes(), kVrrpProtocol, payload) != 0) {
      return Reject(RejectReason::kBadChecksum);
    }
  }

  // v3 carries the interval in centiseconds: 0 would make every backup's Master_Down
  // timer expire at once (a take-over per advert), so such an advert is never obeyed.
  if (version == 3 && out.advert.interval == 0) return Reject(RejectReason::kZeroInterval);

  // A multicast instance takes only multicast adverts and a unicast one only unicast.
  if (dst.IsMulticast() == expect.unicast) return Reject(RejectReason::kCastMismatch);

  // MAY: compare the addresses. A difference is reported, not refused.
  if (out.advert.addresses.size() != expect.virtual_addresses.size()) {
    out.address_count_mismatch = true;
  } else if (expect.check_addresses) {
    for (const IpAddress& vip : expect.virtual_addresses) {
      if (std::find(out.advert.addresses.begin(), out.advert.addresses.end(), vip) ==
          out.advert.addresses.end()) {
        out.address_mismatch = true;
        break;
      }
    }
  }

  if (expect.unicast && expect.check_unicast_source) {
    const auto peer = std::find_if(expect.peers.begin(), expect.peers.end(),
                                   [&](const UnicastPeer& p) { return p.address == src; });
    if (peer == expect.peers.end()) return Reject(RejectReason::kUnknownPeer);
    if (ttl != -1 && (ttl < peer->min_ttl || ttl > peer->max_ttl)) {
      return Reject(RejectReason::kPeerTtlOutOfRange);
    }
  }
  return out;
}

}  // namespace vigil::vrrp
