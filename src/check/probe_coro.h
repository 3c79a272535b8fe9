// Probe coroutines on standalone Asio. Internal to check (and its tests): this header pulls in
// asio; code outside check uses probe.h.
#ifndef VIGIL_CHECK_PROBE_CORO_H_
#define VIGIL_CHECK_PROBE_CORO_H_

#include <asio.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/error.h"
#include "check/types.h"

namespace vigil::check {

// Calls `on_expire` if an armed period of `timeout` elapses before the next Arm()/Disarm().
// Used to bound each I/O step of a probe: on_expire closes or cancels the probe's socket so
// the pending operation completes with an error. Safe to destroy with the timer pending.
class Watchdog {
 public:
  Watchdog(const asio::any_io_executor& ex, Duration timeout, std::function<void()> on_expire);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // (Re)starts the period, of `timeout` or of the constructor's timeout, and clears expired().
  void Arm();
  void Arm(Duration timeout);
  // Stops the period without firing.
  void Disarm();
  // Bounds every later period by a deadline `budget` from now as well: a period that would
  // end after the deadline ends at it. Bounds a check as a whole, not only each step.
  void SetBudget(Duration budget);
  // Returns true if the watchdog fired since the last Arm().
  bool expired() const { return state_->expired; }
  // Returns true if it fired at the deadline of SetBudget (the whole took too long).
  bool budget_expired() const { return state_->expired && state_->at_deadline; }
  // Returns the budget given to SetBudget (zero if none).
  Duration budget() const { return budget_; }

 private:
  struct State {
    explicit State(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    std::function<void()> on_expire;
    uint64_t generation = 0;
    bool expired = false;
    bool at_deadline = false;  // the armed period ends at the deadline
  };
  std::shared_ptr<State> state_;
  Duration timeout_;
  Duration budget_{};
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

// A check that talks in several steps (connect, TLS handshake, request, replies) gets
// connect_timeout for each step, as keepalived does, and, unlike keepalived, a budget for
// the whole: this many times connect_timeout. A server that answers every step just in time
// (one byte at a time, an endless header list or greeting) still fails.
constexpr int kHttpBudgetSteps = 3;  // connect, request, response; TLS adds its handshake
constexpr int kSmtpBudgetSteps = 4;  // connect, greeting, HELO, QUIT

// Returns "timeout: not done within 3 s (3 x connect_timeout)" for a check whose budget ran out.
std::string BudgetTimeoutDetail(Duration budget, int steps);

// The most of an HTTP body read to check a digest or a regex; a digest of a longer body
// fails, a regex is matched against this much of it. A status-only check reads no body.
constexpr size_t kMaxHttpBody = 4 * 1024 * 1024;
// The most of one SMTP reply read (a greeting or reply of many continuation lines).
constexpr size_t kMaxSmtpReply = 64 * 1024;

// Each coroutine runs one probe attempt and never throws: failures are ProbeResults.
asio::awaitable<ProbeResult> TcpProbe(ConnectOptions opts);
asio::awaitable<ProbeResult> HttpProbe(ConnectOptions opts, HttpCheck check);
asio::awaitable<ProbeResult> SmtpProbe(ConnectOptions opts, SmtpCheck check);
asio::awaitable<ProbeResult> DnsProbe(ConnectOptions opts, DnsCheck check);
asio::awaitable<ProbeResult> UdpProbe(ConnectOptions opts, UdpCheck check);
asio::awaitable<ProbeResult> PingProbe(ConnectOptions opts);
// `timeout` bounds the script; then SIGTERM, and SIGKILL 2 s later.
asio::awaitable<ProbeResult> MiscProbe(MiscCheck check, Duration timeout);
asio::awaitable<ProbeResult> FileProbe(FileCheck check);
// BFD_CHECK is never probed (the BFD engine's news drive it); a run fails and says so.
asio::awaitable<ProbeResult> BfdProbe(BfdCheck check);

// Runs the probe that `spec` describes. MISC checks without a timeout get `default_timeout`.
asio::awaitable<ProbeResult> RunProbe(ProbeSpec spec, Duration default_timeout);

// What one HTTP(S) GET returned.
struct HttpFetch {
  int status = 0;
  std::string md5;    // hex MD5 of the (de-chunked) body
  std::string body;   // the body, kept only if asked for
  size_t body_bytes = 0;
  std::optional<size_t> content_length;
  bool body_read = false;       // the body was read (to its end or to max_body)
  bool body_truncated = false;  // reading stopped at max_body: md5 is of a prefix
};

// Parameters of one GET, resolved from the checker and the url.
struct HttpRequestSpec {
  std::string path = "/";
  HttpVersion version = HttpVersion::k10;
  std::string host;  // Host header value
  bool tls = false;
  TlsOptions tls_options;
  std::string sni;  // server name to send, or empty for none
  bool keep_body = false;
  bool decode_chunked = true;
  // Whether the verdict needs the body (a digest, a regex): without, reading stops once the
  // status line and headers are in. With, it stops after `max_body` bytes of body.
  bool read_body = true;
  size_t max_body = kMaxHttpBody;
  // TLS: once the response is read, send close_notify (without waiting for the server's);
  // without, the connection is closed without one (keepalived's quiet shutdown).
  bool close_notify = false;
};

// Performs one GET against `opts` and returns what the server sent; each step is bounded by
// connect_timeout and the whole by kHttpBudgetSteps (+1 with TLS) times it. Fails on connect,
// TLS, write, read (a reset included) or framing errors.
asio::awaitable<Result<HttpFetch>> FetchHttp(ConnectOptions opts, HttpRequestSpec request);

// Connects a TCP socket for `opts` (with its socket options), bounded by `watchdog`.
// On failure returns a ProbeResult describing it. `half_open` turns quick ACKs off, for a
// caller that resets the connection as soon as it is up.
asio::awaitable<std::optional<ProbeResult>> ConnectTcp(const ConnectOptions& opts,
                                                       asio::ip::tcp::socket& socket,
                                                       Watchdog& watchdog,
                                                       bool half_open = false);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_PROBE_CORO_H_
