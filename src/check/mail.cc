#include "check/mail.h"

#include <fmt/format.h>

namespace vigil::check {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

}  // namespace

std::optional<std::string> CheckerMailBody(const CheckParams& params, bool up) {
  const char* succeed = up ? "succeed" : "failed";
  const char* succeeded = up ? "succeeded" : "failed";
  return std::visit(
      Overloaded{
          [&](const TcpCheck&) -> std::optional<std::string> {
            return fmt::format("=> TCP CHECK {} on service <=", succeed);
          },
          [&](const HttpCheck&) -> std::optional<std::string> {
            return up ? "=> CHECK succeed on service <="
                      : "=> CHECK failed on service : HTTP request failed <=";
          },
          [&](const SmtpCheck&) -> std::optional<std::string> {
            return fmt::format("=> CHECK {} on service <=", succeed);
          },
          [&](const DnsCheck&) -> std::optional<std::string> {
            return fmt::format("=> DNS_CHECK: {} on service <=", succeed);
          },
          [&](const UdpCheck&) -> std::optional<std::string> {
            return fmt::format("=> UDP CHECK {} on service <=", succeed);
          },
          [&](const PingCheck&) -> std::optional<std::string> {
            return fmt::format("=> ICMP CHECK {} on service <=", succeed);
          },
          [&](const MiscCheck&) -> std::optional<std::string> {
            return fmt::format("=> MISC CHECK {} on service <=", succeeded);
          },
          [&](const FileCheck&) -> std::optional<std::string> { return std::nullopt; },
          [&](const BfdCheck& b) -> std::optional<std::string> {
            return fmt::format("=> BFD CHECK {} {} on service <=", b.name, succeeded);
          },
      },
      params);
}

bool MailsCheckerChange(bool smtp_alert, bool real_server_changed, bool no_checker_emails) {
  return smtp_alert && (real_server_changed || !no_checker_emails);
}

std::string QuorumMailBody(bool up, bool init, uint32_t quorum, uint32_t hysteresis,
                           int64_t threshold, int64_t live_weight) {
  const char* what = up ? (init ? "Starting with quorum up" : "Gained quorum")
                        : (init ? "Starting with quorum down" : "Lost quorum");
  return fmt::format("=> {} {}+{}={} <= {} <=", what, quorum, hysteresis, threshold,
                     live_weight);
}

}  // namespace vigil::check
