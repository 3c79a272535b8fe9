// SMTP_CHECK, DNS_CHECK, UDP_CHECK and FILE_CHECK.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "base/fd.h"
#include "check/probe_coro.h"
#include "check/probe_logic.h"
#include "model/track_file.h"
#include "check/socket_util.h"

namespace vigil::check {
namespace {

constexpr size_t kMaxSmtpLine = 4096;

// Opens a datagram socket for `opts` and connects it (immediate for UDP).
Result<UniqueFd> OpenConnectedUdp(const ConnectOptions& opts) {
  auto dst = ParseSockAddr(opts.address, opts.port);
  if (!dst) return std::unexpected(dst.error());
  auto fd = OpenProbeSocket(opts, SOCK_DGRAM, IPPROTO_UDP);
  if (!fd) return fd;
  int on = 1;
  if (dst->family() == AF_INET) {
    (void)::setsockopt(fd->get(), SOL_IP, IP_RECVERR, &on, sizeof(on));
  } else {
    (void)::setsockopt(fd->get(), SOL_IPV6, IPV6_RECVERR, &on, sizeof(on));
  }
  if (::connect(fd->get(), dst->get(), dst->length) != 0) return FailErrno("connect");
  return fd;
}

Result<asio::ip::udp::socket> AssignUdp(const asio::any_io_executor& ex, UniqueFd fd,
                                        const ConnectOptions& opts) {
  auto dst = ParseSockAddr(opts.address, opts.port);
  asio::ip::udp::socket sock(ex);
  std::error_code ec;
  sock.assign(dst->family() == AF_INET ? asio::ip::udp::v4() : asio::ip::udp::v6(), fd.Release(),
              ec);
  if (ec) return Fail(ErrorCode::kIo, "assign: " + ec.message());
  return sock;
}

}  // namespace

asio::awaitable<ProbeResult> SmtpProbe(ConnectOptions opts, SmtpCheck check) {
  const std::string target = FormatHostPort(opts.address, opts.port);
  asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
  Watchdog watchdog(socket.get_executor(), opts.connect_timeout, [&socket] {
    std::error_code ignored;
    socket.cancel(ignored);
  });
  watchdog.SetBudget(opts.connect_timeout * kSmtpBudgetSteps);
  if (auto failure = co_await ConnectTcp(opts, socket, watchdog)) co_return *failure;

  std::string in;
  std::error_code ec;
  constexpr int kIoError = -10;
  constexpr int kTooLong = -11;
  // Reads reply lines until a final one; returns its code, -1 for garbage, kIoError or
  // kTooLong (more than kMaxSmtpReply bytes of continuation lines).
  auto read_reply = [&]() -> asio::awaitable<int> {
    size_t reply_bytes = 0;
    while (true) {
      watchdog.Arm();
      size_t n = co_await asio::async_read_until(socket, asio::dynamic_buffer(in, kMaxSmtpLine),
                                                 "\n", asio::redirect_error(asio::use_awaitable, ec));
      watchdog.Disarm();
      if (ec) co_return kIoError;
      reply_bytes += n;
      if (reply_bytes > kMaxSmtpReply) co_return kTooLong;
      std::string line = in.substr(0, n);
      in.erase(0, n);
      int code = SmtpReplyCode(line);
      if (code != 0) co_return code;  // 0: continuation line, read on
    }
  };
  auto send = [&](const std::string& line) -> asio::awaitable<bool> {
    watchdog.Arm();
    co_await asio::async_write(socket, asio::buffer(line),
                               asio::redirect_error(asio::use_awaitable, ec));
    watchdog.Disarm();
    co_return !ec;
  };
  // A failed read (`reading`) or write; keepalived's mail says which and whether it timed out.
  auto failure = [&](const char* what, int code, bool reading) {
    const bool timeout = code != kTooLong && (watchdog.budget_expired() || watchdog.expired());
    std::string why = code == kTooLong ? "reply longer than " +
                                             std::to_string(kMaxSmtpReply / 1024) + " KiB"
                      : watchdog.budget_expired()
                          ? BudgetTimeoutDetail(watchdog.budget(), kSmtpBudgetSteps)
                      : watchdog.expired() ? std::string("timeout")
                                           : ec.message();
    FailureKind kind = code == kTooLong ? FailureKind::kUnspecified
                       : reading ? (timeout ? FailureKind::kReadTimeout : FailureKind::kReadFailure)
                                 : (timeout ? FailureKind::kWriteTimeout : FailureKind::kWriteFailure);
    return ProbeResult{false, std::string(what) + " " + target + ": " + why, {}, kind};
  };

  int code = co_await read_reply();
  if (code < -1) co_return failure("cannot read banner from", code, true);
  if (code != 220) {
    co_return ProbeResult{false, "bad greeting banner from " + target, {},
                          FailureKind::kBadGreeting};
  }
  if (!co_await send("HELO " + check.helo_name + "\r\n")) {
    co_return failure("cannot send HELO to", 0, false);
  }
  code = co_await read_reply();
  if (code < -1) co_return failure("cannot read HELO reply from", code, true);
  if (code != 250) {
    co_return ProbeResult{false, "bad HELO response from " + target, {}, FailureKind::kBadHelo};
  }
  if (!co_await send("QUIT\r\n")) co_return failure("cannot send QUIT to", 0, false);
  // Any reply to QUIT will do, as keepalived.
  code = co_await read_reply();
  if (code < -1) co_return failure("cannot read QUIT reply from", code, true);
  co_return ProbeResult{true, "SMTP check of " + target + " succeeded", {}};
}

asio::awaitable<ProbeResult> DnsProbe(ConnectOptions opts, DnsCheck check) {
  const std::string target = FormatHostPort(opts.address, opts.port);
  const uint16_t id = static_cast<uint16_t>(std::random_device{}());
  auto query = BuildDnsQuery(id, check.name, check.type);
  if (!query) co_return ProbeResult{false, query.error().ToString(), {}};
  auto fd = OpenConnectedUdp(opts);
  if (!fd) co_return ProbeResult{false, fd.error().ToString(), {}};
  auto sock = AssignUdp(co_await asio::this_coro::executor, std::move(*fd), opts);
  if (!sock) co_return ProbeResult{false, sock.error().ToString(), {}};
  Watchdog watchdog(sock->get_executor(), opts.connect_timeout, [&sock] {
    std::error_code ignored;
    sock->cancel(ignored);
  });
  std::error_code ec;
  watchdog.Arm();
  co_await sock->async_send(asio::buffer(*query), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return ProbeResult{false, "DNS send to " + target + " failed: " + ec.message(), {}};
  uint8_t buf[4096];
  while (true) {
    size_t n = co_await sock->async_receive(asio::buffer(buf),
                                            asio::redirect_error(asio::use_awaitable, ec));
    if (watchdog.expired()) co_return ProbeResult{false, "DNS read timeout from " + target, {}};
    if (ec) co_return ProbeResult{false, "DNS read from " + target + " failed: " + ec.message(), {}};
    int rcode = 0;
    switch (JudgeDnsResponse(id, buf, n, &rcode)) {
      case DnsVerdict::kIgnore:
        continue;
      case DnsVerdict::kSuccess:
        co_return ProbeResult{true, "DNS answer from " + target, {}};
      case DnsVerdict::kFailure:
        co_return ProbeResult{false, "DNS error from " + target + " (rcode = " + std::to_string(rcode) + ")", {}};
    }
  }
}

asio::awaitable<ProbeResult> UdpProbe(ConnectOptions opts, UdpCheck check) {
  const std::string target = FormatHostPort(opts.address, opts.port);
  auto fd = OpenConnectedUdp(opts);
  if (!fd) co_return ProbeResult{false, fd.error().ToString(), {}};
  auto sock = AssignUdp(co_await asio::this_coro::executor, std::move(*fd), opts);
  if (!sock) co_return ProbeResult{false, sock.error().ToString(), {}};
  Watchdog watchdog(sock->get_executor(), opts.connect_timeout, [&sock] {
    std::error_code ignored;
    sock->cancel(ignored);
  });
  const std::vector<uint8_t> payload = check.payload.empty() ? DefaultUdpPayload() : check.payload;
  std::error_code ec;
  watchdog.Arm();
  co_await sock->async_send(asio::buffer(payload), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return ProbeResult{false, "UDP send to " + target + " failed: " + ec.message(), {}};
  std::vector<uint8_t> buf(check.max_reply_length + 1);
  size_t n = co_await sock->async_receive(asio::buffer(buf),
                                          asio::redirect_error(asio::use_awaitable, ec));
  watchdog.Disarm();
  if (watchdog.expired()) {
    // No ICMP error within the timeout: fine unless a reply was required.
    if (check.require_reply) co_return ProbeResult{false, "no UDP reply from " + target, {}};
    co_return ProbeResult{true, "no ICMP error from " + target, {}};
  }
  if (ec) co_return ProbeResult{false, "UDP check of " + target + " failed: " + ec.message(), {}};
  if (check.require_reply && !UdpReplyMatches(check, buf.data(), n)) {
    co_return ProbeResult{false, "UDP reply from " + target + " does not match", {}};
  }
  co_return ProbeResult{true, "UDP reply from " + target, {}};
}

asio::awaitable<ProbeResult> BfdProbe(BfdCheck check) {
  co_return ProbeResult{false, "BFD_CHECK " + check.name + " is not probed", std::nullopt};
}

asio::awaitable<ProbeResult> FileProbe(FileCheck check) {
  std::string text;
  UniqueFd fd = fd::Open(check.path.c_str(), O_RDONLY | O_NONBLOCK);
  if (fd) {
    char buf[128];
    ssize_t n;
    do {
      n = ::read(fd.get(), buf, sizeof(buf) - 1);
    } while (n < 0 && errno == EINTR);
    if (n > 0) text.assign(buf, static_cast<size_t>(n));
  }
  auto value = model::ParseTrackFileValue(text);
  if (!value) co_return ProbeResult{false, "invalid number in " + check.path, {}};
  co_return FileCheckResult(check, *value);
}

}  // namespace vigil::check
