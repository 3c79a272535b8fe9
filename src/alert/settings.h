// What the configuration says about SMTP alerts, as keepalived 2.2.7 reads global_defs: the
// server and envelope (with keepalived's defaults from the host name and the user), the
// router_id that starts each subject, and whether an area mails by default.
#ifndef VIGIL_ALERT_SETTINGS_H_
#define VIGIL_ALERT_SETTINGS_H_

#include <optional>
#include <string>
#include <string_view>

#include "alert/smtp_message.h"
#include "model/config.h"

namespace vigil::alert {

// The name keepalived calls a host by when it cannot resolve its own node name.
inline constexpr std::string_view kUnknownHost = "[unknown]";

// Returns the host name keepalived 2.2.7's defaults use (router_id, smtp_helo_name,
// notification_email_from): uname's node name made canonical by getaddrinfo (AI_CANONNAME),
// kUnknownHost when that fails. Returns "" without asking when `g` mails nothing or sets all
// three (getaddrinfo may wait on DNS).
std::string LocalNameFor(const model::Global& g);
// The name of the user running the daemon ("root"), for the default sender.
std::string UserName();

// Returns the settings of `g`: smtp_server, notification_email, notification_email_from
// (default USER@HOST), smtp_helo_name (default HOST), smtp_connect_timeout. With `host`
// empty or kUnknownHost, keepalived sets neither default: HELO says "localhost".
SmtpSettings SmtpSettingsOf(const model::Global& g, std::string_view host,
                            std::string_view user);
// Returns router_id, else `host`.
std::string RouterIdOf(const model::Global& g, std::string_view host);
// Returns whether a VRRP instance or sync group with `own` smtp_alert mails:
// its own, else global smtp_alert_vrrp, else smtp_alert, else no.
bool VrrpAlerts(const model::Global& g, std::optional<bool> own);
// Returns whether global_defs holds flag `keyword` (no_email_faults, no_checker_emails).
bool GlobalFlag(const model::Global& g, std::string_view keyword);

}  // namespace vigil::alert

#endif  // VIGIL_ALERT_SETTINGS_H_
