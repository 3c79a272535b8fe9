// auth_hmac: keepalived's authenticated advert trailer (keepalived 2.4). A signed advert
// carries 28 bytes after the VRRP message; the IPv4 total length counts them, the VRRP
// checksum does not (IPv6: the kernel's checksum covers them, as all of the payload).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | Type (1)      |    Key ID     |           Reserved (0)        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                  Seconds (UTC, since the epoch)               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   Fraction (1/65536 s)        |           Counter             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          HMAC-SHA256, first 16 bytes (4 words)                |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The HMAC covers a 20-byte pseudo-header (4 or 6, the VRRP version, the VRID, 0, the
// sender's address zero padded to 16 bytes), the VRRP message with its checksum read as
// zero, the trailer's first 12 bytes and 16 zero bytes. Seconds, fraction and counter
// form one 64-bit sequence that grows with every advert of a sender; receivers refuse a
// sequence that does not grow (per sender) and, with `anti_replay time`, seconds more
// than time_window away from their own clock.
//
// Pure: the wall clock is a parameter. Not thread-safe; each instance owns its state.
#ifndef VIGIL_VRRP_AUTH_HMAC_H_
#define VIGIL_VRRP_AUTH_HMAC_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "model/address.h"
#include "model/config.h"

namespace vigil::vrrp {

inline constexpr size_t kHmacTrailerSize = 28;
inline constexpr uint8_t kHmacSha256Type = 1;     // the trailer's scheme: truncated SHA256
inline constexpr size_t kHmacDigestSize = 16;     // bytes of the HMAC on the wire
inline constexpr size_t kHmacPseudoHeaderSize = 20;
inline constexpr size_t kHmacMulticastSenders = 4;  // replay slots of a multicast instance

using Sha256Digest = std::array<uint8_t, 32>;
using HmacTrailer = std::array<uint8_t, kHmacTrailerSize>;

// Returns HMAC-SHA256 (RFC 2104) under `key` of the concatenation of `parts`.
Sha256Digest HmacSha256(std::span<const uint8_t> key,
                        std::initializer_list<std::span<const uint8_t>> parts);

// What an advert's HMAC binds besides its bytes.
struct HmacBinding {
  model::Family family = model::Family::kIpv4;
  uint8_t version = 2;
  uint8_t vrid = 0;
  model::IpAddress source;  // the sender's address (the packet's source on receipt)
};

// Returns the 20-byte pseudo-header of `binding`.
std::array<uint8_t, kHmacPseudoHeaderSize> HmacPseudoHeader(const HmacBinding& binding);

// Returns the 64-bit sequence of wall-clock time `now`: seconds (32 bits), a 1/65536
// fraction of a second (16 bits), counter 0.
uint64_t ClockSequence(std::chrono::system_clock::time_point now);

// The sending side of one instance: the last sequence sent.
class HmacSigner {
 public:
  // Returns the trailer for VRRP message `message` (checksum bytes ignored) sent as
  // `binding` at `now`: signed with the active key (an all-zero HMAC if it has none,
  // which every receiver refuses). The sequence is the clock's, or one more than the last
  // when the clock has not passed it; with `anti_replay time` a last sequence more than
  // time_window seconds ahead of the clock (a clock stepped back) restarts from the clock.
  HmacTrailer Sign(const model::AuthHmac& settings, std::span<const uint8_t> message,
                   const HmacBinding& binding, std::chrono::system_clock::time_point now);

  uint64_t last_sequence() const { return sequence_; }

 private:
  uint64_t sequence_ = 0;
};

// Why a trailer was refused; kOk when it was not.
enum class HmacVerdict : uint8_t {
  kOk,
  kMissing,     // no trailer and mode enforce
  kMalformed,   // unknown scheme or reserved bits set
  kUnknownKey,  // no key with the trailer's id
  kBadHmac,     // the HMAC does not verify
  kStale,       // seconds outside time_window of our clock (anti_replay time)
  kReplay,      // the sequence does not grow for this sender
};

// The receiving side of one instance: the highest sequence accepted per sender (unicast:
// per configured peer; multicast: four slots, least recently used evicted).
class HmacVerifier {
 public:
  struct Outcome {
    HmacVerdict verdict = HmacVerdict::kOk;
    // With anti_replay time and a trailer: our clock minus the sender's seconds.
    std::optional<int32_t> skew;
  };

  // Verifies `trailer` (empty: the advert has none) of VRRP message `message` received
  // as `binding` at `now`, in keepalived's order: presence, scheme, window (before the
  // HMAC is computed), key, HMAC, then the sender's sequence — which moves only for an
  // advert whose HMAC verified. `unicast` selects the per-peer state (the caller has
  // checked that the sender is a peer).
  Outcome Check(const model::AuthHmac& settings, std::span<const uint8_t> message,
                std::span<const uint8_t> trailer, const HmacBinding& binding, bool unicast,
                std::chrono::system_clock::time_point now);

  // Forgets every sender.
  void Reset();

 private:
  struct Replay {
    bool valid = false;
    uint64_t sequence = 0;
  };
  struct Slot {
    model::IpAddress sender;
    Replay replay;
    uint32_t last_used = 0;  // 0: empty
  };

  Replay& MulticastState(const model::IpAddress& sender);
  static bool Advance(const model::AuthHmac& settings, Replay& state, uint64_t sequence,
                      int64_t now_seconds);

  std::map<model::IpAddress, Replay> peers_;
  std::array<Slot, kHmacMulticastSenders> slots_{};
  uint32_t lru_clock_ = 0;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_AUTH_HMAC_H_
