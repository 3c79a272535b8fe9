#include "alert/settings.h"

#include <netdb.h>
#include <pwd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>

namespace vigil::alert {

std::string LocalNameFor(const model::Global& g) {
  const bool mails = g.smtp_server && !g.notification_email.empty();
  if (!mails || (g.router_id && g.smtp_helo_name && g.notification_email_from)) return "";
  utsname u{};
  if (uname(&u) != 0) return std::string(kUnknownHost);
  addrinfo hints{};
  hints.ai_flags = AI_CANONNAME;
  addrinfo* res = nullptr;
  if (getaddrinfo(u.nodename, nullptr, &hints, &res) != 0) return std::string(kUnknownHost);
  std::string name = res && res->ai_canonname ? res->ai_canonname : std::string(kUnknownHost);
  freeaddrinfo(res);
  return name;
}

std::string UserName() {
  const passwd* pw = getpwuid(getuid());
  return pw ? pw->pw_name : "";
}

SmtpSettings SmtpSettingsOf(const model::Global& g, std::string_view host,
                            std::string_view user) {
  SmtpSettings s;
  if (g.smtp_server) s.server = *g.smtp_server;
  s.port = g.smtp_port;
  s.recipients = g.notification_email;
  const bool known = !host.empty() && host != kUnknownHost;
  if (g.smtp_helo_name) s.helo_name = *g.smtp_helo_name;
  else if (known) s.helo_name = host;
  if (g.notification_email_from) s.from = *g.notification_email_from;
  else if (known && !user.empty()) s.from = std::string(user) + "@" + std::string(host);
  s.timeout = g.smtp_connect_timeout;
  return s;
}

std::string RouterIdOf(const model::Global& g, std::string_view host) {
  return g.router_id.value_or(std::string(host));
}

bool VrrpAlerts(const model::Global& g, std::optional<bool> own) {
  return own.value_or(g.smtp_alert_vrrp.value_or(g.smtp_alert.value_or(false)));
}

bool GlobalFlag(const model::Global& g, std::string_view keyword) {
  return std::ranges::any_of(g.other,
                             [&](const model::RawSetting& r) { return r.keyword == keyword; });
}

}  // namespace vigil::alert
