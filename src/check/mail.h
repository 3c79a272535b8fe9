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

// Where a checker connects and the real server it checks, for the bodies that name them.
struct MailTarget {
  std::string address;      // the address connected to, e.g. "10.0.1.2" or "fd00::2"
  uint16_t port = 0;
  std::string real_server;  // the real server as keepalived writes a pair: "[10.0.1.2]:25"
};

// Returns the body keepalived mails when a checker with `params` goes up or down, e.g.
// "=> TCP CHECK failed on service <="; nothing for FILE_CHECK, which mails nothing. A failed
// SMTP_CHECK names its `failure` at `target` ("=> CHECK failed on service : Read timeout
// from server [10.0.1.2]:25 <="), a MISC_CHECK stopped at its timeout says "timed out".
std::optional<std::string> CheckerMailBody(const CheckParams& params, bool up,
                                           FailureKind failure = FailureKind::kUnspecified,
                                           const MailTarget& target = {});

// Returns whether a MISC_CHECK's result is mailed although its checker did not change:
// keepalived mails the first result of each MISC_CHECK (a success of a checker that starts
// UP, a failure of one that starts DOWN) as it mails a change.
bool MailsFirstMiscResult(const CheckParams& params, bool first_result);

// Returns whether a checker's change is mailed: the real server has smtp_alert, and its
// state changed or no_checker_emails is off.
bool MailsCheckerChange(bool smtp_alert, bool real_server_changed, bool no_checker_emails);

// Returns the body of a quorum change: "=> Gained quorum 1+0=1 <= 2 <=" (at start:
// "Starting with quorum up"; down: "Lost quorum", "Starting with quorum down").
std::string QuorumMailBody(bool up, bool init, uint32_t quorum, uint32_t hysteresis,
                           int64_t threshold, int64_t live_weight);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_MAIL_H_
