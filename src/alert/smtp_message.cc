#include "alert/smtp_message.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace vigil::alert {
namespace {

std::string Subject(std::string_view router_id, std::string_view what) {
  return fmt::format("[{}] {}", router_id, what);
}

std::string_view InstanceBody(MailState state) {
  switch (state) {
    case MailState::kMaster: return "=> VRRP Instance is now owning VRRP VIPs <=";
    case MailState::kBackup:
    case MailState::kFault: return "=> VRRP Instance is no longer owning VRRP VIPs <=";
    case MailState::kStop: return "=> VRRP Instance stopping <=";
    case MailState::kDeleted: return "=> VRRP Deleted at reload <=";
  }
  return {};
}

std::string_view StateText(MailState state) {
  switch (state) {
    case MailState::kMaster: return "Entering MASTER state";
    case MailState::kBackup: return "Entering BACKUP state";
    case MailState::kFault: return "Entering FAULT state";
    case MailState::kStop: return "Stopping";
    case MailState::kDeleted: return "Deleted";
  }
  return {};
}

std::string_view GroupBody(MailState state) {
  switch (state) {
    case MailState::kMaster: return "=> All VRRP group instances are now in MASTER state <=";
    case MailState::kBackup: return "=> All VRRP group instances are now in BACKUP state <=";
    case MailState::kFault: return "=> All VRRP group instances are now in FAULT state <=";
    case MailState::kStop: return "=> All VRRP group instances are now stopping <=";
    case MailState::kDeleted: break;
  }
  return {};
}

std::string_view UpDown(bool up) { return up ? "UP" : "DOWN"; }

}  // namespace

Mail InstanceMail(std::string_view router_id, std::string_view name, MailState state) {
  return {Subject(router_id, fmt::format("VRRP Instance {} - {}", name, StateText(state))),
          std::string(InstanceBody(state))};
}

std::optional<Mail> GroupMail(std::string_view router_id, std::string_view name,
                              MailState state) {
  if (state == MailState::kDeleted) return std::nullopt;
  return Mail{Subject(router_id, fmt::format("VRRP Group {} - {}", name, StateText(state))),
              std::string(GroupBody(state))};
}

Mail RealServerMail(std::string_view router_id, std::string_view real_server,
                    std::string_view virtual_server, bool up, std::string_view body) {
  return {Subject(router_id, fmt::format("Realserver {} of virtual server {} - {}", real_server,
                                         virtual_server, UpDown(up))),
          std::string(body)};
}

Mail RealServerRemovedMail(std::string_view router_id, std::string_view real_server,
                           std::string_view virtual_server, bool shutting_down) {
  return RealServerMail(router_id, real_server, virtual_server, false,
                        shutting_down ? "=> Shutting down <=" : "=> Removing <=");
}

Mail VirtualServerMail(std::string_view router_id, std::string_view virtual_server, bool up,
                       std::string_view body) {
  return {Subject(router_id, fmt::format("Virtualserver {} - {}", virtual_server, UpDown(up))),
          std::string(body)};
}

std::string MailDate(std::time_t when) {
  std::tm t{};
  localtime_r(&when, &t);
  char text[64];
  size_t n = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S %z", &t);
  return std::string(text, n);
}

std::vector<SmtpStep> SmtpDialogue(const SmtpSettings& settings, const Mail& mail,
                                   std::string_view date) {
  std::vector<SmtpStep> steps;
  steps.push_back({"", 220, "(E)SMTP"});
  steps.push_back({fmt::format("HELO {}\r\n", settings.helo_name.empty() ? "localhost"
                                                                          : settings.helo_name),
                   250, "HELO"});
  steps.push_back({fmt::format("MAIL FROM:<{}>\r\n", settings.from), 250, "MAIL"});
  for (const std::string& to : settings.recipients)
    steps.push_back({fmt::format("RCPT TO:<{}>\r\n", to), 250, "RCPT"});
  steps.push_back({"DATA\r\n", 354, "DATA"});
  steps.push_back({fmt::format("Date: {}\r\nFrom: {}\r\nSubject: {}\r\nX-Mailer: Keepalived\r\n"
                               "To: {}\r\n\r\n{}\r\n\r\n.\r\n",
                               date, settings.from, mail.subject,
                               fmt::join(settings.recipients, ", "), mail.body),
                   250, "BODY"});
  steps.push_back({"QUIT\r\n", 221, "QUIT"});
  return steps;
}

std::optional<int> TakeReplyCode(std::string& buffer) {
  for (;;) {
    size_t eol = buffer.find("\r\n");
    if (eol == std::string::npos) return std::nullopt;
    std::string line = buffer.substr(0, eol);
    buffer.erase(0, eol + 2);
    if (line.size() > 3 && line[3] == '-') continue;
    if (line.size() < 3) return -1;
    int code = 0;
    for (int i = 0; i < 3; ++i) {
      if (line[i] < '0' || line[i] > '9') return -1;
      code = code * 10 + (line[i] - '0');
    }
    return code;
  }
}

}  // namespace vigil::alert
