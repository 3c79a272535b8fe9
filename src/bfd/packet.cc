#include "bfd/packet.h"

namespace vigil::bfd {
namespace {

void PutU32(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

uint32_t GetU32(const uint8_t* in) {
  return uint32_t{in[0]} << 24 | uint32_t{in[1]} << 16 | uint32_t{in[2]} << 8 | in[3];
}

// Flag bits of the second byte, after the two State bits.
constexpr uint8_t kPollBit = 0x20;
constexpr uint8_t kFinalBit = 0x10;
constexpr uint8_t kControlPlaneBit = 0x08;
constexpr uint8_t kAuthBit = 0x04;
constexpr uint8_t kDemandBit = 0x02;
constexpr uint8_t kMultipointBit = 0x01;

}  // namespace

std::string_view StateName(State state) {
  switch (state) {
    case State::kAdminDown: return "AdminDown";
    case State::kDown: return "Down";
    case State::kInit: return "Init";
    case State::kUp: return "Up";
  }
  return "unknown";
}

std::string_view DiagName(Diag diag) {
  switch (diag) {
    case Diag::kNone: return "No Diagnostic";
    case Diag::kDetectionExpired: return "Control Detection Time Expired";
    case Diag::kEchoFailed: return "Echo Function Failed";
    case Diag::kNeighborDown: return "Neighbor Signaled Session Down";
    case Diag::kForwardingReset: return "Forwarding Plane Reset";
    case Diag::kPathDown: return "Path Down";
    case Diag::kConcatenatedPathDown: return "Concatenated Path Down";
    case Diag::kAdminDown: return "Administratively Down";
    case Diag::kReverseConcatenatedPathDown: return "Reverse Concatenated Path Down";
  }
  return "unknown";
}

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kTooShort: return "too_short";
    case RejectReason::kBadVersion: return "bad_version";
    case RejectReason::kBadLength: return "bad_length";
    case RejectReason::kZeroDetectMult: return "zero_detect_mult";
    case RejectReason::kMultipoint: return "multipoint";
    case RejectReason::kZeroMyDiscriminator: return "zero_my_discriminator";
    case RejectReason::kZeroYourDiscriminator: return "zero_your_discriminator";
    case RejectReason::kPollAndFinal: return "poll_and_final";
    case RejectReason::kBadDiag: return "bad_diag";
    case RejectReason::kBadAuthLength: return "bad_auth_length";
    case RejectReason::kAuthNotConfigured: return "auth_not_configured";
  }
  return "unknown";
}

std::array<uint8_t, kMandatorySize> Encode(const ControlPacket& p) {
  std::array<uint8_t, kMandatorySize> out{};
  out[0] = static_cast<uint8_t>((p.version & 0x07) << 5 | (static_cast<uint8_t>(p.diag) & 0x1f));
  out[1] = static_cast<uint8_t>(
      (static_cast<uint8_t>(p.state) & 0x03) << 6 | (p.poll ? kPollBit : 0) |
      (p.final ? kFinalBit : 0) | (p.control_plane_independent ? kControlPlaneBit : 0) |
      (p.demand ? kDemandBit : 0) | (p.multipoint ? kMultipointBit : 0));
  out[2] = p.detect_mult;
  out[3] = static_cast<uint8_t>(kMandatorySize);
  PutU32(&out[4], p.my_discriminator);
  PutU32(&out[8], p.your_discriminator);
  PutU32(&out[12], p.desired_min_tx_us);
  PutU32(&out[16], p.required_min_rx_us);
  PutU32(&out[20], p.required_min_echo_rx_us);
  return out;
}

std::expected<ControlPacket, RejectReason> Decode(std::span<const uint8_t> d) {
  if (d.size() < kMandatorySize) return std::unexpected(RejectReason::kTooShort);
  ControlPacket p;
  p.version = d[0] >> 5;
  p.diag = static_cast<Diag>(d[0] & 0x1f);
  p.state = static_cast<State>(d[1] >> 6);
  p.poll = (d[1] & kPollBit) != 0;
  p.final = (d[1] & kFinalBit) != 0;
  p.control_plane_independent = (d[1] & kControlPlaneBit) != 0;
  p.auth_present = (d[1] & kAuthBit) != 0;
  p.demand = (d[1] & kDemandBit) != 0;
  p.multipoint = (d[1] & kMultipointBit) != 0;
  p.detect_mult = d[2];
  const size_t length = d[3];
  p.my_discriminator = GetU32(&d[4]);
  p.your_discriminator = GetU32(&d[8]);
  p.desired_min_tx_us = GetU32(&d[12]);
  p.required_min_rx_us = GetU32(&d[16]);
  p.required_min_echo_rx_us = GetU32(&d[20]);

  if (p.version != kVersion) return std::unexpected(RejectReason::kBadVersion);
  const size_t min_length = kMandatorySize + (p.auth_present ? kAuthHeaderSize : 0);
  if (length < min_length || length != d.size()) return std::unexpected(RejectReason::kBadLength);
  if (p.detect_mult == 0) return std::unexpected(RejectReason::kZeroDetectMult);
  if (p.multipoint) return std::unexpected(RejectReason::kMultipoint);
  if (p.my_discriminator == 0) return std::unexpected(RejectReason::kZeroMyDiscriminator);
  if (p.your_discriminator == 0 && p.state != State::kDown && p.state != State::kAdminDown)
    return std::unexpected(RejectReason::kZeroYourDiscriminator);
  if (p.poll && p.final) return std::unexpected(RejectReason::kPollAndFinal);
  if (static_cast<uint8_t>(p.diag) > kMaxDiag) return std::unexpected(RejectReason::kBadDiag);
  if (p.auth_present) {
    p.auth.type = d[kMandatorySize];
    p.auth.length = d[kMandatorySize + 1];
    if (p.auth.length < kAuthHeaderSize || kMandatorySize + p.auth.length > length)
      return std::unexpected(RejectReason::kBadAuthLength);
    return std::unexpected(RejectReason::kAuthNotConfigured);
  }
  return p;
}

bool TtlAcceptable(uint8_t received_ttl, uint8_t ttl, uint8_t max_hops) {
  if (max_hops == 255 || received_ttl == 0) return true;
  return unsigned{max_hops} + received_ttl >= ttl;
}

}  // namespace vigil::bfd
