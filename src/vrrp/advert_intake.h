// AdvertIntake: one VRRP instance's checks of the adverts it hears, between its receive
// socket and its state machine — validation against what the instance expects (packet.h,
// with auth_hmac's per-sender sequences), a count per reject reason, the drops of an
// address owner that ignores adverts, and their logs at most every 10 s per reason. The
// packet and the times are passed in; it keeps no descriptor and runs no timer.
#ifndef VIGIL_VRRP_ADVERT_INTAKE_H_
#define VIGIL_VRRP_ADVERT_INTAKE_H_

#include <chrono>
#include <map>
#include <span>

#include "base/throttle.h"
#include "control/status.h"
#include "model/address.h"
#include "net/raw_socket.h"
#include "vrrp/advert_sender.h"
#include "vrrp/auth_hmac.h"
#include "vrrp/instance_spec.h"
#include "vrrp/packet.h"
#include "vrrp/state_machine.h"

namespace vigil::vrrp {

// How often each kind of dropped advert is logged at most.
inline constexpr auto kRejectLogInterval = std::chrono::seconds(10);

class AdvertIntake {
 public:
  enum class Fate {
    kRejected,  // invalid: counted in `rejected` of the status
    kIgnored,   // valid, but an address owner with owner_ignore_adverts drops it uncounted
    kAccepted,  // counted as received: `advert` goes to the state machine
  };
  struct Outcome {
    Fate fate = Fate::kRejected;
    AdvertReceived advert;
  };

  // Checks packet `p` for instance `spec` (advertising `advertised`, its state machine
  // `sm`) heard at `now` (wall-clock time `wall` for auth_hmac) and counts it in `status`.
  // A peer that sums unicast adverts the old way switches `sender` to answer in kind.
  Outcome Take(const InstanceSpec& spec, std::span<const model::IpAddress> advertised,
               const StateMachine& sm, AdvertSender& sender, const net::ReceivedPacket& p,
               control::InstanceStatus& status, std::chrono::steady_clock::time_point now,
               std::chrono::system_clock::time_point wall);

 private:
  std::map<RejectReason, Throttle> reject_log_;  // one per reason
  Throttle owner_drop_log_{kRejectLogInterval};
  HmacVerifier hmac_;                       // auth_hmac: each sender's last sequence
  Throttle skew_log_{kRejectLogInterval};  // auth_hmac: clock skew past half the window
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_ADVERT_INTAKE_H_
