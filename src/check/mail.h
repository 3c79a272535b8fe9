// The checker engine's SMTP alerts, as keepalived 2.2.7 words and sends them: a checker
// going UP or DOWN mails "[router_id] Realserver RS of virtual server VS - UP|DOWN" (the
// real server's state after the change) with its kind's line, when the real server has
// smtp_alert and either its state changed or no_checker_emails is off; a virtual server with
// smtp_alert mails its quorum's changes. Pure; the engine sends (alert/smtp_sender.h).
#ifndef VIGIL_CHECK_MAIL_H_
#define VIGIL_CHECK_MAIL_H_

#include <cstdint>
#include <optional>
#include <string>

#include "check/types.h"

namespace vigil::check {

// Returns the body keepalived mails when a checker with `params` goes up or down, e.g.
// "=> TCP CHECK failed on service <="; nothing for FILE_CHECK, which mails nothing.
std::optional<std::string> CheckerMailBody(const CheckParams& params, bool up);

// Returns whether a checker's change is mailed: the real server has smtp_alert, and its
// state changed or no_checker_emails is off.
bool MailsCheckerChange(bool smtp_alert, bool real_server_changed, bool no_checker_emails);

// Returns the body of a quorum change: "=> Gained quorum 1+0=1 <= 2 <=" (at start:
// "Starting with quorum up"; down: "Lost quorum", "Starting with quorum down").
std::string QuorumMailBody(bool up, bool init, uint32_t quorum, uint32_t hysteresis,
                           int64_t threshold, int64_t live_weight);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_MAIL_H_
