// One BFD session (RFC 5880, asynchronous mode): the pure state machine and its timers.
// No sockets and no clock reads: the shell feeds it validated packets (packet.h's Decode)
// and the time, asks for the next deadline, and sends what it is told to send.
//
// Timers (microseconds on the wire, steady-clock durations here):
//  - transmit: every max(DesiredMinTx, remote RequiredMinRx), jittered to 75-100 % of it
//    (75-90 % with detect multiplier 1); DesiredMinTx is idle_tx (>= 1 s) while not Up;
//  - detection (Init and Up): remote Detect Mult x max(RequiredMinRx, remote DesiredMinTx)
//    after the last packet received (when the kernel received it, if the shell knows),
//    then Down with diag 1;
//  - a change of min_tx/min_rx while Up, and the step from idle_tx to min_tx on coming Up,
//    runs a Poll Sequence; an interval that grows (tx) or shrinks (rx) takes effect when
//    the Final arrives, the other way at once.
// Demand mode is never asked for (as keepalived); a remote in Demand mode is honoured by
// not transmitting while both are Up (RFC 5880 6.6).
#ifndef VIGIL_BFD_SESSION_H_
#define VIGIL_BFD_SESSION_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "bfd/packet.h"

namespace vigil::bfd {

using Micros = std::chrono::microseconds;

// A session's configured timing (a bfd_instance's min_tx, min_rx, idle_tx, multiplier,
// passive).
struct SessionParams {
  Micros desired_min_tx{10'000};
  Micros required_min_rx{10'000};
  Micros idle_tx{1'000'000};
  uint8_t detect_mult = 5;
  bool passive = false;

  friend bool operator==(const SessionParams&, const SessionParams&) = default;
};

// Send `packet` now.
struct Transmit {
  ControlPacket packet;
};

// The session's state changed.
struct StateChange {
  State from = State::kDown;
  State to = State::kDown;
  Diag diag = Diag::kNone;
};

using Action = std::variant<Transmit, StateChange>;

// Returns a uniformly drawn value in [lo, hi]; injected so tests choose the jitter.
using RandomBetween = std::function<uint64_t(uint64_t lo, uint64_t hi)>;

// Not thread-safe; one per configured bfd_instance.
class Session {
 public:
  // A session in Down with `local_discriminator` (non-zero, unique among the sessions).
  // Nothing is sent before Start.
  Session(const SessionParams& params, uint32_t local_discriminator, RandomBetween random);

  // Starts transmitting (unless passive): the first packet goes out at once.
  std::vector<Action> Start(TimePoint now);

  // Runs the reception rules of RFC 5880 6.8.6 on a packet Decode accepted and that the
  // shell matched to this session. Returns the actions; a packet for another session
  // (Your Discriminator set and not ours) or received in AdminDown is ignored.
  // `received` is when the packet reached the host (the kernel's timestamp), which may be
  // earlier than `now` when the process was slow to read it: the detection time counts
  // from it (kept within [the previous packet's, now]); unset, from `now`.
  std::vector<Action> OnPacket(const ControlPacket& packet, TimePoint now,
                               std::optional<TimePoint> received = std::nullopt);

  // Runs what is due at `now`: detection expiry, then the periodic transmission.
  std::vector<Action> OnTimer(TimePoint now);

  // Returns when OnTimer has something to do next, or nullopt when nothing is scheduled.
  std::optional<TimePoint> NextDeadline() const;

  // Takes the session to AdminDown (diag 7), or back to Down. In AdminDown the session
  // sends its state for one remote detection time (multiplier packets), then stays silent.
  std::vector<Action> SetAdminDown(bool admin_down, TimePoint now);

  // Changes the timing; while Up a change of either interval starts a Poll Sequence.
  void SetParams(const SessionParams& params, TimePoint now);

  State state() const { return state_; }
  State remote_state() const { return remote_state_; }
  Diag local_diag() const { return local_diag_; }
  uint32_t local_discriminator() const { return local_discr_; }
  uint32_t remote_discriminator() const { return remote_discr_; }
  bool polling() const { return poll_; }
  // The current transmit interval before jitter.
  Micros tx_interval() const;
  // The detection time, or zero before anything has been heard.
  Micros detection_time() const;
  // When the session goes Down if nothing more is heard (Init and Up only).
  std::optional<TimePoint> detection_deadline() const;

 private:
  ControlPacket MakePacket(bool final) const;
  Micros AdvertisedMinTx() const;
  bool PeriodicTxAllowed() const;
  void ScheduleTx(TimePoint from);
  void ChangeState(State to, Diag diag, std::vector<Action>& out);
  void StartPoll();
  void FinishPoll();

  SessionParams params_;
  RandomBetween random_;
  State state_ = State::kDown;
  State remote_state_ = State::kDown;
  Diag local_diag_ = Diag::kNone;
  uint32_t local_discr_ = 0;
  uint32_t remote_discr_ = 0;
  bool remote_demand_ = false;
  Micros remote_min_tx_{0};
  Micros remote_min_rx_{1};  // RFC 5880 6.8.1's initial value
  uint8_t remote_mult_ = 0;
  // The intervals in force for the transmit and detection timers; they trail the
  // advertised ones through a Poll Sequence (see the file comment).
  Micros active_min_tx_{0};
  Micros active_min_rx_{0};
  bool poll_ = false;
  bool started_ = false;
  std::optional<TimePoint> next_tx_;
  std::optional<TimePoint> last_rx_;
  int admin_down_packets_left_ = 0;
};

}  // namespace vigil::bfd

#endif  // VIGIL_BFD_SESSION_H_
