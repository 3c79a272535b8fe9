#include "model/config.h"

#include <array>
#include <type_traits>

namespace vigil::model {

namespace {
constexpr std::array<std::string_view, 14> kSchedulerNames = {
    "rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos"};
}  // namespace

const HmacKey* AuthHmac::Key(uint8_t id) const {
  for (const HmacKey& k : keys)
    if (k.id == id) return &k;
  return nullptr;
}

std::string_view SchedulerName(Scheduler s) {
  return kSchedulerNames[static_cast<size_t>(s)];
}

std::optional<Scheduler> SchedulerFromName(std::string_view name) {
  for (size_t i = 0; i < kSchedulerNames.size(); ++i)
    if (kSchedulerNames[i] == name) return static_cast<Scheduler>(i);
  return std::nullopt;
}

std::string_view CheckKindName(const CheckDetail& d) {
  return d.visit(
      [](const auto& c) -> std::string_view {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, TcpCheck>) return "TCP_CHECK";
        else if constexpr (std::is_same_v<T, HttpCheck>) return c.ssl ? "SSL_GET" : "HTTP_GET";
        else if constexpr (std::is_same_v<T, MiscCheck>) return "MISC_CHECK";
        else if constexpr (std::is_same_v<T, SmtpCheck>) return "SMTP_CHECK";
        else if constexpr (std::is_same_v<T, DnsCheck>) return "DNS_CHECK";
        else if constexpr (std::is_same_v<T, UdpCheck>) return "UDP_CHECK";
        else if constexpr (std::is_same_v<T, PingCheck>) return "PING_CHECK";
        else if constexpr (std::is_same_v<T, FileCheck>) return "FILE_CHECK";
        else return "BFD_CHECK";
      });
}

ScriptDefaults ScriptDefaultsOf(const Global& global) {
  return {global.script_user, global.script_group, global.enable_script_security,
          global.set_supplementary_groups};
}

}  // namespace vigil::model
