// SMTP alerts, the pure part: the mails keepalived 2.2.7 sends (subjects and bodies of a VRRP
// instance or sync group transition, of a real server or virtual server going UP or DOWN)
// and the exact bytes of the dialogue that delivers one (HELO, MAIL FROM, one RCPT TO per
// address, DATA with Date/From/Subject/X-Mailer/To headers, QUIT). The sender that speaks it
// over a socket is alert/smtp_sender.h.
#ifndef VIGIL_ALERT_SMTP_MESSAGE_H_
#define VIGIL_ALERT_SMTP_MESSAGE_H_

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"

namespace vigil::alert {

// What global_defs says about mail: the server (a numeric address or a host name) and the
// envelope. Sending is on when both `server` and `recipients` are non-empty, as keepalived.
struct SmtpSettings {
  std::string server;
  uint16_t port = 25;
  std::string helo_name;                // keepalived: smtp_helo_name, else the host name
  std::string from;                     // notification_email_from, else user@host name
  std::vector<std::string> recipients;  // notification_email, in order
  Duration timeout = std::chrono::seconds(30);  // smtp_connect_timeout

  bool enabled() const { return !server.empty() && !recipients.empty(); }
  friend bool operator==(const SmtpSettings&, const SmtpSettings&) = default;
};

// One alert: the Subject header and the body line.
struct Mail {
  std::string subject;
  std::string body;
  friend bool operator==(const Mail&, const Mail&) = default;
};

// The states keepalived mails about for an instance or a sync group.
enum class MailState { kMaster, kBackup, kFault, kStop, kDeleted };

// Returns the mail of a vrrp_instance entering `state`: "[router_id] VRRP Instance NAME -
// Entering MASTER state" with "=> VRRP Instance is now owning VRRP VIPs <=", and so on.
Mail InstanceMail(std::string_view router_id, std::string_view name, MailState state);
// Returns the mail of a vrrp_sync_group entering `state`, or nothing for kDeleted (keepalived
// sends none for a group removed at a reload).
std::optional<Mail> GroupMail(std::string_view router_id, std::string_view name,
                              MailState state);
// Returns the mail of a real server whose checker changed it: "[router_id] Realserver RS of
// virtual server VS - UP" (or DOWN), with the checker's line as body.
Mail RealServerMail(std::string_view router_id, std::string_view real_server,
                    std::string_view virtual_server, bool up, std::string_view body);
// Returns the mail of a real server removed from its virtual server at a reload or at
// shutdown: "... - DOWN" with "=> Removing <=" or "=> Shutting down <=".
Mail RealServerRemovedMail(std::string_view router_id, std::string_view real_server,
                           std::string_view virtual_server, bool shutting_down);
// Returns the mail of a virtual server whose quorum was gained or lost: "[router_id]
// Virtualserver VS - UP" (or DOWN) with `body`.
Mail VirtualServerMail(std::string_view router_id, std::string_view virtual_server, bool up,
                       std::string_view body);

// Returns `when` as the Date header wants it, in local time: "Mon, 07 Dec 2026 02:10:00 +0000".
std::string MailDate(std::time_t when);

// One step of the dialogue: the bytes to send (empty for the server's greeting, which comes
// unasked), the reply code that lets it go on, and its name for the log.
struct SmtpStep {
  std::string command;
  int expect = 0;
  std::string_view name;
  friend bool operator==(const SmtpStep&, const SmtpStep&) = default;
};

// Returns the dialogue keepalived holds to deliver `mail` dated `date`: the greeting (220),
// HELO (250), MAIL FROM (250), RCPT TO per recipient (250), DATA (354), the message (250),
// QUIT (221). A reply other than the expected one skips to QUIT.
std::vector<SmtpStep> SmtpDialogue(const SmtpSettings& settings, const Mail& mail,
                                   std::string_view date);

// Consumes the complete reply lines at the front of `buffer` up to and including the last
// line of one reply (a line whose fourth character is not '-') and returns its code; returns
// nothing, consuming only the continuation lines, while the reply is incomplete. A last line
// that does not start with three digits yields -1.
std::optional<int> TakeReplyCode(std::string& buffer);

}  // namespace vigil::alert

#endif  // VIGIL_ALERT_SMTP_MESSAGE_H_
