// SessionTable: every configured bfd_instance's session, and what the BFD engine's socket
// shell needs from them — pure (no sockets, no clock reads). The shell gives it received
// datagrams with their addresses and TTL, the time, and the configuration; it answers
// with the packets to send and the state changes to announce.
//
// A received packet is matched to a session by its Your Discriminator when set, else by
// its source address (the session's neighbor_ip), the address it was sent to (the
// session's source_ip, when configured) and its port (single hop 3784, multihop 4784), as
// keepalived does. The TTL check (GTSM, RFC 5881 section 5, with keepalived's max_hops)
// runs once the session is known, since its ttl/max_hops decide.
#ifndef VIGIL_BFD_SESSION_TABLE_H_
#define VIGIL_BFD_SESSION_TABLE_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bfd/packet.h"
#include "bfd/session.h"
#include "model/address.h"

namespace vigil::model {
struct Config;
}

namespace vigil::bfd {

// One bfd_instance as the engine runs it.
struct SessionConfig {
  std::string name;
  model::IpAddress neighbor;
  std::optional<model::IpAddress> source;
  SessionParams params;
  uint8_t ttl = kSingleHopTtl;
  uint8_t max_hops = 0;
  bool multihop = false;

  // Returns the UDP port the neighbor listens on (3784, or 4784 for multihop).
  uint16_t port() const { return multihop ? kMultihopControlPort : kControlPort; }
  // Returns whether a session for `other` is the same session (same peer and socket): only
  // its timing may differ.
  bool SamePeer(const SessionConfig& other) const {
    return neighbor == other.neighbor && source == other.source && multihop == other.multihop &&
           ttl == other.ttl && max_hops == other.max_hops;
  }

  friend bool operator==(const SessionConfig&, const SessionConfig&) = default;
};

// Returns the sessions of `config`'s bfd_instances.
std::vector<SessionConfig> SessionsFromModel(const model::Config& config);

// A datagram received on a BFD port.
struct Received {
  model::IpAddress from;
  std::optional<model::IpAddress> to;  // the local address it was sent to (if known)
  uint8_t ttl = 0;                     // IP TTL / hop limit; 0 when not reported
  bool multihop = false;               // arrived on port 4784
  std::span<const uint8_t> payload;
  // When the kernel received it, on the steady clock (SO_TIMESTAMPNS); the session's
  // silence is counted from it. Unset: from the time it is handled.
  std::optional<TimePoint> arrived;
};

// Why a received datagram was dropped before or after decoding: the codec's reasons
// (packet.h) plus the table's own.
enum class DropReason : uint8_t {
  kNoSession,  // no session for its discriminator or addresses
  kBadTtl,     // TTL below the session's ttl less max_hops (GTSM)
};

// One packet to send on a session's socket.
struct Outgoing {
  std::string session;
  std::array<uint8_t, kMandatorySize> bytes;
};

// A session's state changed.
struct Transition {
  std::string session;
  State from = State::kDown;
  State to = State::kDown;
  Diag diag = Diag::kNone;
};

struct Output {
  std::vector<Outgoing> sends;
  std::vector<Transition> transitions;
};

// Counters of one session.
struct SessionCounters {
  uint64_t sent = 0;
  uint64_t received = 0;  // packets accepted by the session
  uint64_t up = 0;        // times it came Up
  uint64_t down = 0;      // times it left Up
};

class SessionTable {
 public:
  // `random` draws discriminators and transmit jitter.
  explicit SessionTable(RandomBetween random);

  // Runs `configs` from `now`: a new session starts (Down, its first packet at once unless
  // passive); a session whose peer is unchanged keeps its state and takes the new timing;
  // a removed one goes, as does one whose peer changed (it starts again as new).
  // Returns the names of the sessions removed (their sockets can be closed).
  std::vector<std::string> Configure(const std::vector<SessionConfig>& configs, TimePoint now,
                                     Output& out);

  // Handles one received datagram.
  void OnReceive(const Received& datagram, TimePoint now, Output& out);
  // Runs every session's timers due at `now`.
  void OnTimer(TimePoint now, Output& out);
  // Returns the earliest deadline of any session.
  std::optional<TimePoint> NextDeadline() const;

  // Sessions by name.
  struct Entry {
    SessionConfig config;
    std::unique_ptr<Session> session;
    SessionCounters counters;
  };
  const std::map<std::string, Entry>& sessions() const { return sessions_; }
  // Datagrams dropped, by reason name (packet.h's RejectReasonName, "no_session", "bad_ttl").
  const std::map<std::string, uint64_t>& dropped() const { return dropped_; }

 private:
  void Collect(Entry& e, std::vector<Action> actions, Output& out);
  Entry* Match(const Received& d, const ControlPacket& p);
  uint32_t NewDiscriminator() const;

  RandomBetween random_;
  std::map<std::string, Entry> sessions_;
  std::map<std::string, uint64_t> dropped_;
};

// Returns the stable metric name of `reason` ("no_session", "bad_ttl").
std::string_view DropReasonName(DropReason reason);

}  // namespace vigil::bfd

#endif  // VIGIL_BFD_SESSION_TABLE_H_
