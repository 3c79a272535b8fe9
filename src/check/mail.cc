#include "check/mail.h"

#include <fmt/format.h>

namespace vigil::check {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

// keepalived's words for a failed SMTP_CHECK (check_smtp.c's smtp_final formats), or
// nothing where it has none.
std::optional<std::string> SmtpFailure(FailureKind failure, const MailTarget& t) {
  const std::string server = fmt::format("[{}]:{}", t.address, t.port);
  switch (failure) {
    case FailureKind::kConnectError: return "Error connecting to server " + server;
    case FailureKind::kConnectTimeout: return "Connection timeout to server " + server;
    case FailureKind::kConnectFailed: return "Could not connect to server " + server;
    case FailureKind::kUnreachable:
      return fmt::format("Network unreachable for server {} - real server {}", t.address,
                         t.real_server);
    case FailureKind::kReadTimeout: return "Read timeout from server " + server;
    case FailureKind::kReadFailure: return "Read failure from server " + server;
    case FailureKind::kWriteTimeout: return "Write timeout to server " + server;
    case FailureKind::kWriteFailure: return "Write failure to server " + server;
    case FailureKind::kBadGreeting: return "Bad greeting banner from server " + server;
    case FailureKind::kBadHelo: return "Bad HELO response from server " + server;
    case FailureKind::kUnspecified:
    case FailureKind::kTimedOut:
    case FailureKind::kExitStatus:
    case FailureKind::kSignal: break;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> CheckerMailBody(const CheckParams& params, bool up,
                                           FailureKind failure, const MailTarget& target) {
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
            if (up) return "=> CHECK succeed on service <=";
            auto why = SmtpFailure(failure, target);
            return why ? fmt::format("=> CHECK failed on service : {} <=", *why)
                       : "=> CHECK failed on service <=";
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
            return fmt::format("=> MISC CHECK {} on service <=",
                               !up && failure == FailureKind::kTimedOut ? "timed out" : succeeded);
          },
          [&](const FileCheck&) -> std::optional<std::string> { return std::nullopt; },
          [&](const BfdCheck& b) -> std::optional<std::string> {
            return fmt::format("=> BFD CHECK {} {} on service <=", b.name, succeeded);
          },
      },
      params);
}

bool MailsFirstMiscResult(const CheckParams& params, bool first_result) {
  return first_result && std::holds_alternative<MiscCheck>(params);
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
