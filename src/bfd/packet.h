// BFD control packets on the wire: a pure codec for the mandatory section of RFC 5880
// section 4.1 and the receive-side checks of section 6.8.6 that concern the packet alone
// (the session lookup and the state machine are session.h's). No sockets, no clock.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                       My Discriminator                        |
//   |                      Your Discriminator                       |
//   |                    Desired Min TX Interval                    |
//   |                   Required Min RX Interval                    |
//   |                 Required Min Echo RX Interval                 |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   optional, when A is set:
//   |   Auth Type   |   Auth Len    |    Authentication Data...     |
//
// Intervals are microseconds. keepalived (and so vigil) implements no authentication:
// a packet with the A bit is parsed far enough to be named, then refused.
#ifndef VIGIL_BFD_PACKET_H_
#define VIGIL_BFD_PACKET_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/expected.h"

namespace vigil::bfd {

inline constexpr uint16_t kControlPort = 3784;        // RFC 5881 single hop
inline constexpr uint16_t kMultihopControlPort = 4784;  // RFC 5883
inline constexpr uint16_t kSourcePortMin = 49152;     // RFC 5881 section 4
inline constexpr uint16_t kSourcePortMax = 65535;
inline constexpr uint8_t kSingleHopTtl = 255;         // RFC 5881 section 5 (GTSM)
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kMandatorySize = 24;          // the section without authentication
inline constexpr size_t kAuthHeaderSize = 2;          // Auth Type and Auth Len

enum class State : uint8_t {
  kAdminDown = 0,
  kDown = 1,
  kInit = 2,
  kUp = 3,
};

// Diagnostic codes (RFC 5880 section 4.1); 9-31 are reserved and refused on receipt.
enum class Diag : uint8_t {
  kNone = 0,
  kDetectionExpired = 1,
  kEchoFailed = 2,
  kNeighborDown = 3,
  kForwardingReset = 4,
  kPathDown = 5,
  kConcatenatedPathDown = 6,
  kAdminDown = 7,
  kReverseConcatenatedPathDown = 8,
};
inline constexpr uint8_t kMaxDiag = 8;

// Returns "AdminDown", "Down", "Init" or "Up".
std::string_view StateName(State state);
// Returns the RFC's name of `diag` ("Control Detection Time Expired", ...).
std::string_view DiagName(Diag diag);

// The authentication section's header, when the A bit is set.
struct AuthSection {
  uint8_t type = 0;
  uint8_t length = 0;  // Auth Len: the section's size including these two bytes

  friend bool operator==(const AuthSection&, const AuthSection&) = default;
};

// The fields of one control packet.
struct ControlPacket {
  uint8_t version = kVersion;
  Diag diag = Diag::kNone;
  State state = State::kDown;
  bool poll = false;
  bool final = false;
  bool control_plane_independent = false;
  bool auth_present = false;
  bool demand = false;
  bool multipoint = false;
  uint8_t detect_mult = 0;
  uint32_t my_discriminator = 0;
  uint32_t your_discriminator = 0;
  uint32_t desired_min_tx_us = 0;
  uint32_t required_min_rx_us = 0;
  uint32_t required_min_echo_rx_us = 0;
  AuthSection auth;  // meaningful only when auth_present

  friend bool operator==(const ControlPacket&, const ControlPacket&) = default;
};

// Returns the 24-byte mandatory section for `packet` (Length 24). The A bit and any
// authentication section are never sent: vigil, as keepalived, has no BFD authentication.
std::array<uint8_t, kMandatorySize> Encode(const ControlPacket& packet);

// Why a received packet was refused. Each value has a stable metric name.
enum class RejectReason : uint8_t {
  kTooShort,           // fewer bytes than the mandatory section (or its auth header)
  kBadVersion,         // Version is not 1
  kBadLength,          // Length below 24 (26 with A), or not the datagram's size
  kZeroDetectMult,     // Detect Mult is zero
  kMultipoint,         // M bit set (reserved for point-to-multipoint)
  kZeroMyDiscriminator,
  kZeroYourDiscriminator,  // Your Discriminator zero in a state other than Down/AdminDown
  kPollAndFinal,       // P and F together (keepalived's additional check)
  kBadDiag,            // a reserved diagnostic code (keepalived's additional check)
  kBadAuthLength,      // A set and Auth Len does not fit the packet
  kAuthNotConfigured,  // A set: authentication is not in use on any session
};

inline constexpr size_t kRejectReasonCount = 11;

// Returns the stable lower-case metric name of `reason` ("bad_length", ...).
std::string_view RejectReasonName(RejectReason reason);

// Parses the UDP payload `datagram` and applies RFC 5880 6.8.6's packet checks in the
// RFC's order, then keepalived's two additional ones, then the A bit. As keepalived, the Length field must
// equal the datagram's size (the RFC only refuses a Length beyond it). A packet with the
// A bit is refused with kAuthNotConfigured once its authentication header is read (or
// kBadAuthLength when that header does not fit).
std::expected<ControlPacket, RejectReason> Decode(std::span<const uint8_t> datagram);

// Returns whether a packet received with IP TTL / hop limit `received_ttl` passes the
// GTSM check of RFC 5881 section 5 as keepalived extends it: it may have crossed at most
// `max_hops` routers from a sender using `ttl` (a session's ttl/max_hops settings;
// max_hops 255 disables the check). A `received_ttl` of 0 means the kernel did not report
// one, and passes.
bool TtlAcceptable(uint8_t received_ttl, uint8_t ttl, uint8_t max_hops);

}  // namespace vigil::bfd

#endif  // VIGIL_BFD_PACKET_H_
